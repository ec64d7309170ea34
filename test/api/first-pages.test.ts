// A first page of a list, asked for with literal arguments, is read in its parent's own statement:
// a job's detail with its first tasks, outputs and events is one statement, as are a page of users
// with their first tokens, of schedules with their first ticks, of templates with their first
// jobs and of worker nodes with the first jobs they hold. Those rows must be exactly what the
// list's own statement reads (the same document with its page size in a variable is read that
// way): times, int8 ids and their cursors, joined rows, order, hasNextPage. And a page read for one
// selection must never answer another: two aliases of the list, a cursor, a filter, the same job
// reached again under a task.
import { parse } from "graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, type TestNode } from "../helpers/principals.js";

// Authenticating the caller is a statement of its own, whatever the query; it is not counted.
const isAuthentication = (sql: string) => /\/\* (authenticate|touchToken) \*\//.test(sql);

describe("a first page read with its parent", () => {
  let database: TestDatabase;
  let api: TestApi;
  let jobId: string;
  let jobIds: string[];

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    const template = await createTemplate(database.db, "first-pages", 1);
    jobIds = await createJobs(database.db, template.id, 3, { tasks: 7, outputs: 4, spec: () => ({ queue: "first-pages" }) });
    jobId = jobIds[0]!;
    // Times, JSON and a joined row on the tasks, so that every kind of column crosses the JSON.
    const tasks = await database.db.task.findMany({ where: { jobId }, orderBy: { qsequence: "asc" } });
    await database.db.task.update({
      where: { id: tasks[3]!.id },
      data: { status: "RUNNING", progress: 0.25, startTime: new Date("2026-03-04T05:06:07.089Z"), parameters: { lr: 0.1, layers: [1, 2] }, stoppedByTaskId: tasks[0]!.id },
    });
    await database.db.task.update({ where: { id: tasks[5]!.id }, data: { endTime: new Date("2026-03-04T06:00:00.001Z"), createdByTaskId: tasks[3]!.id } });
    // Outputs past 2^32 bytes and events with their task and actor, so that int8s cross the JSON too.
    await database.pool.query(`update job_outputs set size = 5000000000 + size where job_id = $1`, [jobId]);
    await database.pool.query(
      `insert into job_events (job_id, task_id, kind, job_version, progress, detail, actor_user_id, at)
       select $1, case when k % 2 = 0 then $2::uuid end, 'PROGRESS', k, k / 20.0, jsonb_build_object('step', k), $3, timestamptz '2026-03-04 05:00:00.123Z' + k * interval '1 second'
       from generate_series(1, 12) k`,
      [jobId, tasks[2]!.id, api.admin.id],
    );

    const users = await Promise.all(
      ["first-pages-a", "first-pages-b"].map((name) => database.db.user.create({ data: { name, email: `${name}@example.com`, role: "USER" } })),
    );
    for (const [u, user] of users.entries()) {
      await database.db.apiToken.createMany({
        data: Array.from({ length: 4 + u }, (_, i) => ({
          name: `token ${i}`,
          prefix: `fp${u}${i}`,
          hash: `${u}${i}`.padStart(64, "f"),
          userId: user.id,
          createdAt: new Date(Date.UTC(2026, 1, 1 + i)),
          expiresAt: i % 2 ? new Date(Date.UTC(2027, 1, 1 + i)) : null,
        })),
      });
    }
    for (const n of [1, 2]) {
      const schedule = await database.db.schedule.create({
        data: { name: `first-pages-${n}`, cron: "0 * * * *", job: { template: "first-pages" }, nextRunAt: new Date(Date.UTC(2027, 0, 1)), creatorId: api.admin.id },
      });
      await database.db.scheduleTick.createMany({
        data: Array.from({ length: 5 }, (_, i) => ({
          scheduleId: schedule.id,
          tickAt: new Date(Date.UTC(2026, 5, 1, i)),
          outcome: i % 2 ? ("SKIPPED_OVERLAP" as const) : ("CREATED" as const),
          jobId: i % 2 ? null : jobIds[i % 3]!,
          detail: i % 2 ? "overlap" : null,
        })),
      });
    }
  });

  async function read(query: string, variables: Record<string, unknown> = {}) {
    database.counter.reset();
    const data = await sendText(api, query, variables);
    return { data: data as Record<string, unknown>, statements: database.counter.statements.filter((sql) => !isAuthentication(sql)) };
  }

  /** The document with its list's page size given as a variable, which its own statement reads. */
  async function readApart(query: string, size: number, variables: Record<string, unknown> = {}) {
    return read(query.replace("LIST_PAGE", "$size").replace(/^query(\(([^)]*)\))?/, (_m, _p, vars) => `query(${vars ? `${vars}, ` : ""}$size: Int)`), { ...variables, size });
  }

  const TASKS = `query($id: ID!) { job(id: $id) { number
    tasks(first: LIST_PAGE, orderBy: { field: NAME, direction: DESC }) { totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id name status progress sequence qsequence startTime endTime createdAt parameters requiredLabels
        mapTask { name } stoppedBy { name } createdByTask { name status } job { number } } } } } }`;

  it("a job's first tasks come in the job's statement, exactly as their own statement reads them", async () => {
    const id = encodeGlobalId("Job", jobId);
    for (const size of [0, 3, 7, 20]) {
      const together = await read(`${TASKS.replace("LIST_PAGE", String(size))}`, { id });
      const apart = await readApart(TASKS, size, { id });
      expect(together.data, `first: ${size}`).toEqual(apart.data);
      expect(together.statements, together.statements.join("\n\n")).toHaveLength(1);
      expect(apart.statements.length).toBeGreaterThan(1);
    }
    const page = (await read(TASKS.replace("LIST_PAGE", "3"), { id })).data.job as { tasks: { edges: Array<{ node: Record<string, unknown> }> } };
    // NAME DESC: "task 6", "task 5", "task 4"; task 5 was created by task 3.
    expect(page.tasks.edges.map((e) => e.node.name)).toEqual(["task 6", "task 5", "task 4"]);
    expect(page.tasks.edges[1]!.node).toMatchObject({ endTime: "2026-03-04T06:00:00.001Z", createdByTask: { name: "task 3", status: "RUNNING" } });
  });

  const OUTPUTS_AND_EVENTS = `query($id: ID!) { job(id: $id) { number
    outputs(first: LIST_PAGE) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name type size sha256 contentType createdAt job { number } } } }
    events(first: 5) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id kind progress detail at jobVersion task { name } actorUser { name } actorNode { name } } } } } }`;

  it("a job's first outputs and events come in the job's statement too, int8 sizes and ids and their cursors as they are", async () => {
    const id = encodeGlobalId("Job", jobId);
    for (const size of [0, 2, 4]) {
      const together = await read(OUTPUTS_AND_EVENTS.replace("LIST_PAGE", String(size)), { id });
      const apart = await read(OUTPUTS_AND_EVENTS.replace("LIST_PAGE", String(size)).replace("events(first: 5)", "events(first: $size)").replace("query($id: ID!)", "query($id: ID!, $size: Int)"), {
        id,
        size: 5,
      });
      const apartOutputs = await readApart(OUTPUTS_AND_EVENTS, size, { id });
      expect(together.data, `first: ${size}`).toEqual(apart.data);
      expect(together.data, `first: ${size}`).toEqual(apartOutputs.data);
      expect(together.statements, together.statements.join("\n\n")).toHaveLength(1);
    }
    const job = (await read(OUTPUTS_AND_EVENTS.replace("LIST_PAGE", "2"), { id })).data.job as {
      outputs: { edges: Array<{ node: { size: unknown } }> };
      events: { pageInfo: { endCursor: string }; edges: Array<{ node: Record<string, unknown> }> };
    };
    expect(job.outputs.edges.map((e) => String(e.node.size))).toEqual(["5000000100", "5000000101"]);
    expect(job.events.edges[1]!.node).toMatchObject({ kind: "PROGRESS", jobVersion: 2, progress: 0.1, detail: { step: 2 }, at: "2026-03-04T05:00:02.123Z", task: { name: "task 2" }, actorUser: { name: api.admin.name }, actorNode: null });
    const next = (await read(`query($id: ID!, $after: String) { job(id: $id) { events(first: 3, after: $after) { edges { node { jobVersion } } } } }`, { id, after: job.events.pageInfo.endCursor }))
      .data.job as { events: { edges: Array<{ node: { jobVersion: number } }> } };
    expect(next.events.edges.map((e) => e.node.jobVersion)).toEqual([6, 7, 8]);
  });

  it("gives JSON, times and joined rows as they are stored", async () => {
    const { data } = await read(`query($id: ID!) { job(id: $id) { tasks(first: 5) { edges { node { name progress startTime parameters mapTask { name } stoppedBy { name } } } } } }`, {
      id: encodeGlobalId("Job", jobId),
    });
    const task = (data.job as { tasks: { edges: Array<{ node: Record<string, unknown> }> } }).tasks.edges[3]!.node;
    expect(task).toEqual({ name: "task 3", progress: 0.25, startTime: "2026-03-04T05:06:07.089Z", parameters: { lr: 0.1, layers: [1, 2] }, mapTask: null, stoppedBy: { name: "task 0" } });
  });

  it("continues from its cursor through the list's own statement", async () => {
    const id = encodeGlobalId("Job", jobId);
    const first = (await read(`query($id: ID!) { job(id: $id) { tasks(first: 3) { pageInfo { endCursor hasNextPage } edges { node { name } } } } }`, { id })).data.job as {
      tasks: { pageInfo: { endCursor: string; hasNextPage: boolean }; edges: Array<{ node: { name: string } }> };
    };
    expect(first.tasks.pageInfo.hasNextPage).toBe(true);
    const next = (await read(`query($id: ID!, $after: String) { job(id: $id) { tasks(first: 3, after: $after) { edges { node { name } } } } }`, { id, after: first.tasks.pageInfo.endCursor }))
      .data.job as { tasks: { edges: Array<{ node: { name: string } }> } };
    expect([...first.tasks.edges, ...next.tasks.edges].map((e) => e.node.name)).toEqual(["task 0", "task 1", "task 2", "task 3", "task 4", "task 5"]);
  });

  it("a page of jobs with their first tasks is one statement", async () => {
    const query = `query { jobs(first: 10, filter: { queue: ["first-pages"] }, orderBy: { field: NUMBER, direction: ASC }) { edges { node { number
      tasks(first: LIST_PAGE) { totalCount edges { node { name sequence } } } } } } }`;
    const together = await read(query.replace("LIST_PAGE", "2"));
    const apart = await readApart(query, 2);
    expect(together.data).toEqual(apart.data);
    expect((together.data.jobs as { edges: unknown[] }).edges).toHaveLength(3);
    expect(together.statements, together.statements.join("\n\n")).toHaveLength(1);
  });

  it("never answers a selection it was not read for", async () => {
    const id = encodeGlobalId("Job", jobId);
    // Two aliases of the list: each its own page.
    const aliases = await read(`query($id: ID!) { job(id: $id) { a: tasks(first: 2) { edges { node { name } } } b: tasks(first: 3, orderBy: { field: NAME, direction: DESC }) { edges { node { name } } } } }`, { id });
    expect(aliases.data.job).toEqual({
      a: { edges: [{ node: { name: "task 0" } }, { node: { name: "task 1" } }] },
      b: { edges: [{ node: { name: "task 6" } }, { node: { name: "task 5" } }, { node: { name: "task 4" } }] },
    });
    // A filtered list is its own statement's.
    const filtered = await read(`query($id: ID!) { job(id: $id) { tasks(first: 5, filter: { status: [RUNNING] }) { totalCount edges { node { name } } } } }`, { id });
    expect(filtered.data.job).toEqual({ tasks: { totalCount: 1, edges: [{ node: { name: "task 3" } }] } });
    // The job again under each of its tasks, with another first page of its tasks: each its own.
    const again = await read(
      `query($id: ID!) { job(id: $id) { tasks(first: 2) { edges { node { name job { number tasks(first: 1, orderBy: { field: NAME, direction: DESC }) { edges { node { name status } } } } } } } } }`,
      { id },
    );
    const edges = (again.data.job as { tasks: { edges: Array<{ node: { name: string; job: { tasks: unknown } } }> } }).tasks.edges;
    expect(edges.map((e) => e.node.name)).toEqual(["task 0", "task 1"]);
    for (const edge of edges) expect(edge.node.job.tasks).toEqual({ edges: [{ node: { name: "task 6", status: "QUEUED" } }] });
    // The same fragment at two places: the page read for it serves both.
    const fragment = await read(
      `query($id: ID!) { job(id: $id) { ...Firsts tasks(first: 1) { edges { node { job { ...Firsts } } } } } } fragment Firsts on Job { number tasks(first: 1) { edges { node { name } } } }`,
      { id },
    );
    expect(fragment.data.job).toMatchObject({ tasks: { edges: [{ node: { name: "task 0", job: { tasks: { edges: [{ node: { name: "task 0" } }] } } } }] } });
  });

  const USERS = `query { users(first: 10, filter: { nameContains: "first-pages" }) { totalCount edges { node { name
    tokens(first: LIST_PAGE) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name prefix createdAt expiresAt revokedAt } } } } } } }`;

  it("a page of users with their first tokens is one statement, and the same rows", async () => {
    for (const size of [0, 2, 5, 10]) {
      const together = await read(USERS.replace("LIST_PAGE", String(size)));
      const apart = await readApart(USERS, size);
      expect(together.data, `first: ${size}`).toEqual(apart.data);
      expect(together.statements, together.statements.join("\n\n")).toHaveLength(1);
    }
    const users = (await read(USERS.replace("LIST_PAGE", "2"))).data.users as { edges: Array<{ node: { tokens: { totalCount: number; edges: Array<{ node: { name: string; expiresAt: string | null } }> } } }> };
    expect(users.edges.map((e) => e.node.tokens.totalCount)).toEqual([4, 5]);
    // Newest first: the fourth token (created on February 4th, expiring 2027-02-04) leads.
    expect(users.edges[0]!.node.tokens.edges.map((e) => e.node)).toEqual([
      { name: "token 3", expiresAt: "2027-02-04T00:00:00.000Z" },
      { name: "token 2", expiresAt: null },
    ].map((t) => expect.objectContaining(t)));
  });

  it("a page of templates with their first jobs, and of nodes with the first jobs they hold, is one statement, and the same rows", async () => {
    const node = await database.db.workerNode.create({ data: { name: "first-pages-node" } });
    await database.pool.query(`update jobs set status = 'ACQUIRED', node_id = $1, lease_token = gen_random_uuid(), lease_expires_at = now() + interval '1 hour' where id = any($2::uuid[])`, [node.id, jobIds.slice(0, 2)]);
    await database.db.job.update({ where: { id: jobIds[1]! }, data: { creatorId: api.admin.id } });
    const lists = {
      templates: `query { jobTemplates(first: 10, filter: { name: "first-pages" }) { edges { node { name
        jobs(first: LIST_PAGE) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id number name status createdAt tags inputValues { name value }
          template { name version } creator { name } node { name } tasks(first: 2) { totalCount edges { node { name startTime } } } } } } } } } }`,
      nodes: `query { workerNodes(first: 10) { edges { node { name
        currentJobs(first: LIST_PAGE) { totalCount pageInfo { hasNextPage } edges { cursor node { number status leaseExpiresAt outputs(first: 1) { edges { node { size } } } } } } } } } }`,
    };
    for (const [name, query] of Object.entries(lists)) {
      for (const size of [0, 1, 3]) {
        const together = await read(query.replace("LIST_PAGE", String(size)));
        const apart = await readApart(query, size);
        expect(together.data, `${name}, first: ${size}`).toEqual(apart.data);
        expect(together.statements, together.statements.join("\n\n")).toHaveLength(1);
      }
    }
    const templates = (await read(lists.templates.replace("LIST_PAGE", "3"))).data.jobTemplates as {
      edges: Array<{ node: { jobs: { edges: Array<{ node: { number: number; creator: unknown; node: unknown; tasks: { totalCount: number } } }> } } }>;
    };
    // Newest first: the third job, then the second (the admin's, held by the node).
    const jobs = templates.edges[0]!.node.jobs.edges.map((e) => e.node);
    expect(jobs.map((j) => [j.creator, j.node, j.tasks.totalCount])).toEqual([
      [null, null, 7],
      [{ name: api.admin.name }, { name: "first-pages-node" }, 7],
      [null, { name: "first-pages-node" }, 7],
    ]);
  });

  it("refuses a page past the gateway's page size limit as before, though the list could come with its parent", async () => {
    const small = await createTestApi(database, { settings: { maxPageSize: 5 } });
    const result = await small.request(parse(`query($id: ID!) { job(id: $id) { number tasks(first: 6) { edges { node { name } } } } }`), { id: encodeGlobalId("Job", jobId) });
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(["PAGE_SIZE_EXCEEDED"]);
    expect(result.data).toEqual({ job: null });
    const within = await small.request(parse(`query($id: ID!) { job(id: $id) { tasks(first: 5) { edges { node { name } } } } }`), { id: encodeGlobalId("Job", jobId) });
    expect(within.errors).toBeUndefined();
    expect((within.data as { job: { tasks: { edges: unknown[] } } }).job.tasks.edges).toHaveLength(5);
  });

  const SCHEDULES = `query { schedules(first: 10) { edges { node { name
    ticks(first: LIST_PAGE) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { tickAt outcome detail handledAt job { number } } } } } } } }`;

  it("a page of schedules with their first ticks is one statement for the page and ticks, and the same rows, cursors included", async () => {
    for (const size of [0, 2, 5]) {
      const together = await read(SCHEDULES.replace("LIST_PAGE", String(size)));
      const apart = await readApart(SCHEDULES, size);
      expect(together.data, `first: ${size}`).toEqual(apart.data);
      // The ticks' jobs are read by their loader, once for the page.
      expect(together.statements.length, together.statements.join("\n\n")).toBeLessThan(apart.statements.length);
    }
    const schedules = (await read(SCHEDULES.replace("LIST_PAGE", "2"))).data.schedules as {
      edges: Array<{ node: { name: string; ticks: { edges: Array<{ cursor: string; node: { tickAt: string; job: unknown } }> } } }>;
    };
    const ticks = schedules.edges.find((e) => e.node.name === "first-pages-1")!.node.ticks.edges;
    // The latest handled first: ids are int8, and a tick's cursor names its id.
    expect(ticks.map((t) => t.node.tickAt)).toEqual(["2026-06-01T04:00:00.000Z", "2026-06-01T03:00:00.000Z"]);
    const next = (await read(`query($after: String) { schedules(first: 10) { edges { node { name ticks(first: 2, after: $after) { edges { node { tickAt } } } } } } }`, { after: ticks[1]!.cursor }))
      .data.schedules as { edges: Array<{ node: { name: string; ticks: { edges: Array<{ node: { tickAt: string } }> } } }> };
    expect(next.edges.find((e) => e.node.name === "first-pages-1")!.node.ticks.edges.map((t) => t.node.tickAt)).toEqual(["2026-06-01T02:00:00.000Z", "2026-06-01T01:00:00.000Z"]);
  });
});

