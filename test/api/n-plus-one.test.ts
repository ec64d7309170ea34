import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { decodeGlobalId, encodeGlobalId } from "../../src/graphql/global-id.js";
import { graphql } from "../gql/index.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";

const NestedPage = graphql(`
  query NestedPage($first: Int!) {
    jobs(first: $first) {
      totalCount
      edges {
        node {
          template { name }
          tasks(first: 20) { totalCount edges { node { name } } }
          outputs { totalCount }
          parent { id }
        }
      }
    }
  }
`);

// A job's attempts with their nodes, and what the viewer may do to each task (which reads the
// task's job and its lowest unfinished sequence).
const AttemptsAndFlags = graphql(`
  query AttemptsAndFlags($first: Int!) {
    jobs(first: $first) {
      edges {
        node {
          attempts { number outcome node { name } }
          tasks(first: 5) { edges { node { viewerCanStart viewerCanFinish viewerCanRetry } } }
        }
      }
    }
  }
`);

describe("a nested page of jobs", () => {
  let database: TestDatabase;
  let api: TestApi;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    const template = await createTemplate(database.db);
    const [parent] = await createJobs(database.db, template.id, 1);
    const jobs = await createJobs(database.db, template.id, 60, { tasks: 25, outputs: 2, spec: () => ({ parentId: parent }) });
    const nodes = await Promise.all([0, 1, 2].map((i) => database.db.workerNode.create({ data: { name: `n-plus-one-${i}` } })));
    await database.db.jobAttempt.createMany({
      data: jobs.flatMap((jobId, i) => [1, 2].map((number) => ({ jobId, number, nodeId: nodes[(i + number) % 3]!.id, leaseToken: crypto.randomUUID(), outcome: "RELEASED" as const }))),
    });
  });

  // Authenticating the caller costs a statement of its own, whatever the query; it is not counted.
  const isAuthentication = (sql: string) => /\/\* (authenticate|touchToken) \*\//.test(sql);

  async function statementsFor(first: number) {
    database.counter.reset();
    const data = await api.query(NestedPage, { first });
    return { data, statements: database.counter.statements.filter((sql) => !isAuthentication(sql)) };
  }

  it("reads attempts, their nodes and the task flags in statements constant in page size", async () => {
    const counted = async (first: number) => {
      database.counter.reset();
      const data = await api.query(AttemptsAndFlags, { first });
      return { data, statements: database.counter.statements.filter((sql) => !isAuthentication(sql)) };
    };
    const small = await counted(5);
    const large = await counted(50);
    expect(large.data.jobs.edges.filter((e) => e.node.attempts.length === 2 && e.node.attempts.every((a) => a.node?.name))).toHaveLength(50);
    expect(large.statements.length, large.statements.join("\n---\n")).toBe(small.statements.length);
    // Levels: jobs, attempts, their nodes, tasks, the tasks' jobs, the jobs' lowest unfinished sequences.
    expect(large.statements.length, large.statements.join("\n---\n")).toBeLessThanOrEqual(6);
  });

  it("counts a page's jobs and each one's tasks, outputs, events and children in the page's own statement, when only totalCount is asked for", async () => {
    database.counter.reset();
    const data = await sendText(
      api,
      `{ jobs(first: 10) { totalCount edges { node { tasks { totalCount } outputs { totalCount } events { totalCount } children { totalCount } } } } }`,
    );
    const statements = database.counter.statements.filter((sql) => !isAuthentication(sql));
    const page = data.jobs as unknown as { totalCount: number; edges: Array<{ node: Record<string, { totalCount: number }> }> };
    expect(page.totalCount).toBe(61);
    expect(page.edges).toHaveLength(10);
    for (const { node } of page.edges) expect(node).toEqual({ tasks: { totalCount: 25 }, outputs: { totalCount: 2 }, events: { totalCount: 0 }, children: { totalCount: 0 } });
    expect(statements, statements.join("\n---\n")).toHaveLength(1);
  });

  it("counts a filtered list on its own, beside the same list unfiltered, each right", async () => {
    const [job] = (await database.db.job.findMany({ where: { parentId: { not: null } }, orderBy: { number: "asc" }, take: 1 })).map((j) => j.id);
    await database.pool.query(`update tasks set status = 'SUCCEEDED' where job_id = $1 and qsequence < 3`, [job]);
    const [child] = await createJobs(database.db, (await database.db.job.findUniqueOrThrow({ where: { id: job! } })).templateId, 2, { spec: () => ({ parentId: job! }) });
    await database.db.job.update({ where: { id: child! }, data: { deletedAt: new Date() } });
    database.counter.reset();
    const data = await sendText(
      api,
      `query($id: ID!) { job(id: $id) {
        tasks { totalCount } done: tasks(filter: { status: [SUCCEEDED] }) { totalCount }
        children { totalCount } all: children(includeDeleted: true) { totalCount } none: children(includeDeleted: false) { totalCount }
      } }`,
      { id: encodeGlobalId("Job", job!) },
    );
    expect(data.job).toEqual({ tasks: { totalCount: 25 }, done: { totalCount: 3 }, children: { totalCount: 1 }, all: { totalCount: 2 }, none: { totalCount: 1 } });
    // The job with its unfiltered counts, then the filtered tasks and the children deleted ones included.
    const statements = database.counter.statements.filter((sql) => !isAuthentication(sql));
    expect(statements, statements.join("\n---\n")).toHaveLength(3);
  });

  // A page size given as a literal makes the first page of tasks part of the job's statement (see
  // first-pages.test.ts); given in a variable, the page is read by a statement of its own.
  it.each([
    ["4", {}, 1],
    ["$first", { first: 4 }, 2],
  ])("counts a job's tasks with the job when their page is only sorted, and hands the job down to its tasks (first: %s)", async (first, variables, expected) => {
    const [job] = (await database.db.job.findMany({ where: { parentId: { not: null } }, orderBy: { number: "asc" }, take: 1 })).map((j) => j.id);
    database.counter.reset();
    const data = await sendText(
      api,
      `query($id: ID!${first.startsWith("$") ? ", $first: Int" : ""}) { job(id: $id) { number tasks(first: ${first}, orderBy: { field: NAME, direction: DESC }) { totalCount edges { node { name job { id number } } } } } }`,
      { id: encodeGlobalId("Job", job!), ...variables },
    );
    const read = data.job as unknown as { number: number; tasks: { totalCount: number; edges: Array<{ node: { job: { id: string; number: number } } }> } };
    expect(read.tasks.totalCount).toBe(25);
    expect(read.tasks.edges.map((e) => e.node.job)).toEqual(Array(4).fill({ id: encodeGlobalId("Job", job!), number: read.number }));
    const statements = database.counter.statements.filter((sql) => !isAuthentication(sql));
    // The job with its count (and its first tasks), and the page of tasks unless it came with the
    // job: the tasks' job is the job already read.
    expect(statements, statements.join("\n---\n")).toHaveLength(expected);
    expect(statements[0]).toContain('"taskCount"');
  });

  it("reads the tasks' job once, by equality, when the job read above them lacks what their job's selection needs", async () => {
    const [job] = (await database.db.job.findMany({ where: { parentId: { not: null } }, orderBy: { number: "asc" }, take: 1 })).map((j) => j.id);
    const stored = await database.db.job.findUniqueOrThrow({ where: { id: job! }, include: { template: true } });
    const expected = { number: Number(stored.number), name: stored.name, template: { name: stored.template.name }, tasks: { totalCount: 25 } };
    for (const selection of ["name", "template { name }", "tasks { totalCount }"]) {
      database.counter.reset();
      const data = await sendText(
        api,
        `query($id: ID!, $first: Int) { job(id: $id) { number tasks(first: $first) { edges { node { name job { number ${selection} } } } } } }`,
        { id: encodeGlobalId("Job", job!), first: 3 },
      );
      const read = data.job as unknown as { tasks: { edges: Array<{ node: { job: Record<string, unknown> } }> } };
      const wanted = selection.split(" ")[0]! as keyof typeof expected;
      expect(read.tasks.edges.map((e) => e.node.job)).toEqual(Array(3).fill({ number: expected.number, [wanted]: expected[wanted] }));
      const statements = database.counter.statements.filter((sql) => !isAuthentication(sql));
      // The job, the page of tasks, and the tasks' job: the same id three times over, which the
      // loader passes as often as it is asked for and the read compares once.
      expect(statements, `${selection}\n${statements.join("\n---\n")}`).toHaveLength(3);
      expect(statements[2]).toMatch(/where j\.id = \$1::uuid$/);
    }
  });

  // Each item of a job's tasks, outputs and events is handed the job that read it, when that job's
  // row holds what the item's `job` selection needs; the same page read for two such jobs must not
  // share its items. With the page size in a variable, the pages are read by their loaders.
  it.each([
    ["tasks", "name", "2"],
    ["outputs", "name", "2"],
    ["events", "kind", "2"],
    ["tasks", "name", "$first"],
    ["outputs", "name", "$first"],
    ["events", "kind", "$first"],
  ])("gives each page of %s the job its own selection needs when two reads of one job differ (first: %s)", async (list, field, first) => {
    const [job] = (await database.db.job.findMany({ where: { parentId: { not: null } }, orderBy: { number: "asc" }, take: 1 })).map((j) => j.id);
    // Rows of this test alone, removed after it: the other tests count a job's outputs and events.
    await database.pool.query(`insert into job_events (job_id, kind, job_version) select $1, 'PROGRESS', k from generate_series(1, 2) k`, [job]);
    await database.pool.query(`insert into job_outputs (job_id, name, type, size, sha256) select $1, 'handed-' || k, 'json', 1, repeat('a', 64) from generate_series(1, 2) k`, [job]);
    onTestFinished(async () => {
      await database.pool.query(`delete from job_outputs where job_id = $1 and name like 'handed-%'`, [job]);
      await database.pool.query(`delete from job_events where job_id = $1 and kind = 'PROGRESS' and actor_user_id is null and task_id is null and job_version <= 2`, [job]);
    });
    const stored = await database.db.job.findUniqueOrThrow({ where: { id: job! } });
    const page = `${list}(first: ${first})`;
    const data = await sendText(
      api,
      `query($id: ID!${first.startsWith("$") ? ", $first: Int" : ""}) {
        a: job(id: $id) { number ${page} { edges { node { ${field} job { number } } } } }
        b: job(id: $id) { name ${page} { edges { node { ${field} job { name } } } } }
        c: job(id: $id) { number ${page} { edges { node { ${field} job { status } } } } }
      }`,
      { id: encodeGlobalId("Job", job!), ...(first.startsWith("$") ? { first: 2 } : {}) },
    );
    const jobs = (alias: string) => (data[alias] as unknown as Record<string, { edges: Array<{ node: { job: unknown } }> }>)[list]!.edges.map((e) => e.node.job);
    expect(jobs("a")).toEqual(Array(2).fill({ number: Number(stored.number) }));
    expect(jobs("b")).toEqual(Array(2).fill({ name: stored.name }));
    expect(jobs("c")).toEqual(Array(2).fill({ status: stored.status }));
  });

  it("reads a page of events with each one's task, user and node, and a page of tasks with the tasks each names, in the page's own statement", async () => {
    const [job] = (await database.db.job.findMany({ where: { parentId: { not: null } }, orderBy: { number: "asc" }, take: 1, skip: 2 })).map((j) => j.id);
    const tasks = (await database.pool.query<{ id: string }>(`select id from tasks where job_id = $1 order by qsequence`, [job])).rows.map((r) => r.id);
    const node = await database.db.workerNode.findFirstOrThrow();
    await database.pool.query(`update tasks set created_by_task_id = $2, stopped_by_task_id = $3 where id = $1`, [tasks[1], tasks[0], tasks[2]]);
    await database.pool.query(
      `insert into job_events (job_id, task_id, kind, job_version, actor_user_id, actor_node_id)
       values ($1, $2, 'PROGRESS', 1, $3, null), ($1, null, 'PROGRESS', 2, null, $4), ($1, $5, 'PROGRESS', 3, $3, $4)`,
      [job, tasks[0], api.admin.id, node.id, tasks[3]],
    );
    database.counter.reset();
    const data = await sendText(
      api,
      `query($id: ID!) { job(id: $id) {
        events(first: 10) { edges { node { jobVersion task { name } actorUser { name } actorNode { name } } } }
        tasks(first: 3) { edges { node { name createdByTask { name } stoppedBy { name status } mapTask { name } } } }
      } }`,
      { id: encodeGlobalId("Job", job!) },
    );
    const read = data.job as unknown as {
      events: { edges: Array<{ node: { task: { name: string } | null; actorUser: { name: string } | null; actorNode: { name: string } | null } }> };
      tasks: { edges: Array<{ node: { name: string; createdByTask: { name: string } | null; stoppedBy: { name: string; status: string } | null; mapTask: null } }> };
    };
    const name = async (id: string) => (await database.pool.query<{ name: string }>(`select name from tasks where id = $1`, [id])).rows[0]!.name;
    expect(read.events.edges.map((e) => e.node)).toEqual([
      { jobVersion: 1, task: { name: await name(tasks[0]!) }, actorUser: { name: api.admin.name }, actorNode: null },
      { jobVersion: 2, task: null, actorUser: null, actorNode: { name: node.name } },
      { jobVersion: 3, task: { name: await name(tasks[3]!) }, actorUser: { name: api.admin.name }, actorNode: { name: node.name } },
    ]);
    expect(read.tasks.edges.map((e) => e.node)).toEqual([
      { name: await name(tasks[0]!), createdByTask: null, stoppedBy: null, mapTask: null },
      { name: await name(tasks[1]!), createdByTask: { name: await name(tasks[0]!) }, stoppedBy: { name: await name(tasks[2]!), status: "QUEUED" }, mapTask: null },
      { name: await name(tasks[2]!), createdByTask: null, stoppedBy: null, mapTask: null },
    ]);
    // The job with its first events and tasks (see first-pages.test.ts).
    const statements = database.counter.statements.filter((sql) => !isAuthentication(sql));
    expect(statements, statements.join("\n---\n")).toHaveLength(1);
  });

  it("counts each user's tokens, each template's jobs and each node's jobs in the statement that reads their page", async () => {
    const [someJob] = await database.db.job.findMany({ take: 1 });
    const node = await database.db.workerNode.findFirstOrThrow({ orderBy: { name: "asc" } });
    await database.pool.query(`update jobs set node_id = $1, status = 'RUNNING' where id = $2`, [node.id, someJob!.id]);
    database.counter.reset();
    const data = await sendText(
      api,
      `{ users(first: 10) { edges { node { id tokens { totalCount } } } }
         jobTemplates(first: 5) { edges { node { id jobs { totalCount } } } }
         workerNodes(first: 5) { edges { node { id currentJobs { totalCount } } } } }`,
    );
    const statements = database.counter.statements.filter((sql) => !isAuthentication(sql));
    expect(statements, statements.join("\n---\n")).toHaveLength(3);
    type Page<K extends string> = { edges: Array<{ node: { id: string } & Record<K, { totalCount: number }> }> };
    const { users, jobTemplates, workerNodes } = data as unknown as { users: Page<"tokens">; jobTemplates: Page<"jobs">; workerNodes: Page<"currentJobs"> };
    const counts = async (sql: string) => new Map((await database.pool.query<{ id: string; n: number }>(sql)).rows.map((r) => [r.id, r.n]));
    const id = (global: string) => decodeGlobalId(global).id;
    const tokens = await counts(`select u.id, (select count(*) from api_tokens t where t.user_id = u.id)::int as n from users u`);
    const jobs = await counts(`select t.id, (select count(*) from jobs j where j.template_id = t.id and j.deleted_at is null)::int as n from job_templates t`);
    const held = await counts(`select w.id, (select count(*) from jobs j where j.node_id = w.id and j.status in ('ACQUIRED', 'RUNNING') and j.deleted_at is null)::int as n from worker_nodes w`);
    expect(users.edges.length).toBeGreaterThan(0);
    for (const { node } of users.edges) expect(node.tokens.totalCount).toBe(tokens.get(id(node.id)));
    for (const { node } of jobTemplates.edges) expect(node.jobs.totalCount).toBe(jobs.get(id(node.id)));
    expect(workerNodes.edges.map(({ node }) => node.currentJobs.totalCount)).toContain(1);
    for (const { node } of workerNodes.edges) expect(node.currentJobs.totalCount).toBe(held.get(id(node.id)));
  });

  it("reads a page of jobs with each one's template, creator and node in one statement", async () => {
    await database.pool.query(`update jobs set creator_id = $1 where number % 2 = 0`, [api.admin.id]);
    database.counter.reset();
    const data = await sendText(api, `{ jobs(first: 10) { edges { node { template { name } creator { name } node { name } } } } }`);
    const statements = database.counter.statements.filter((sql) => !isAuthentication(sql));
    const nodes = (data.jobs as unknown as { edges: Array<{ node: { creator: { name: string } | null; node: null } }> }).edges.map((e) => e.node);
    expect(nodes.filter((n) => n.creator?.name === api.admin.name).length).toBeGreaterThan(0);
    expect(nodes.filter((n) => n.creator === null).length).toBeGreaterThan(0);
    expect(statements, statements.join("\n---\n")).toHaveLength(1);
  });

  it("costs the same number of statements for 5 jobs as for 50", async () => {
    const small = await statementsFor(5);
    const large = await statementsFor(50);
    expect(small.data.jobs.edges).toHaveLength(5);
    expect(large.data.jobs.edges).toHaveLength(50);
    expect(large.statements.length).toBe(small.statements.length);
  });

  it("needs at most one statement per nesting level plus the count queries", async () => {
    const { data, statements } = await statementsFor(50);
    // Levels: jobs, template, tasks, outputs, parent. Counts: jobs' totalCount, tasks' totalCount
    // and outputs' totalCount.
    expect(statements.length, statements.join("\n---\n")).toBeLessThanOrEqual(5 + 3);
    const withTasks = data.jobs.edges.filter((e) => e.node.tasks.totalCount === 25);
    expect(withTasks).toHaveLength(50);
    for (const { node } of withTasks) {
      expect(node.tasks.edges).toHaveLength(20);
      expect(node.outputs.totalCount).toBe(2);
      expect(node.template.name).toBe("train");
      expect(node.parent?.id).toBeTruthy();
    }
  });
});

