// Preloaded into the Prisma CLI by scripts that run `prisma migrate deploy`. Prisma's WebAssembly
// schema engine arms a 10-second timer that nothing clears, so the CLI lingers ~10 s after its work
// is done. Unref'ing long timers lets the process exit as soon as the work is over.
const originalSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = function setTimeoutUnrefLong(handler, ms, ...rest) {
  const timer = originalSetTimeout(handler, ms, ...rest);
  if (typeof ms === "number" && ms >= 10_000 && timer && typeof timer.unref === "function") timer.unref();
  return timer;
};
