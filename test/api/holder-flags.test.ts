// The holder's permission flags: a job's viewerCanStart, viewerCanReportProgress, viewerCanRelease
// and viewerCanFinish, and a task's viewerCanStart, viewerCanReportProgress and viewerCanFinish,
// are true exactly when the viewer's call would be accepted now (each checked by making the call).
import { beforeAll, describe, expect, it } from "vitest";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createTestNode, createTestUser, type TestNode, type TestUser } from "../helpers/principals.js";

let database: TestDatabase;
let api: TestApi;
let alice: TestUser;
let holder: TestNode;
let other: TestNode;

const send = (query: string, variables: Record<string, unknown> = {}, token?: string) => sendText(api, query, variables, token);

const JOB_FLAGS = "viewerCanStart viewerCanReportProgress viewerCanRelease viewerCanFinish";
const TASK_FLAGS = "name viewerCanStart viewerCanReportProgress viewerCanFinish";

async function flags(job: string, token: string) {
  const answer = await send(`query ($id: ID!) { job(id: $id) { ${JOB_FLAGS} tasks(first: 10) { edges { node { ${TASK_FLAGS} } } } } }`, { id: job }, token);
  const { tasks, ...own } = answer.job as unknown as Record<string, boolean> & { tasks: { edges: Array<{ node: Record<string, unknown> }> } };
  return { job: own, tasks: Object.fromEntries(tasks.edges.map((e) => [e.node.name, e.node])) };
}

beforeAll(async () => {
  database = await createTestDatabase();
  api = await createTestApi(database);
  alice = await createTestUser(database.db, "USER", "alice");
  holder = await createTestNode(database.db, "holder");
  other = await createTestNode(database.db, "other");
  await send(`mutation { createJobTemplate(input: { name: "flags", executor: { name: "python" } }) { __typename } }`, {}, alice.secret);
});

describe("the holder's flags", () => {
  it("follow the job's state and the viewer's role, and the tasks' stages", async () => {
    const created = await send(
      `mutation { createJob(input: { templateName: "flags", tasks: [{ name: "a" }, { name: "b", sequence: 1 }] }) { ... on CreateJobPayload { job { id } } } }`,
      {},
      alice.secret,
    );
    const id = (created.createJob as unknown as { job: { id: string } }).job.id;
    const none = { viewerCanStart: false, viewerCanReportProgress: false, viewerCanRelease: false, viewerCanFinish: false };
    expect((await flags(id, holder.secret)).job).toEqual(none);

    const acquired = await send(`mutation ($id: ID!) { acquireJob(id: $id) { ... on AcquireJobPayload { lease { token } } } }`, { id }, holder.secret);
    const lease = (acquired.acquireJob as unknown as { lease: { token: string } }).lease.token;
    expect((await flags(id, holder.secret)).job).toEqual({ viewerCanStart: true, viewerCanReportProgress: false, viewerCanRelease: true, viewerCanFinish: false });
    expect((await flags(id, other.secret)).job).toEqual(none);
    expect((await flags(id, alice.secret)).job).toEqual(none);

    await send(`mutation ($id: ID!, $lease: String!) { startJob(id: $id, leaseToken: $lease) { __typename } }`, { id, lease }, holder.secret);
    const running = await flags(id, holder.secret);
    expect(running.job).toEqual({ viewerCanStart: false, viewerCanReportProgress: true, viewerCanRelease: true, viewerCanFinish: true });
    // "b" waits for "a", a lower sequence.
    expect(running.tasks).toEqual({
      a: { name: "a", viewerCanStart: true, viewerCanReportProgress: false, viewerCanFinish: false },
      b: { name: "b", viewerCanStart: false, viewerCanReportProgress: false, viewerCanFinish: false },
    });
    expect((await flags(id, other.secret)).tasks.a).toMatchObject({ viewerCanStart: false });
    // An admin may act on the tasks of a running job without a lease, as the flags say.
    expect((await flags(id, api.admin.secret)).tasks.a).toMatchObject({ viewerCanStart: true });

    const tasks = await send(`query ($id: ID!) { job(id: $id) { tasks(first: 10) { edges { node { id name } } } } }`, { id }, alice.secret);
    const ids = Object.fromEntries((tasks.job as unknown as { tasks: { edges: Array<{ node: { id: string; name: string } }> } }).tasks.edges.map((e) => [e.node.name, e.node.id]));
    // What the flags said is what the calls answer.
    const refusedB = await send(`mutation ($id: ID!, $lease: String!) { startTask(id: $id, leaseToken: $lease) { __typename } }`, { id: ids.b, lease }, holder.secret);
    expect(refusedB.startTask!.__typename).toBe("InvalidTransitionError");
    const startedA = await send(`mutation ($id: ID!, $lease: String!) { startTask(id: $id, leaseToken: $lease) { __typename } }`, { id: ids.a, lease }, holder.secret);
    expect(startedA.startTask!.__typename).toBe("TaskPayload");
    expect((await flags(id, holder.secret)).tasks.a).toEqual({ name: "a", viewerCanStart: false, viewerCanReportProgress: true, viewerCanFinish: true });
    await send(`mutation ($id: ID!, $lease: String!) { finishTask(id: $id, leaseToken: $lease, success: true) { __typename } }`, { id: ids.a, lease }, holder.secret);
    expect((await flags(id, holder.secret)).tasks.b).toMatchObject({ viewerCanStart: true });
  });
});
