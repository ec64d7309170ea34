// Structured JSON logs, one object a line, for a log aggregator. Every line of a request comes
// from a child logger that carries its request id (see request-log.ts).
import { pino, type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "../config.js";

export type { Logger };

/**
 * Where secrets could sit if something ever logged a request's headers, a WebSocket's connection
 * params or an operation's variables. Nothing here logs them on purpose: this is the second line of
 * defence, for a careless `logger.info({ request })` later on.
 */
const REDACTED_PATHS = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "connectionParams",
  "*.connectionParams",
  "leaseToken",
  "*.leaseToken",
  "variables.leaseToken",
  "*.variables.leaseToken",
  "token",
  "*.token",
  "secret",
  "*.secret",
  "variables.token",
  "*.variables.token",
  "variables.secret",
  "*.variables.secret",
];

export type LoggerOptions = {
  level?: LogLevel;
  /** Where lines go; standard output when absent. Tests pass a stream that collects them. */
  destination?: DestinationStream;
};

export function createLogger({ level = "info", destination }: LoggerOptions = {}): Logger {
  return pino(
    {
      level,
      base: { service: "jobgraph" },
      // Level names and ISO times read the same in every aggregator, without pino's numbers.
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    },
    destination,
  );
}

/** A logger that writes nothing: the default of an app built without one (as most tests do). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
