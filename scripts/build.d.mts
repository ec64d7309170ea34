// Types of build.mjs, for the TypeScript that uses it (the tests' set-up, the benchmarks).

/** Whether dist/ holds a build of src/ as it is now. */
export function isFresh(): boolean;
/** Compiles src/ to dist/src/. */
export function build(): Promise<void>;
/** Builds unless dist/ is fresh. */
export function ensureBuilt(): Promise<void>;