// A worker reads its job's tasks from startJob's answer (the SDK asks for tasks(first: 100)):
// they come in the statement that starts the job. Its events do not: that statement's own event
// is not visible to its reads, so a first page of events is read apart, and holds it.
describe("startJob's answer with the job's first pages", () => {
  let database: TestDatabase;
  let api: TestApi;
  let node: TestNode;
  let jobIds: string[];

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    node = await createTestNode(database.db);
    const template = await createTemplate(database.db, "first-pages-start", 1);
    jobIds = await createJobs(database.db, template.id, 4, { tasks: 5, outputs: 2, spec: () => ({ queue: "first-pages-start" }) });
    const tasks = await database.db.task.findMany({ where: { jobId: { in: jobIds } } });
    for (const task of tasks.filter((t) => t.qsequence === 2)) {
      await database.db.task.update({ where: { id: task.id }, data: { parameters: { lr: 0.1 }, startTime: new Date("2026-03-04T05:06:07.089Z") } });
    }
  });

  const START = `mutation($id: ID!, $lease: String!) { startJob(id: $id, leaseToken: $lease) {
    __typename ... on LeasePayload { job { number status
      tasks(first: LIST_PAGE) { pageInfo { hasNextPage endCursor } edges { cursor node { name status qsequence parameters startTime job { number } } } }
      outputs(first: LIST_PAGE) { edges { node { name size } } }
      events(first: 10) { edges { node { kind jobVersion } } } } } } }`;

  async function start(jobId: string, size: number, literal: boolean) {
    const id = encodeGlobalId("Job", jobId);
    const acquired = await sendText(api, `mutation($id: ID!) { acquireJob(id: $id) { ... on AcquireJobPayload { lease { token } } } }`, { id }, node.secret);
    const lease = (acquired.acquireJob as unknown as { lease: { token: string } }).lease.token;
    database.counter.reset();
    const data = literal
      ? await sendText(api, START.replaceAll("LIST_PAGE", String(size)), { id, lease }, node.secret)
      : await sendText(api, START.replaceAll("LIST_PAGE", "$size").replace("mutation($id: ID!, $lease: String!)", "mutation($id: ID!, $lease: String!, $size: Int)"), { id, lease, size }, node.secret);
    const statements = database.counter.statements.filter((sql) => !/\/\* (authenticate|touchToken|wakeInstances) \*\//.test(sql));
    const job = (data.startJob as unknown as { job: Record<string, unknown> }).job;
    return { job: { ...job, number: undefined }, statements };
  }

  it("holds the job's first tasks and outputs from the statement that starts it, as their own statements read them", async () => {
    for (const [i, size] of [3, 100].entries()) {
      const together = await start(jobIds[2 * i]!, size, true);
      const apart = await start(jobIds[2 * i + 1]!, size, false);
      const taskNumbers = (job: Record<string, unknown>) => (job.tasks as { edges: Array<{ node: { job: { number: number } } }> }).edges.map((e) => e.node.job.number);
      expect(new Set(taskNumbers(together.job)).size).toBe(1);
      const withoutNumbers = (job: Record<string, unknown>) => JSON.parse(JSON.stringify(job).replace(/"number":\d+/g, '"number":0').replace(/"cursor":"[^"]+"/g, '"cursor":""').replace(/"endCursor":"[^"]+"/g, '"endCursor":""'));
      expect(withoutNumbers(together.job), `first: ${size}`).toEqual(withoutNumbers(apart.job));
      expect(together.job).toMatchObject({ status: "RUNNING", events: { edges: [{ node: { kind: "ACQUIRED" } }, { node: { kind: "STARTED" } }] } });
      // The start (with the tasks and outputs) and the events' page; apart, the tasks and outputs too.
      expect(together.statements, together.statements.join("\n\n")).toHaveLength(2);
      expect(apart.statements.length, apart.statements.join("\n\n")).toBeGreaterThan(2);
    }
  });

  // Another shape: the same list twice under the job, each alias with its own page and order.
  it("answers two selections of the job's tasks each with its own page", async () => {
    const [created] = await createJobs(database.db, (await database.db.job.findUniqueOrThrow({ where: { id: jobIds[0]! } })).templateId, 1, {
      tasks: 5,
      spec: () => ({ queue: "first-pages-start" }),
    });
    const id = encodeGlobalId("Job", created!);
    const acquired = await sendText(api, `mutation($id: ID!) { acquireJob(id: $id) { ... on AcquireJobPayload { lease { token } } } }`, { id }, node.secret);
    const lease = (acquired.acquireJob as unknown as { lease: { token: string } }).lease.token;
    const data = await sendText(
      api,
      `mutation($id: ID!, $lease: String!) { startJob(id: $id, leaseToken: $lease) { ... on LeasePayload { job {
        a: tasks(first: 2) { edges { node { qsequence } } }
        b: tasks(first: 3, orderBy: { field: QSEQUENCE, direction: DESC }) { edges { node { qsequence } } } } } } }`,
      { id, lease },
      node.secret,
    );
    const job = (data.startJob as unknown as { job: Record<"a" | "b", { edges: Array<{ node: { qsequence: number } }> }> }).job;
    expect(job.a.edges.map((e) => e.node.qsequence)).toEqual([0, 1]);
    expect(job.b.edges.map((e) => e.node.qsequence)).toEqual([4, 3, 2]);
  });
});
