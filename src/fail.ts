/**
 * Ends a command (server, seed, migrate) on an error with one line a person can act on; a stack
 * trace helps nobody running `npm start`.
 */
export function fail(error: unknown): never {
  console.error(`jobgraph: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
