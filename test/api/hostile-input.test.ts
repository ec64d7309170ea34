// Bad input of every class the gateway was seen to fail on (a 500 or INTERNAL_SERVER_ERROR each):
// it is refused with a stable code, naming what is wrong, and an unauthorised caller still learns
// only that it may not. test/api/fuzz.test.ts looks for the siblings of these.
import { randomUUID } from "node:crypto";
import { createClient, type Client } from "graphql-ws";
import { beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { defaultLimits } from "../../src/config.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { MAX_LIST_LENGTH } from "../../src/graphql/error-codes.js";
import { writtenSize } from "../../src/graphql/input-guard.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser, type TestNode, type TestUser } from "../helpers/principals.js";
import { connectionFields } from "../helpers/schema.js";

type Answer = {
  status: number;
  body: { data?: Record<string, Record<string, unknown> | null> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
};

let database: TestDatabase;
let api: TestApi;
let user: TestUser;
let stranger: TestUser;
let node: TestNode;
let otherNode: TestNode;
let jobId: string;
let heldJobId: string;
const leaseToken = randomUUID();

async function send(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Answer> {
  const response = await api.fetch(
    "/graphql",
    { method: "POST", headers: { "content-type": "application/json", accept: "application/graphql-response+json" }, body: JSON.stringify({ query, variables }) },
    token === undefined ? {} : { token },
  );
  return { status: response.status, body: (await response.json()) as Answer["body"] };
}

/** The code of the answer's only error, after checking it is no server error. */
function codeOf(answer: Answer): unknown {
  expect(answer.status).toBeLessThan(500);
  expect(JSON.stringify(answer.body)).not.toContain("INTERNAL_SERVER_ERROR");
  expect(answer.body.errors).toHaveLength(1);
  return answer.body.errors![0]!.extensions?.code;
}

const job = (id: string) => encodeGlobalId("Job", id);

beforeAll(async () => {
  database = await createTestDatabase();
  api = await createTestApi(database);
  user = await createTestUser(database.db);
  stranger = await createTestUser(database.db);
  node = await createTestNode(database.db);
  otherNode = await createTestNode(database.db);
  const template = await createTemplate(database.db);
  [jobId, heldJobId] = (await createJobs(database.db, template.id, 2)) as [string, string];
  await database.db.job.update({ where: { id: jobId }, data: { creatorId: user.id } });
  await database.db.job.update({
    where: { id: heldJobId },
    data: { status: "RUNNING", creatorId: user.id, nodeId: node.id, leaseToken, leaseExpiresAt: new Date(Date.now() + 3_600_000) },
  });
});

describe("bad input in reads", () => {
  it("a Long past PostgreSQL's bigint: NUMBER_OUT_OF_RANGE, as a literal or a variable", async () => {
    expect(codeOf(await send('{ jobByNumber(number: "9999999999999999999") { id } }'))).toBe("NUMBER_OUT_OF_RANGE");
    const variable = await send("query($n: Long!) { jobByNumber(number: $n) { id } }", { n: "-9999999999999999999" });
    expect(codeOf(variable)).toBe("NUMBER_OUT_OF_RANGE");
    expect(variable.status).toBe(400);
    expect((await send("query($n: Long!) { jobByNumber(number: $n) { id } }", { n: "9223372036854775807" })).body).toEqual({ data: { jobByNumber: null } });
    // Written as an integer in the document, read from its digits: the largest is taken, one past it refused as out of range.
    expect((await send("{ jobByNumber(number: 9223372036854775807) { id } }")).body).toEqual({ data: { jobByNumber: null } });
    expect((await send("{ jobByNumber(number: -9223372036854775808) { id } }")).body).toEqual({ data: { jobByNumber: null } });
    expect(codeOf(await send("{ jobByNumber(number: 9223372036854775808) { id } }"))).toBe("NUMBER_OUT_OF_RANGE");
    expect(codeOf(await send("{ jobByNumber(number: 1.5) { id } }"))).toBe("BAD_USER_INPUT");
    // A JSON number past 2^53 has lost digits: refused, saying to send a string.
    const unsafe = await send("query($n: Long!) { jobByNumber(number: $n) { id } }", { n: 2 ** 60 });
    expect(codeOf(unsafe)).toBe("BAD_USER_INPUT");
    expect(JSON.stringify(unsafe.body)).toContain("must be sent as a string of digits");
  });

  it("a DateTime PostgreSQL cannot hold (year 0000) or a day that does not exist: BAD_USER_INPUT", async () => {
    const Jobs = "query($f: JobFilter) { jobs(filter: $f) { totalCount } }";
    for (const from of ["0000-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "10000-01-01T00:00:00Z"]) {
      expect(codeOf(await send(Jobs, { f: { createdAt: { from } } }))).toBe("BAD_USER_INPUT");
    }
    for (const from of ["0001-01-01T00:00:00Z", "2024-02-29T00:00:00Z", "9999-12-31T23:59:59.999Z"]) {
      expect((await send(Jobs, { f: { updatedAt: { from } } })).body.errors).toBeUndefined();
    }
  });

  it("a global ID carrying a number past bigint, garbage, or another type's ID: INVALID_ID or WRONG_ID_TYPE", async () => {
    const event = Buffer.from("JobEvent:99999999999999999999").toString("base64");
    expect(codeOf(await send("query($id: ID!) { node(id: $id) { id } }", { id: event }))).toBe("INVALID_ID");
    expect(codeOf(await send("query($id: ID!) { job(id: $id) { id } }", { id: "bm9wZQ==" }))).toBe("INVALID_ID");
    expect(codeOf(await send("query($id: ID!) { job(id: $id) { id } }", { id: encodeGlobalId("Task", randomUUID()) }))).toBe("WRONG_ID_TYPE");
    expect(codeOf(await send("query($f: JobFilter) { jobs(filter: $f) { totalCount } }", { f: { parent: "garbage" } }))).toBe("INVALID_ID");
    const addTasks = "mutation($job: ID!) { addTasks(job: $job, tasks: [{ name: \"t\" }]) { __typename } }";
    expect(codeOf(await send(addTasks, { job: encodeGlobalId("Task", randomUUID()) }))).toBe("WRONG_ID_TYPE");
  });

  it("text with a NUL or a lone surrogate: INVALID_TEXT naming the argument", async () => {
    for (const search of ["a\u0000b", "a\ud800b", "\udc00"]) {
      const answer = await send("query($f: JobFilter) { jobs(filter: $f) { totalCount } }", { f: { search } });
      expect(codeOf(answer)).toBe("INVALID_TEXT");
      expect(answer.body.errors![0]!.message).toContain('"filter.search"');
    }
    const literal = await send('{ jobTemplate(name: "x\\u0000") { id } }');
    expect(codeOf(literal)).toBe("INVALID_TEXT");
    expect((await send("query($f: JobFilter) { jobs(filter: $f) { totalCount } }", { f: { search: "emoji \ud83d\ude00" } })).body).toEqual({ data: { jobs: { totalCount: 0 } } });
  });

  it("cursors that are not ones and negative page sizes: INVALID_CURSOR and INVALID_PAGE_SIZE, nested too", async () => {
    expect(codeOf(await send('{ jobs(after: "garbage") { totalCount } }'))).toBe("INVALID_CURSOR");
    expect(codeOf(await send(`{ jobs(before: "${Buffer.from("GPC:S:x").toString("base64")}", last: 1) { totalCount } }`))).toBe("INVALID_CURSOR");
    expect(codeOf(await send(`query($id: ID!) { job(id: $id) { tasks(after: "%%%") { totalCount } } }`, { id: job(jobId) }))).toBe("INVALID_CURSOR");
    expect(codeOf(await send("{ jobs(first: -1) { totalCount } }"))).toBe("INVALID_PAGE_SIZE");
    expect((await send("{ jobs(first: 0) { edges { cursor } } }")).body).toEqual({ data: { jobs: { edges: [] } } });
  });

  it("cursors carrying sort values that no row of this gateway could have: INVALID_CURSOR, not a database error", async () => {
    const id = randomUUID();
    const forged = (json: string) => Buffer.from(`GPC:O:${json}`).toString("base64");
    const refused = [
      "[1, 2]",
      "null",
      "{}",
      `{"id": "not-a-uuid"}`,
      `{"id": 7}`,
      `{"id": "${id}", "createdAt": "yesterday"}`,
      `{"id": "${id}", "createdAt": "2026-02-30T00:00:00.000Z"}`,
      `{"id": "${id}", "createdAt": 1767225600000}`,
      `{"id": "${id}", "priority": 1e10}`,
      `{"id": "${id}", "priority": 1.5}`,
      `{"id": "${id}", "priority": "1"}`,
      `{"id": "${id}", "number": "99999999999999999999"}`,
      `{"id": "${id}", "number": 12}`,
      `{"id": "${id}", "name": "a\u0000b"}`,
      `{"id": "${id}", "name": "${"x".repeat(1001)}"}`,
      `{"id": "${id}", "name": ["x"]}`,
      `{"id": "${id}", "status": "RUNNING"}`,
      `{"id": "${id}", "__proto__": {"createdAt": "2026-01-01T00:00:00.000Z"}}`,
      `{"id": "${id}", "createdAt": "2026-01-01T00:00:00.000Z"`,
    ];
    for (const json of refused) {
      expect(codeOf(await send("query($c: String) { jobs(after: $c) { totalCount } }", { c: forged(json) })), json).toBe("INVALID_CURSOR");
      expect(codeOf(await send("query($c: String) { users(before: $c, last: 1) { totalCount } }", { c: forged(json) })), json).toBe("INVALID_CURSOR");
    }
    // A list sorted by its bigint ids alone takes no such cursor.
    const events = `query($id: ID!, $c: String) { node(id: $id) { ... on Job { events(after: $c) { totalCount } } } }`;
    expect(codeOf(await send(events, { id: job(jobId), c: forged(`{"id": "${id}"}`) }))).toBe("INVALID_CURSOR");
    // One of a list of other rows: a task's, carrying its qsequence, on a list of jobs.
    await database.db.task.create({ data: { jobId, name: "cursor", qsequence: 99 } });
    const tasks = await send(`query($id: ID!) { job(id: $id) { tasks(first: 1) { edges { cursor } } } }`, { id: job(jobId) });
    const taskCursor = (tasks.body.data as { job: { tasks: { edges: Array<{ cursor: string }> } } }).job.tasks.edges[0]!.cursor;
    expect(Buffer.from(taskCursor, "base64").toString()).toContain('"qsequence"');
    expect(codeOf(await send("query($c: String) { jobs(after: $c) { totalCount } }", { c: taskCursor }))).toBe("INVALID_CURSOR");
    // One that could be a row's starts where that row would be: before every job, newest first.
    const future = forged(`{"id": "${id}", "createdAt": "2999-01-01T00:00:00.000Z"}`);
    const all = await send("{ jobs(first: 100) { edges { node { id } } } }");
    expect((await send("query($c: String) { jobs(first: 100, after: $c) { edges { node { id } } } }", { c: future })).body).toEqual(all.body);
  });

  it("a well-formed cursor of another kind of list (a number where ids are UUIDs, or the reverse): INVALID_CURSOR on every connection", async () => {
    const workflow = await database.db.workflow.create({ data: {} });
    const schedule = await database.db.schedule.create({
      data: { name: "cursors", cron: "@daily", job: { templateName: "train" }, nextRunAt: new Date(Date.now() + 86_400_000), creatorId: user.id },
    });
    const task = await database.db.task.create({ data: { jobId, name: "t", qsequence: 0 } });
    const template = (await database.db.job.findUniqueOrThrow({ where: { id: jobId } })).templateId;
    const number = Buffer.from("GPC:I:-1").toString("base64");
    const uuid = Buffer.from(`GPC:S:${randomUUID()}`).toString("base64");
    // Every connection of the schema, reached from an object that exists, with the cursor it must refuse.
    const reach = (type: string, id: string, field: string) => [`query($id: ID!, $c: String) { node(id: $id) { ... on ${type} { ${field}(after: $c) { totalCount } } } }`, encodeGlobalId(type, id)];
    const lists: Record<string, [string, string | null, string]> = {
      "Query.jobs": ["query($c: String) { jobs(after: $c) { totalCount } }", null, number],
      "Query.jobTemplates": ["query($c: String) { jobTemplates(after: $c, first: 0) { totalCount } }", null, number],
      "Query.users": ["query($c: String) { users(after: $c) { totalCount } }", null, number],
      "Query.workerNodes": ["query($c: String) { workerNodes(after: $c) { totalCount } }", null, number],
      "Job.children": [...(reach("Job", jobId, "children") as [string, string]), number],
      "Job.tasks": [...(reach("Job", jobId, "tasks") as [string, string]), number],
      "Job.outputs": [...(reach("Job", jobId, "outputs") as [string, string]), number],
      "Job.events": [...(reach("Job", jobId, "events") as [string, string]), uuid],
      "Job.log": [`query($id: ID!, $c: String) { node(id: $id) { ... on Job { log(after: $c) { edges { cursor } } } } }`, job(jobId), uuid],
      "Task.log": [`query($id: ID!, $c: String) { node(id: $id) { ... on Task { log(after: $c) { edges { cursor } } } } }`, encodeGlobalId("Task", task.id), uuid],
      "JobTemplate.jobs": [...(reach("JobTemplate", template, "jobs") as [string, string]), number],
      "User.tokens": [...(reach("User", api.admin.id, "tokens") as [string, string]), number],
      "WorkerNode.currentJobs": [...(reach("WorkerNode", node.id, "currentJobs") as [string, string]), number],
      "Workflow.jobs": [...(reach("Workflow", workflow.id, "jobs") as [string, string]), number],
      "Query.schedules": ["query($c: String) { schedules(after: $c) { edges { cursor } } }", null, number],
      "Schedule.ticks": [...(reach("Schedule", schedule.id, "ticks") as [string, string]), uuid],
    };
    expect(Object.keys(lists).sort()).toEqual((await connectionFields()).map((f) => f.field));
    for (const [name, [query, id, cursor]] of Object.entries(lists)) {
      const answer = await send(query, { ...(id ? { id } : {}), c: cursor });
      expect(codeOf(answer), name).toBe("INVALID_CURSOR");
    }
  });

  it(`lists longer than ${MAX_LIST_LENGTH}: LIST_TOO_LONG naming the argument and the limit`, async () => {
    const queue = Array.from({ length: 100_000 }, (_, i) => `q${i}`);
    const answer = await send("query($f: JobFilter) { jobs(filter: $f) { totalCount } }", { f: { queue } });
    expect(codeOf(answer)).toBe("LIST_TOO_LONG");
    expect(answer.body.errors![0]!.message).toBe(`"filter.queue" has 100000 items, more than the limit of ${MAX_LIST_LENGTH}`);
    const ids = Array.from({ length: MAX_LIST_LENGTH + 1 }, () => job(randomUUID()));
    expect(codeOf(await send("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", { ids }))).toBe("LIST_TOO_LONG");
    const atLimit = await send("query($f: JobFilter) { jobs(filter: $f) { totalCount } }", { f: { queue: queue.slice(0, MAX_LIST_LENGTH) } });
    expect(atLimit.body).toEqual({ data: { jobs: { totalCount: 0 } } });
  });

  it("variables nested thousands deep: INPUT_TOO_DEEP with a 400, whichever path serves the document", async () => {
    // Written out by hand: JSON.stringify itself runs out of stack on such a value.
    const deep = `${'[{"token":'.repeat(2500)}1${"}]".repeat(2500)}`;
    const body = `{"query":"query($ids: [ID!]!) { nodes(ids: $ids) { id } }","variables":{"ids":${deep}}}`;
    for (let i = 0; i < 2; i++) {
      const response = await api.fetch("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body });
      const answer = { status: response.status, body: (await response.json()) as Answer["body"] };
      expect(codeOf(answer)).toBe("INPUT_TOO_DEEP");
      expect(answer.status).toBe(400);
    }
  });

  it("a GET whose variables or extensions are not JSON objects: BAD_REQUEST with a 400", async () => {
    for (const query of ["variables=%7Bbad", "variables=%5B1%5D", "extensions=%7Bbad"]) {
      const response = await api.fetch(`/graphql?query=%7B__typename%7D&${query}`, { headers: { "graphql-preflight": "1" } });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: "BAD_REQUEST" } }] });
    }
  });
});

