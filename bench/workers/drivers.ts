// Two ways to run a job's lifecycle (acquire -> start, which answers the job's tasks -> each
// stage's tasks started, reported and finished together, the job's progress reported with the
// stage's finishes -> finish): through a gateway's GraphQL API, as a worker node running the SDK
// does, and the floor: the same SQL statements sent straight to PostgreSQL.
import http from "node:http";
import { Kind, print, type DocumentNode, type OperationDefinitionNode } from "graphql";
import pg from "pg";
import type { Db } from "../../src/db/client.js";
import { Prisma } from "../../src/db/generated/prisma/client.js";
import { statementConfig } from "../../src/db/rows.js";
import { acquireNextJob } from "../../src/domain/claiming.js";
import type { FirstPage, JobRow } from "../../src/domain/job-reads.js";
import type { TaskOrder } from "../../src/domain/tasks.js";
import type { NodePrincipal } from "../../src/domain/principal.js";
import { finishTask, reportTaskProgress, startTask } from "../../src/domain/task-lifecycle.js";
import { finishJob, reportJobProgress, startJob } from "../../src/domain/transitions.js";
import { combine, MAX_BATCH, split, type OperationAnswer } from "../../src/sdk/batch.js";
import { AcquireNextJob, AppendJobLog, FinishJob, FinishTask, ReportJobProgress, ReportTaskProgress, StartJob, StartTask } from "../../src/sdk/operations.js";
import type { Gateway } from "../lib.js";
import { QUEUE, uuidOf, type BenchNode } from "./queue.js";

/** A job a worker holds: `ref` is what the driver sends, `id` the job's UUID, for the checks. */
export type HeldJob = { ref: string; id: string; lease: string };

/** A task of the held job: `ref` is what the driver sends. */
export type HeldTask = { ref: string; sequence: number };

export type Driver = {
  /** The next job, or null when none is claimable. */
  acquire(): Promise<HeldJob | null>;
  /** Starts the job; answers its tasks, in order of arrival (startJob's answer holds them). */
  start(job: HeldJob): Promise<HeldTask[]>;
  progress(job: HeldJob, fraction: number, step: number): Promise<void>;
  startTask(job: HeldJob, task: HeldTask): Promise<void>;
  taskProgress(job: HeldJob, task: HeldTask, fraction: number): Promise<void>;
  finishTask(job: HeldJob, task: HeldTask): Promise<void>;
  finish(job: HeldJob): Promise<void>;
  /** Appends a batch of log lines to the job, as the SDK does every half second; absent: no logs. Returns the lines sent. */
  log?(job: HeldJob): Promise<number>;
  close(): Promise<void>;
};

/** A batch of log lines of the length and shape a worker prints (about 80 bytes each). */
const logBatch = (lines: number) =>
  Array.from({ length: lines }, (_, i) => ({ stream: i % 10 === 9 ? "STDERR" : "STDOUT", line: `2026-12-05 10:00:00 INFO step ${i}: processed batch of 512 records in 12 ms` }));

/** How long a lease lasts, for the gateways (JOBGRAPH_LEASE_SECONDS) and the floor alike. */
export const LEASE_SECONDS = 120;

// The documents runWorker sends (src/sdk/operations.ts), so the gateway does what it does for a
// real worker: acquireNextJob reads the job's fields, template and values; startJob the job's
// tasks (the first page, which holds a benchmark job's 4); the task mutations the tasks' worker
// fields; finishJob the job's status. Calls made in the same tick go as one document, as the
// SDK's runWorker sends them (src/sdk/batch.ts builds it for both).

/** The key of a document's answer: the field its operation asks for at the root. */
function rootFieldOf(document: DocumentNode): string {
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const field = operation?.selectionSet.selections[0];
  if (field?.kind !== Kind.FIELD) throw new Error("a document without a root field");
  return field.alias?.value ?? field.name.value;
}

type Answer = { data?: Record<string, unknown> | null; errors?: OperationAnswer["errors"] };

type Call = { document: DocumentNode; variables: Record<string, unknown>; expected: string; resolve(result: Record<string, unknown>): void; reject(error: Error): void };

const texts = new Map<DocumentNode, string>();
const textOf = (document: DocumentNode) => texts.get(document) ?? texts.set(document, print(document)).get(document)!;

/**
 * A worker node talking to one gateway over a keep-alive connection. node:http rather than fetch:
 * the load generator shares two cores with what it measures, and undici costs more CPU per call.
 */