// Workflows: each job's workflow (its status and counts), its dependencies and dependents, why it
// waits, and the outputs its inputs take from the job before it.
const WorkflowPage = graphql(`
  query WorkflowPage($first: Int!) {
    jobs(first: $first, orderBy: { field: NUMBER, direction: ASC }) {
      edges {
        node {
          name
          workflow { name status progress counts { total waiting } }
          dependencies { name }
          dependents { name }
          whyNotRunning { code ... on WaitingForDependenciesReason { jobs { name } } }
          inputValues { name output { name size } }
        }
      }
    }
  }
`);

describe("a page of jobs in workflows", () => {
  let database: TestDatabase;
  let api: TestApi;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    const template = await createTemplate(database.db);
    // Ten workflows of six jobs, each job after the one before it.
    for (let w = 0; w < 10; w++) {
      const workflow = await database.db.workflow.create({ data: { name: `chain ${w}` } });
      const jobs = await createJobs(database.db, template.id, 6);
      await database.db.job.updateMany({ where: { id: { in: jobs } }, data: { workflowId: workflow.id } });
      for (let i = 1; i < jobs.length; i++) {
        await database.db.jobDependency.create({ data: { jobId: jobs[i]!, dependsOnId: jobs[i - 1]! } });
        const output = await database.db.jobOutput.create({ data: { jobId: jobs[i - 1]!, name: "model", type: "pt", size: i, sha256: "0".repeat(64) } });
        const model = { type: "output", value: { job: jobs[i - 1]!, name: "model", type: "pt", output: output.id } };
        await database.db.job.update({ where: { id: jobs[i]! }, data: { status: "WAITING", waitingOn: 1, inputValues: { model } } });
      }
    }
  });

  const isAuthentication = (sql: string) => /\/\* (authenticate|touchToken) \*\//.test(sql);

  it("reads workflows, dependencies, dependents and reasons in statements constant in page size", async () => {
    const counted = async (first: number) => {
      database.counter.reset();
      const data = await api.query(WorkflowPage, { first });
      return { data, statements: database.counter.statements.filter((sql) => !isAuthentication(sql)) };
    };
    const small = await counted(6);
    const large = await counted(60);
    const nodes = large.data.jobs.edges.map((e) => e.node);
    expect(nodes).toHaveLength(60);
    expect(nodes[1]).toMatchObject({
      workflow: { status: "QUEUED", counts: { total: 6, waiting: 5 } },
      dependencies: [{ name: nodes[0]!.name }],
      dependents: [{ name: nodes[2]!.name }],
      whyNotRunning: [{ code: "WAITING_FOR_DEPENDENCIES", jobs: [{ name: nodes[0]!.name }] }, { code: "NO_NODE_ONLINE" }],
      inputValues: [{ name: "model", output: { name: "model", size: 1 } }],
    });
    expect(large.statements.length, large.statements.join("\n---\n")).toBe(small.statements.length);
  });
});

