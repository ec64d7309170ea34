// Whether the gateway will be able to listen where it is told to, asked before anything else is
// done: a start that fails at listen() would already have created, migrated and seeded a database,
// and printed a token nobody can use.
import net from "node:net";

/** A listen failure a person can fix, said in one line that names the setting to change. */
export class ListenError extends Error {
  override name = "ListenError";
}

/** The one-line explanation of a listen() failure, or undefined for an error that is not one. */
export function listenProblem(error: unknown, port: number, host: string): ListenError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `${host}:${port}`;
  if (code === "EADDRINUSE") {
    return new ListenError(`port ${port} is in use (${where}): stop what listens there, or set PORT to a free port (PORT=${port + 1} npm start)`);
  }
  if (code === "EACCES") {
    return new ListenError(`this user may not listen on port ${port} (${where}): set PORT to a port above 1023`);
  }
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new ListenError(`HOST ${host} is not an address of this machine: set HOST to one of its addresses, or 0.0.0.0 for all`);
  }
  return undefined;
}

/**
 * Listens on host:port for a moment and closes again; rejects with a ListenError when that fails
 * for a reason a setting can fix. Port 0 (any free port) always succeeds.
 */
export async function checkListen(port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", (error) => reject(listenProblem(error, port, host) ?? error));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