export function graphqlDriver(gw: Gateway, node: BenchNode, agent: http.Agent, logLinesPerJob = 0): Driver {
  const headers = { "content-type": "application/json", accept: "application/graphql-response+json, application/json", authorization: `Bearer ${node.secret}` };
  const post = (body: string) =>
    new Promise<Answer>((resolve, reject) => {
      const request = http.request(
        { host: "127.0.0.1", port: gw.port, path: "/graphql", method: "POST", agent, headers: { ...headers, "content-length": Buffer.byteLength(body) } },
        (response) => {
          const pieces: Buffer[] = [];
          response.on("data", (piece: Buffer) => pieces.push(piece));
          response.on("end", () => {
            const text = Buffer.concat(pieces).toString("utf8");
            try {
              resolve(JSON.parse(text) as Answer);
            } catch {
              reject(new Error(`HTTP ${response.statusCode} ${text.slice(0, 200)}`));
            }
          });
          response.on("error", reject);
        },
      );
      request.on("error", reject);
      request.end(body);
    });
  /** Each call's own answer: its root field's result, of the type expected. */
  const settle = (c: Call, answer: OperationAnswer) => {
    const field = rootFieldOf(c.document);
    const result = answer.data?.[field] as ({ __typename: string; message?: string } & Record<string, unknown>) | undefined;
    if (answer.errors.length || !result || result.__typename !== c.expected) {
      c.reject(new Error(`${field}: ${result ? `${result.__typename} ${result.message ?? ""}` : JSON.stringify(answer.errors)}`));
    } else c.resolve(result);
  };
  const send = async (calls: Call[]) => {
    const combined = calls.length > 1 ? combine(calls) : null;
    try {
      if (!combined) {
        for (const c of calls) {
          const answer = await post(JSON.stringify({ query: textOf(c.document), variables: c.variables }));
          settle(c, { data: answer.data ?? null, errors: answer.errors ?? [] });
        }
        return;
      }
      const answer = await post(JSON.stringify(combined));
      split(calls, { data: answer.data ?? null, errors: answer.errors ?? [] }).forEach((own, i) => settle(calls[i]!, own));
    } catch (error) {
      for (const c of calls) c.reject(error as Error);
    }
  };
  let waiting: Call[] = [];
  const flush = async () => {
    const calls = waiting;
    waiting = [];
    for (let i = 0; i < calls.length; i += MAX_BATCH) await send(calls.slice(i, i + MAX_BATCH));
  };
  const call = (document: DocumentNode, variables: Record<string, unknown>, expected: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      if (!waiting.length) setImmediate(() => void flush());
      waiting.push({ document, variables, expected, resolve, reject });
    });
  const filter = { queues: [QUEUE] };
  return {
    async acquire() {
      const result = (await call(AcquireNextJob, { filter }, "AcquireJobPayload")) as { job: { id: string } | null; lease: { token: string } | null };
      return result.job ? { ref: result.job.id, id: uuidOf(result.job.id), lease: result.lease!.token } : null;
    },
    async start(job) {
      const result = (await call(StartJob, { id: job.ref, leaseToken: job.lease }, "LeasePayload")) as { job: { tasks: { edges: Array<{ node: { id: string; sequence: number } }> } } };
      return result.job.tasks.edges.map((edge) => ({ ref: edge.node.id, sequence: edge.node.sequence }));
    },
    async progress(job, fraction, step) {
      await call(ReportJobProgress, { id: job.ref, leaseToken: job.lease, progress: fraction, detail: { step } }, "LeasePayload");
    },
    async startTask(job, task) {
      await call(StartTask, { id: task.ref, leaseToken: job.lease }, "TaskPayload");
    },
    async taskProgress(job, task, fraction) {
      await call(ReportTaskProgress, { id: task.ref, leaseToken: job.lease, progress: fraction }, "TaskPayload");
    },
    async finishTask(job, task) {
      await call(FinishTask, { id: task.ref, leaseToken: job.lease, success: true, output: null }, "TaskPayload");
    },
    async finish(job) {
      const result = (await call(FinishJob, { id: job.ref, leaseToken: job.lease, error: null, retryable: false }, "JobPayload")) as { job: { status: string } };
      if (result.job.status !== "SUCCEEDED") throw new Error(`finishJob: the job is ${result.job.status}`);
    },
    ...(logLinesPerJob > 0
      ? {
          async log(job: HeldJob) {
            const lines = logBatch(logLinesPerJob);
            await call(AppendJobLog, { input: { job: job.ref, leaseToken: job.lease, task: null, lines } }, "AppendJobLogPayload");
            return lines.length;
          },
        }
      : {}),
    async close() {},
  };
}