// Schedules: each one's template (by ID when it names a version, else the latest by name), the job
// of its latest tick, and its creator.
const SchedulesPage = graphql(`
  query SchedulesPage($first: Int!) {
    schedules(first: $first) {
      edges { node { name template { name version } lastJob { number status } creator { name } nextRunTimes(count: 2) } }
    }
  }
`);

describe("a page of schedules", () => {
  let database: TestDatabase;
  let api: TestApi;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    const template = await createTemplate(database.db, "nightly");
    await createTemplate(database.db, "nightly", 2);
    const jobs = await createJobs(database.db, template.id, 60);
    for (let i = 0; i < 60; i++) {
      await database.db.schedule.create({
        data: {
          name: `schedule ${String(i).padStart(2, "0")}`,
          cron: "@daily",
          job: i % 2 ? { templateId: template.id } : { templateName: "nightly" },
          nextRunAt: new Date(Date.now() + 86_400_000),
          lastJobId: jobs[i]!,
          creatorId: api.admin.id,
        },
      });
    }
  });

  it("reads templates, last jobs and creators in statements constant in page size", async () => {
    const counted = async (first: number) => {
      database.counter.reset();
      const data = await api.query(SchedulesPage, { first });
      return { data, statements: database.counter.statements.filter((sql) => !/\/\* (authenticate|touchToken) \*\//.test(sql)) };
    };
    const small = await counted(6);
    const large = await counted(60);
    const nodes = large.data.schedules.edges.map((e) => e.node);
    expect(nodes).toHaveLength(60);
    expect(nodes[0]).toMatchObject({ name: "schedule 00", template: { name: "nightly", version: 2 }, lastJob: { status: "QUEUED" }, creator: { name: api.admin.name } });
    expect(nodes[1]).toMatchObject({ template: { name: "nightly", version: 1 } });
    expect(large.statements.length, large.statements.join("\n---\n")).toBe(small.statements.length);
  });
});
