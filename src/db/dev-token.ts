// The development admin token of the embedded default: created on the first start, kept beside
// the embedded database so the playground can send it on every start.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { newSecret } from "../domain/auth.js";

/** Reads the token kept in dataDir, or makes a new one; `created` tells whether it is new. */
export async function developmentToken(dataDir: string): Promise<{ secret: string; created: boolean }> {
  const file = path.join(dataDir, "admin-token");
  try {
    const secret = (await readFile(file, "utf8")).trim();
    if (secret) return { secret, created: false };
  } catch {
    // No token yet: make one below.
  }
  const secret = newSecret("USER");
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return { secret, created: true };
}