describe("bad text in mutations: authorization first, then a ValidationError naming the field", () => {
  const CreateUser = "mutation($input: CreateUserInput!) { createUser(input: $input) { __typename ... on ValidationError { fieldErrors { path } } } }";
  const CancelJob = "mutation($id: ID!, $reason: String) { cancelJob(id: $id, reason: $reason) { __typename ... on ValidationError { fieldErrors { path } } } }";
  const Progress =
    "mutation($id: ID!, $lease: String!, $detail: JSON) { reportJobProgress(id: $id, leaseToken: $lease, progress: 0.5, detail: $detail) { __typename ... on ValidationError { fieldErrors { path } } } }";
  const CreateJob = "mutation($input: CreateJobInput!) { createJob(input: $input) { __typename ... on ValidationError { fieldErrors { path } } } }";

  it("an admin-only mutation: ForbiddenError for a user, ValidationError for an admin", async () => {
    const input = { name: "bad\u0000name" };
    expect((await send(CreateUser, { input }, user.secret)).body).toEqual({ data: { createUser: { __typename: "ForbiddenError" } } });
    expect((await send(CreateUser, { input })).body).toEqual({ data: { createUser: { __typename: "ValidationError", fieldErrors: [{ path: ["name"] }] } } });
  });

  it("a user-only mutation: ForbiddenError for a node, ValidationError for a user", async () => {
    const input = { templateName: "train", description: "lone \ud800", inputs: [{ name: "dataset", value: "s3://x" }] };
    expect((await send(CreateJob, { input }, node.secret)).body).toEqual({ data: { createJob: { __typename: "ForbiddenError" } } });
    expect((await send(CreateJob, { input }, user.secret)).body).toEqual({ data: { createJob: { __typename: "ValidationError", fieldErrors: [{ path: ["description"] }] } } });
  });

  it("an action on a job: ForbiddenError for a stranger, NotFoundError for no job, ValidationError for the creator", async () => {
    const variables = { id: job(jobId), reason: "why\u0000" };
    expect((await send(CancelJob, variables, stranger.secret)).body).toEqual({ data: { cancelJob: { __typename: "ForbiddenError" } } });
    expect((await send(CancelJob, { ...variables, id: job(randomUUID()) }, user.secret)).body).toEqual({ data: { cancelJob: { __typename: "NotFoundError" } } });
    expect((await send(CancelJob, variables, user.secret)).body).toEqual({ data: { cancelJob: { __typename: "ValidationError", fieldErrors: [{ path: ["reason"] }] } } });
    expect((await database.db.job.findUniqueOrThrow({ where: { id: jobId } })).status).toBe("QUEUED");
  });

  it("a JSON value with bad text in a key, deep down: ForbiddenError for a user, ValidationError naming the path for the holder", async () => {
    const detail = { steps: [{ ok: 1 }, { ["k\ud800"]: 2 }] };
    const variables = { id: job(heldJobId), lease: leaseToken, detail };
    expect((await send(Progress, variables, stranger.secret)).body).toEqual({ data: { reportJobProgress: { __typename: "ForbiddenError" } } });
    expect((await send(Progress, variables, node.secret)).body).toEqual({
      data: { reportJobProgress: { __typename: "ValidationError", fieldErrors: [{ path: ["detail", "steps", "1", "k\ud800"] }] } },
    });
    expect((await send(Progress, { ...variables, detail: null, lease: "nul\u0000" }, otherNode.secret)).body).toEqual({
      data: { reportJobProgress: { __typename: "ValidationError", fieldErrors: [{ path: ["leaseToken"] }] } },
    });
    const held = await database.db.job.findUniqueOrThrow({ where: { id: heldJobId } });
    expect(held.progress).toBe(0);
    expect(held.version).toBe(1);
  });
});

