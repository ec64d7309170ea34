// What a worker's job costs PostgreSQL: each document the SDK sends over a job's life (src/sdk/
// operations.ts, with the fields runWorker asks for) is answered with the statements its change
// needs and nothing read again after it. A claim answers the job's template from the claim's own
// statement (it used to be read again, one statement in every 20 of a worker's), and each
// transition answers from the row its statement returned.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { beforeAll, describe, expect, it } from "vitest";
import { AcquireNextJob, FinishJob, FinishTask, ReportJobProgress, ReportTaskProgress, StartJob, StartTask } from "../../src/sdk/operations.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, type TestNode } from "../helpers/principals.js";

// Authenticating the caller is a statement of its own (cached after), and a NOTIFY after a change
// wakes other instances outside the change's transaction: neither is the document's.
const isOwn = (sql: string) => !/\/\* (authenticate|touchToken|wakeInstances) \*\//.test(sql);

describe("a worker's documents", () => {
  let database: TestDatabase;
  let api: TestApi;
  let node: TestNode;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    node = await createTestNode(database.db, "statements-node");
    await database.db.workerNode.update({ where: { id: node.id }, data: { executors: ["python"], cpu: 4, memory: 8192 } });
    const template = await createTemplate(database.db, "statements", 1);
    await createJobs(database.db, template.id, 1, { tasks: 2, spec: () => ({ queue: "statements" }) });
  });

  /** Sends `document` as the node; returns its answer and the statements it cost. */
  async function counted<R, V>(document: TypedDocumentNode<R, V>, variables: V) {
    database.counter.reset();
    const data = await api.query(document, variables, { token: node.secret });
    return { data: data as Record<string, { __typename: string } & Record<string, unknown>>, statements: database.counter.statements.filter(isOwn) };
  }

  it("cost one statement each, the claim's template and the start's tasks included", async () => {
    const claimed = await counted(AcquireNextJob, { filter: { queues: ["statements"] } });
    const answer = claimed.data.acquireNextJob as unknown as { job: { id: string; template: unknown } | null; lease: { token: string } | null };
    expect(answer.job).toMatchObject({ template: { name: "statements", version: 1, executor: { name: "python", version: "3.11" } } });
    expect(claimed.statements, claimed.statements.join("\n\n")).toHaveLength(1);
    expect(claimed.statements[0]).toContain("/* acquireNextJob */");
    const job = answer.job!;
    const lease = answer.lease!.token;

    const started = await counted(StartJob, { id: job.id, leaseToken: lease });
    expect(started.data.startJob!.__typename).toBe("LeasePayload");
    // The start, with the first page of the job's tasks that its answer holds.
    expect(started.statements, started.statements.join("\n\n")).toHaveLength(1);
    expect(started.statements[0]).toContain(`as "firstTasks"`);
    const tasks = (started.data.startJob as unknown as { job: { tasks: { edges: Array<{ node: { id: string } }> } } }).job.tasks.edges.map((e) => e.node.id);
    expect(tasks).toHaveLength(2);

    for (const [document, variables, answer] of [
      [StartTask, { id: tasks[0]!, leaseToken: lease }, "TaskPayload"],
      [ReportTaskProgress, { id: tasks[0]!, leaseToken: lease, progress: 0.5 }, "TaskPayload"],
      [FinishTask, { id: tasks[0]!, leaseToken: lease, success: true, output: null }, "TaskPayload"],
      [ReportJobProgress, { id: job.id, leaseToken: lease, progress: 0.5, detail: { step: 1 } }, "LeasePayload"],
      [StartTask, { id: tasks[1]!, leaseToken: lease }, "TaskPayload"],
      [FinishTask, { id: tasks[1]!, leaseToken: lease, success: true, output: null }, "TaskPayload"],
      [FinishJob, { id: job.id, leaseToken: lease, error: null, retryable: false }, "JobPayload"],
    ] as const) {
      const sent = await counted(document as TypedDocumentNode<unknown, Record<string, unknown>>, variables);
      const [field] = Object.keys(sent.data);
      expect(sent.data[field!]!.__typename, field).toBe(answer);
      expect(sent.statements, `${field}:\n${sent.statements.join("\n\n")}`).toHaveLength(1);
    }
  });

  it("a claim that finds nothing answers null, in one statement", async () => {
    const { data, statements } = await counted(AcquireNextJob, { filter: { queues: ["statements"] } });
    expect(data.acquireNextJob).toMatchObject({ __typename: "AcquireJobPayload", job: null, lease: null });
    expect(statements).toHaveLength(1);
  });
});