/**
 * The first page of tasks the gateway reads with startJob for its job { tasks(first: 100) }: one
 * row more than it holds, for the two columns the floor's loop reads (which task, and its stage).
 */
const FIRST_TASKS: FirstPage<TaskOrder> = { take: 101, fields: new Set(["id", "sequence"]) };

/**
 * The floor: jobgraph's own domain functions (src/domain/claiming.ts, transitions.ts,
 * task-lifecycle.ts) over one node-postgres connection instead of Prisma, so each step sends
 * exactly the statement the gateway sends for it, built by the same code, and nothing else: no
 * GraphQL, no authentication, no reads of the result. The job's task list comes with startJob, as
 * it does for the gateway, for the two columns the loop needs rather than every column the SDK's
 * fragment asks for.
 */
export async function sqlDriver(url: string, node: BenchNode): Promise<Driver> {
  // A pool of one connection: it runs a query object (statementConfig) as a promise, as the
  // gateway's pool does.
  const client = new pg.Pool({ connectionString: url, application_name: "jobgraph-bench-floor", max: 1 });
  client.on("error", () => undefined);
  await client.query("select 1");
  const refused = async () => Promise.reject(new Error("the statement changed no row"));
  const db = {
    // Statements come as one Prisma.sql (sqlRows on a client without a pool) or as template strings.
    // Prepared, as the gateway's pool runs them (src/db/rows.ts).
    $queryRaw: async (strings: TemplateStringsArray | Prisma.Sql, ...values: unknown[]) => {
      const statement = strings instanceof Prisma.Sql ? strings : Prisma.sql(strings, ...(values as Prisma.Sql[]));
      return ((await client.query(statementConfig(statement.text, statement.values, true))) as unknown as pg.QueryResult).rows;
    },
    // Text and values (queryRows on a client without a pool): unprepared, as queryRows runs them
    // on the gateway's pool.
    $queryRawUnsafe: async (text: string, ...values: unknown[]) => ((await client.query(statementConfig(text, values, false))) as unknown as pg.QueryResult).rows,
    // A domain function that sends several statements as one transaction (finishTask's failure,
    // finishJob's fromTasks) sends them so here too, on the one connection: the floor runs what the
    // gateway runs, however the domain function comes to send it.
    $transaction: async <T>(body: (tx: Db) => Promise<T>): Promise<T> => {
      await client.query("begin");
      try {
        const result = await body(db);
        await client.query("commit");
        return result;
      } catch (error) {
        await client.query("rollback");
        throw error;
      }
    },
    // A transition reads the job or the task back only when its statement changed nothing, to say why.
    job: { findUnique: refused },
    task: { findUnique: refused },
  } as unknown as Db;
  const actor: NodePrincipal = { kind: "NODE", nodeId: node.id, name: node.name, tokenId: node.id };
  const settings = { leaseSeconds: LEASE_SECONDS };
  return {
    async acquire() {
      const changed = await acquireNextJob(db, actor, { queues: [QUEUE] }, settings);
      return changed ? { ref: changed.id, id: changed.id, lease: changed.leaseToken! } : null;
    },
    async start(job) {
      const started = (await startJob(db, actor, job.ref, job.lease, settings, { tasks: FIRST_TASKS })) as JobRow;
      return started.firstTasks!.rows.map((task) => ({ ref: task.id, sequence: task.sequence }));
    },
    async progress(job, fraction, step) {
      await reportJobProgress(db, actor, job.ref, { leaseToken: job.lease, progress: fraction, detail: { step } }, settings);
    },
    async startTask(job, task) {
      await startTask(db, actor, task.ref, job.lease);
    },
    async taskProgress(job, task, fraction) {
      await reportTaskProgress(db, actor, task.ref, job.lease, fraction);
    },
    async finishTask(job, task) {
      await finishTask(db, actor, task.ref, job.lease, { success: true, output: null });
    },
    async finish(job) {
      const changed = await finishJob(db, actor, job.ref, { leaseToken: job.lease });
      if (changed.status !== "SUCCEEDED") throw new Error(`finishJob: the job is ${changed.status}`);
    },
    close: () => client.end(),
  };
}