describe("a variable named at many places", () => {
  // A small body limit, so that what the gateway would be handed is quick to build.
  const maxBodyBytes = 64 * 1024;
  let small: TestApi;
  beforeAll(async () => {
    small = await createTestApi(database, { limits: { ...defaultLimits, maxBodyBytes } });
  });

  const post = async (query: string, variables: Record<string, unknown>) => {
    const body = JSON.stringify({ query, variables });
    const response = await small.fetch("/graphql", { method: "POST", headers: { "content-type": "application/json", accept: "application/graphql-response+json" }, body }, { token: user.secret });
    return { bytes: body.length, status: response.status, body: (await response.json()) as Answer["body"] };
  };
  const jobsNamed = async (name: string) => (await database.pool.query("select count(*)::int as n from jobs where name = $1", [name])).rows[0].n as number;
  const spec = (name: string, size: number) => ({ templateName: "train", name, inputs: [{ name: "dataset", value: "x".repeat(size) }] });

  it("one value given to each of a workflow's jobs: INPUT_TOO_LARGE, nothing written; as many values each sent once pass", async () => {
    const workflows = await database.db.workflow.count();
    const named = Array.from({ length: 20 }, (_, i) => `{ key: "k${i}", job: $job }`).join(" ");
    const shared = await post(`mutation ($job: CreateJobInput!) { createWorkflow(input: { jobs: [${named}] }) { __typename } }`, { job: spec("shared", 10_000) });
    expect(shared.bytes).toBeLessThan(maxBodyBytes);
    expect(codeOf(shared)).toBe("INPUT_TOO_LARGE");
    expect(shared.body.errors![0]!.extensions).toMatchObject({ maxBytes: maxBodyBytes });
    expect(await jobsNamed("shared")).toBe(0);
    expect(await database.db.workflow.count()).toBe(workflows);

    const jobs = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, job: spec("apart", 2_500) }));
    const apart = await post(`mutation ($jobs: [WorkflowJobInput!]!) { createWorkflow(input: { jobs: $jobs }) { __typename } }`, { jobs });
    expect(apart.body).toEqual({ data: { createWorkflow: { __typename: "CreateWorkflowPayload" } } });
    expect(await jobsNamed("apart")).toBe(20);
  });

  it("a body of many small values, each named once, is not refused for it", async () => {
    // 9 maps of 1,000 one-digit values: 9,009 tasks, as many items as a body of 20 KB holds.
    const tasks = Array.from({ length: 9 }, (_, m) => ({ name: `m${m}`, type: "MAP", map: { task: {}, values: Array.from({ length: 1000 }, (_, i) => i % 10) } }));
    const answer = await post(`mutation ($job: CreateJobInput!) { createJob(input: $job) { __typename } }`, { job: { ...spec("numbers", 10), tasks } });
    expect(answer.bytes).toBeLessThan(maxBodyBytes / 2);
    expect(answer.body).toEqual({ data: { createJob: { __typename: "CreateJobPayload" } } });
    // Never more than the value's JSON, whatever it holds.
    const mixed = { n: [1, 22, 0.5, -3, 1e21], s: ["", "é", "😀", 'a"b'], o: [{ a: null, b: true, c: false }], e: [], f: {} };
    expect(writtenSize(mixed, Infinity)).toBeLessThanOrEqual(Buffer.byteLength(JSON.stringify(mixed)));
  });

  it("aliases of a mutation naming one variable: counted over the request, the mutation past the limit refused", async () => {
    const create = (alias: string) => `${alias}: createJob(input: $job) { __typename }`;
    const answer = await post(`mutation ($job: CreateJobInput!) { ${create("a")} ${create("b")} ${create("c")} }`, { job: spec("aliased", 25_000) });
    expect(answer.body.errors).toMatchObject([{ path: ["c"], extensions: { code: "INPUT_TOO_LARGE" } }]);
    // The mutations before it ran, as a mutation's fields run one after the other.
    expect(await jobsNamed("aliased")).toBe(2);
  });

  it("a WebSocket message larger than a request body may be closes its socket (1009); a smaller one is answered", async () => {
    const address = await small.app.start(0, "127.0.0.1");
    const connect = () =>
      createClient({ url: `ws://127.0.0.1:${address.port}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${user.secret}` }, retryAttempts: 0 });
    const run = async (client: Client, size: number) => {
      for await (const result of client.iterate({ query: `mutation ($job: CreateJobInput!) { createJob(input: $job) { __typename } }`, variables: { job: spec("socket", size) } })) return result;
      throw new Error("no result");
    };
    const fits = connect();
    const tooLarge = connect();
    try {
      expect(await run(fits, 30_000)).toEqual({ data: { createJob: { __typename: "CreateJobPayload" } } });
      const closed = new Promise<number>((resolve) => tooLarge.on("closed", (event) => resolve((event as { code: number }).code)));
      await expect(run(tooLarge, maxBodyBytes + 2048)).rejects.toBeDefined();
      expect(await closed).toBe(1009);
      expect(await jobsNamed("socket")).toBe(1);
    } finally {
      await Promise.all([fits.dispose(), tooLarge.dispose()]);
      await small.app.stop();
    }
  });
});
