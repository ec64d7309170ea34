// The jobgraph SDK: a typed client and runWorker, which turns a handler into a worker node.
export {
  createJobgraphClient,
  GraphQLRequestError,
  NetworkError,
  RefusedError,
  type ClientOptions,
  type JobgraphClient,
  type UploadedOutput,
  type UploadOptions,
} from "./client.js";
export {
  JobAbortedError,
  RetryableError,
  runWorker,
  type AbortReason,
  type JobContext,
  type Worker,
  type WorkerFilter,
  type WorkerJob,
  type WorkerOptions,
  type WorkerTask,
} from "./worker.js";
export type { LogStreamName } from "./log-buffer.js";
