import type { Limits } from "../config.js";
import type { Db } from "../db/client.js";
import type { LogLimits } from "../domain/logs.js";
import type { OutputStorage } from "../domain/outputs.js";
import type { Principal } from "../domain/principal.js";
import type { EventStream } from "../events/event-stream.js";
import type { Loaders } from "./loaders.js";
import type { OpenStreams } from "./subscribe.js";

/** Settings of the API that resolvers need. */
export type ApiSettings = {
  maxPageSize: number;
  defaultPageSize: number;
  /** How long a worker node's lease lasts unless renewed. */
  leaseSeconds: number;
  /** What each job's log keeps (the defaults unless given). */
  logLimits?: LogLimits;
};

/**
 * One context per request, built by the same factory for every transport. The database handle is
 * here because each app instance (and each test) has its own; resolvers hand it to domain functions
 * and never query through it themselves.
 */
export type Context = {
  db: Db;
  settings: ApiSettings;
  limits: Limits;
  /** Where output content is stored. */
  outputs: OutputStorage;
  /** The job event stream of this instance, for subscriptions. */
  events: EventStream;
  /** Who is calling; requests without a valid token never reach a resolver. */
  viewer: Principal | null;
  /** Batched reads of jobs and what hangs off them, for this request. */
  loaders: Loaders;
  /** The tasks this request's mutations have added: one request adds at most 10,000 (see TaskTally). */
  tasksAdded: number;
  /** The characters this request's mutations were given so far (see mutationInputSize in input-guard.ts). */
  mutationInput: number;
  /** The subscriptions open on this instance, by token (see OpenStreams); none in contexts made outside an app. */
  streams?: OpenStreams;
};
