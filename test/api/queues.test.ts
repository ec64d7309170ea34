// Queues an admin can see and steer, and nodes an admin can drain: the queues' reads, pause and
// resume, a concurrency limit that holds under 32 claimers on two gateway instances, and a
// draining node that gets no new work but finishes what it holds.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse } from "graphql";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../src/db/client.js";
import { decodeGlobalId, encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { sleep, Subscribers } from "../helpers/feeds.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser, type TestNode } from "../helpers/principals.js";

let database: TestDatabase;
let db: Db;
let api: TestApi;
let templateId: string;
/** One client (and pool) per gateway instance, as separate processes would have. */
const instanceDbs: Db[] = [];
let apis: TestApi[];

const send = (query: string, variables: Record<string, unknown> = {}, token?: string, through = api) => sendText(through, query, variables, token);

const QUEUE_FIELDS = `name paused concurrencyLimit settingsUpdatedAt
  counts { queued claimable scheduled acquired running held succeeded failed cancelled }
  oldestWaitingSince oldestWaitingSeconds
  last5Minutes { minutes succeeded failed completed jobsPerMinute meanRunSeconds }
  last60Minutes { minutes completed meanRunSeconds }
  nodes { name }`;

type Queue = {
  name: string;
  paused: boolean;
  concurrencyLimit: number | null;
  counts: Record<string, number>;
  oldestWaitingSince: string | null;
  oldestWaitingSeconds: number | null;
  last5Minutes: { minutes: number; succeeded: number; failed: number; completed: number; jobsPerMinute: number; meanRunSeconds: number | null };
  last60Minutes: { minutes: number; completed: number; meanRunSeconds: number | null };
  nodes: Array<{ name: string }>;
};

async function queue(name: string): Promise<Queue | null> {
  return (await send(`query ($name: String!) { queue(name: $name) { ${QUEUE_FIELDS} } }`, { name })).queue as unknown as Queue | null;
}

async function claim(node: TestNode, queues?: string[], through = api): Promise<string | null> {
  const answer = await send(
    `mutation ($filter: AcquireFilter) { acquireNextJob(filter: $filter) { __typename ... on AcquireJobPayload { job { id } lease { token } } ... on Error { message } } }`,
    { filter: queues ? { queues } : null },
    node.secret,
    through,
  );
  const payload = answer.acquireNextJob as unknown as { __typename: string; job: { id: string } | null; message?: string };
  if (payload.__typename !== "AcquireJobPayload") throw new Error(JSON.stringify(payload));
  return payload.job ? decodeGlobalId(payload.job.id).id : null;
}

async function acquire(node: TestNode, id: string) {
  return (await send(`mutation ($id: ID!) { acquireJob(id: $id) { __typename ... on Error { message } } }`, { id: encodeGlobalId("Job", id) }, node.secret))
    .acquireJob!;
}

const held = async (queueName: string) =>
  db.job.count({ where: { queue: queueName, status: { in: ["ACQUIRED", "RUNNING"] } } });

async function onlineNode(data: { executors?: string[] } = {}): Promise<TestNode> {
  const node = await createTestNode(db);
  await db.workerNode.update({ where: { id: node.id }, data: { ...data, lastSeenAt: new Date() } });
  return node;
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  api = await createTestApi(database);
  templateId = (await createTemplate(db, "train")).id;
  instanceDbs.push(createDb({ url: database.url, pooled: database.pooled }), createDb({ url: database.url, pooled: database.pooled }));
  apis = await Promise.all(instanceDbs.map((instanceDb) => createTestApi({ ...database, db: instanceDb })));
});

afterAll(async () => {
  await Promise.all(instanceDbs.map((instanceDb) => instanceDb.$disconnect()));
});

// Claims act on every job and node in the database: each test starts from none.
beforeEach(async () => {
  await db.job.deleteMany();
  await db.queue.deleteMany();
  await db.workerNode.updateMany({ data: { lastSeenAt: null, draining: false } });
});

describe("queues", () => {
  it("list every queue jobs name and every queue an admin configured, by name", async () => {
    await createJobs(db, templateId, 3, { spec: (i) => ({ queue: ["b", "a", "b"][i] }) });
    await send(`mutation { pauseQueue(name: "c") { __typename } }`);
    const answer = await send(`{ queues { name paused } }`);
    expect(answer.queues).toEqual([
      { name: "a", paused: false },
      { name: "b", paused: false },
      { name: "c", paused: true },
    ]);
    expect(await queue("nowhere")).toBeNull();
  });

  it("are listed a page at a time: at most the maximum page size, then from the name after `after`, priced as many", async () => {
    // Anyone who creates jobs names queues at will: more of them than a page, some configured too.
    const names = Array.from({ length: 130 }, (_, i) => `q${String(i).padStart(3, "0")}`);
    await createJobs(db, templateId, names.length, { spec: (i) => ({ queue: names[i]! }) });
    for (const name of ["q0005", "q1000", "q1001"]) await send(`mutation($name: String!) { pauseQueue(name: $name) { __typename } }`, { name });
    const all = [...names, "q0005", "q1000", "q1001"].sort();
    const listed = async (args: string) => ((await send(`{ queues${args} { name } }`)).queues as unknown as Array<{ name: string }>).map((q) => q.name);

    expect(await listed("")).toEqual(all.slice(0, 100));
    expect(await listed("(first: 7)")).toEqual(all.slice(0, 7));
    expect(await listed('(first: 7, after: "q0005")')).toEqual(all.slice(all.indexOf("q0005") + 1, all.indexOf("q0005") + 8));
    expect(await listed('(after: "q120")')).toEqual(all.slice(all.indexOf("q120") + 1));
    expect(await listed('(after: "zzz")')).toEqual([]);
    expect(await listed("(first: 0)")).toEqual([]);
    // Walked page by page, every queue once.
    const walked: string[] = [];
    for (let page = await listed("(first: 40)"); page.length; page = await listed(`(first: 40, after: "${page[page.length - 1]}")`)) walked.push(...page);
    expect(walked).toEqual(all);

    const code = async (document: string) => (await api.request(parse(document) as TypedDocumentNode<unknown, object>, {})).errors?.[0]?.extensions?.["code"];
    expect(await code("{ queues(first: -1) { name } }")).toBe("INVALID_PAGE_SIZE");
    expect(await code("{ queues(first: 101) { name } }")).toBe("PAGE_SIZE_EXCEEDED");
    // Priced as the queues it may list, each with what it asks of them: a whole page of queues,
    // each with its nodes' pages of jobs, costs more than a query may; a few of them do not.
    const nested = (first: string) => `{ queues${first} { nodes { currentJobs(first: 20) { edges { node { id } } } } } }`;
    expect(await code(nested(""))).toBe("QUERY_TOO_COSTLY");
    expect(await code(nested("(first: 5)"))).toBeUndefined();
  });

  it("count their jobs by status, the claimable and scheduled apart, and the age of the oldest claimable", async () => {
    const minuteAgo = new Date(Date.now() - 60_000);
    const [ready, later] = await createJobs(db, templateId, 2, { spec: () => ({ queue: "count" }) });
    await db.job.update({ where: { id: ready }, data: { runAfter: minuteAgo } });
    await db.job.update({ where: { id: later }, data: { runAfter: new Date(Date.now() + 3_600_000) } });
    await createJobs(db, templateId, 6, {
      spec: (i) => ({ queue: "count", status: (["ACQUIRED", "RUNNING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"] as const)[i] }),
    });
    await createJobs(db, templateId, 1, { spec: () => ({ queue: "count", deletedAt: new Date() }) });
    await createJobs(db, templateId, 4, { spec: () => ({ queue: "elsewhere" }) });
    const q = (await queue("count"))!;
    expect(q.counts).toEqual({ queued: 2, claimable: 1, scheduled: 1, acquired: 1, running: 2, held: 3, succeeded: 1, failed: 1, cancelled: 1 });
    expect(new Date(q.oldestWaitingSince!).getTime()).toBe(minuteAgo.getTime());
    expect(q.oldestWaitingSeconds).toBeGreaterThanOrEqual(59);
    expect(q.oldestWaitingSeconds).toBeLessThan(120);
  });

  it("say how many jobs ended in the last 5 and 60 minutes and how long they ran", async () => {
    const now = Date.now();
    const ended = (minutesAgo: number, runSeconds: number, status: "SUCCEEDED" | "FAILED") => ({
      status,
      endTime: new Date(now - minutesAgo * 60_000),
      startTime: new Date(now - minutesAgo * 60_000 - runSeconds * 1000),
    });
    const ids = await createJobs(db, templateId, 5, { spec: () => ({ queue: "recent" }) });
    const endings = [ended(1, 10, "SUCCEEDED"), ended(2, 20, "FAILED"), ended(30, 60, "SUCCEEDED"), ended(59, 90, "SUCCEEDED"), ended(61, 5, "SUCCEEDED")];
    for (const [i, data] of endings.entries()) await db.job.update({ where: { id: ids[i]! }, data });
    const q = (await queue("recent"))!;
    expect(q.last5Minutes).toEqual({ minutes: 5, succeeded: 1, failed: 1, completed: 2, jobsPerMinute: 0.4, meanRunSeconds: 15 });
    expect(q.last60Minutes.completed).toBe(4);
    expect(q.last60Minutes.meanRunSeconds).toBeCloseTo(45, 5);
    const quiet = (await queue("default")) ?? (await (async () => (await createJobs(db, templateId, 1), queue("default")))());
    expect(quiet!.last5Minutes).toMatchObject({ completed: 0, meanRunSeconds: null });
  });

  it("name the online nodes, not draining, that run the executor of a waiting job", async () => {
    const docker = (await createTemplate(db, "render")).id;
    await db.jobTemplate.update({ where: { id: docker }, data: { executorName: "docker" } });
    await createJobs(db, docker, 1, { spec: () => ({ queue: "render" }) });
    const runsDocker = await onlineNode({ executors: ["docker"] });
    const runsAny = await onlineNode();
    await onlineNode({ executors: ["python"] });
    const draining = await onlineNode({ executors: ["docker"] });
    await db.workerNode.update({ where: { id: draining.id }, data: { draining: true } });
    const offline = await createTestNode(db);
    await db.workerNode.update({ where: { id: offline.id }, data: { executors: ["docker"], lastSeenAt: new Date(Date.now() - 3_600_000) } });
    const names = (await queue("render"))!.nodes.map((n) => n.name);
    expect(names.sort()).toEqual([runsDocker.name, runsAny.name].sort());
  });
});

describe("pausing a queue", () => {
  it("makes claims pass over it, and resuming hands its jobs out again", async () => {
    const node = await onlineNode();
    const [paused] = await createJobs(db, templateId, 1, { spec: () => ({ queue: "p", priority: 10 }) });
    const [other] = await createJobs(db, templateId, 1, { spec: () => ({ queue: "open" }) });
    const pausedAnswer = await send(`mutation { pauseQueue(name: "p") { __typename ... on Queue { name paused } } }`);
    expect(pausedAnswer.pauseQueue).toEqual({ __typename: "Queue", name: "p", paused: true });
    expect(await claim(node, ["p"])).toBeNull();
    // From every queue, the higher-priority job of the paused one is passed over.
    expect(await claim(node)).toBe(other);
    expect(await acquire(node, paused!)).toMatchObject({ __typename: "InvalidTransitionError", message: expect.stringContaining(`queue "p" is paused`) });
    await send(`mutation { resumeQueue(name: "p") { __typename } }`);
    expect((await queue("p"))!.paused).toBe(false);
    expect(await claim(node, ["p"])).toBe(paused);
  });

  it("records a QUEUE_UPDATED event that belongs to no job", async () => {
    await send(`mutation { pauseQueue(name: "evented") { __typename } }`);
    const events = await db.jobEvent.findMany({ where: { kind: "QUEUE_UPDATED" }, orderBy: { id: "desc" }, take: 1 });
    expect(events[0]).toMatchObject({ jobId: null, detail: { queue: "evented", paused: true, concurrencyLimit: null } });
  });

  it("is for admins: others get ForbiddenError and nothing changes", async () => {
    const user = await createTestUser(db);
    const node = await onlineNode();
    for (const token of [user.secret, node.secret]) {
      const answer = await send(
        `mutation { pauseQueue(name: "mine") { __typename } updateQueue(input: { name: "mine", concurrencyLimit: 1 }) { __typename } }`,
        {},
        token,
      );
      expect(answer.pauseQueue!.__typename).toBe("ForbiddenError");
      expect(answer.updateQueue!.__typename).toBe("ForbiddenError");
    }
    expect(await db.queue.count()).toBe(0);
  });

  it("refuses bad names and limits with ValidationError, changing nothing", async () => {
    for (const [mutation, path] of [
      [`pauseQueue(name: "")`, "name"],
      [`pauseQueue(name: "${"q".repeat(201)}")`, "name"],
      [`pauseQueue(name: "nul\\u0000")`, "name"],
      // As createJob takes a queue's name: one no job could be given is no queue's.
      [`pauseQueue(name: "   ")`, "name"],
      [`pauseQueue(name: "tab\\there")`, "name"],
      [`updateQueue(input: { name: "   ", concurrencyLimit: 2 })`, "name"],
      [`updateQueue(input: { name: "x", concurrencyLimit: 0 })`, "concurrencyLimit"],
      [`updateQueue(input: { name: "x", concurrencyLimit: -3 })`, "concurrencyLimit"],
      [`updateQueue(input: { name: "x", concurrencyLimit: 1000001 })`, "concurrencyLimit"],
    ] as const) {
      const answer = await send(`mutation { m: ${mutation} { __typename ... on ValidationError { fieldErrors { path } } } }`);
      expect(answer.m, mutation).toMatchObject({ __typename: "ValidationError" });
      expect(JSON.stringify(answer.m), mutation).toContain(path);
    }
    expect(await db.queue.count()).toBe(0);
    // A name with spaces around it names the queue createJob would put a job in.
    expect((await send(`mutation { pauseQueue(name: "  padded  ") { ... on Queue { name paused } } }`)).pauseQueue).toEqual({ name: "padded", paused: true });
    expect(await db.queue.findMany({ select: { name: true } })).toEqual([{ name: "padded" }]);
    // A queue watched by a name no queue could have is refused as its subscription starts.
    const watched = await api.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query: `subscription { queueUpdated(name: "${"q".repeat(201)}") { name } }` }),
    });
    expect(await watched.text()).toContain("BAD_USER_INPUT");
  });
});

describe("a concurrency limit", () => {
  it("never lets more than N jobs of the queue be held at once under 32 claimers on two instances", async () => {
    const limit = 3;
    await send(`mutation { updateQueue(input: { name: "limited", concurrencyLimit: ${limit} }) { __typename ... on Queue { concurrencyLimit } } }`);
    await createJobs(db, templateId, 120, { spec: () => ({ queue: "limited" }) });
    await createJobs(db, templateId, 60, { spec: () => ({ queue: "free" }) });
    const nodes = await Promise.all(Array.from({ length: 32 }, () => createTestNode(db)));
    let holding = 0;
    let most = 0;
    let sampledMost = 0;
    let running = true;
    // The database's own count, sampled while claims run.
    const sampler = (async () => {
      while (running) {
        sampledMost = Math.max(sampledMost, await held("limited"));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const work = async (node: TestNode, i: number) => {
      const through = apis[i % 2]!;
      let done = 0;
      for (;;) {
        const answer = await send(
          `mutation { acquireNextJob(filter: { queues: ["limited", "free"] }) { ... on AcquireJobPayload { job { id queue } lease { token } } } }`,
          {},
          node.secret,
          through,
        );
        const payload = answer.acquireNextJob as unknown as { job: { id: string; queue: string } | null; lease: { token: string } | null };
        if (!payload.job) {
          if ((await db.job.count({ where: { status: "QUEUED" } })) === 0) return done;
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        const limited = payload.job.queue === "limited";
        // Counted from the claim's answer to the finish's request: inside the time the job is held.
        if (limited) most = Math.max(most, ++holding);
        await new Promise((r) => setTimeout(r, 2 + Math.random() * 8));
        if (limited) holding--;
        const finished = await send(
          `mutation ($id: ID!, $token: String!) { startJob(id: $id, leaseToken: $token) { __typename } finishJob(id: $id, leaseToken: $token) { __typename } }`,
          { id: payload.job.id, token: payload.lease!.token },
          node.secret,
          through,
        );
        expect(finished.finishJob!.__typename).toBe("JobPayload");
        done++;
      }
    };
    const done = await Promise.all(nodes.map(work));
    running = false;
    await sampler;
    expect(done.reduce((a, b) => a + b, 0)).toBe(180);
    expect(most).toBe(limit);
    expect(sampledMost).toBeLessThanOrEqual(limit);
    expect(sampledMost).toBeGreaterThan(0);
    expect(await db.queue.findUnique({ where: { name: "limited" } })).toMatchObject({ concurrencyLimit: limit });
    expect(await held("limited")).toBe(0);
  });

  it("counts the jobs already held when it is set, and frees a slot when one ends", async () => {
    const node = await onlineNode();
    await createJobs(db, templateId, 4, { spec: () => ({ queue: "late" }) });
    const first = (await claim(node, ["late"]))!;
    await claim(node, ["late"]);
    await send(`mutation { updateQueue(input: { name: "late", concurrencyLimit: 2 }) { __typename } }`);
    expect(await held("late")).toBe(2);
    expect(await claim(node, ["late"])).toBeNull();
    const reasons = await send(`query ($id: ID!) { job(id: $id) { whyNotRunning { code } } }`, {
      id: encodeGlobalId("Job", (await db.job.findFirst({ where: { queue: "late", status: "QUEUED" }, orderBy: { number: "asc" } }))!.id),
    });
    expect(reasons.job).toEqual({ whyNotRunning: [{ code: "QUEUE_AT_LIMIT" }] });
    await send(`mutation ($id: ID!) { cancelJob(id: $id) { __typename } }`, { id: encodeGlobalId("Job", first) });
    expect(await held("late")).toBe(1);
    expect(await claim(node, ["late"])).not.toBeNull();
    expect(await claim(node, ["late"])).toBeNull();
    // Lifting the limit lets the rest go.
    await send(`mutation { updateQueue(input: { name: "late", concurrencyLimit: null }) { __typename } }`);
    expect(await claim(node, ["late"])).not.toBeNull();
  });

  it("without a limit, the same claimers hold more than N at once (the test above can fail)", async () => {
    await createJobs(db, templateId, 40, { spec: () => ({ queue: "unlimited" }) });
    const nodes = await Promise.all(Array.from({ length: 8 }, () => createTestNode(db)));
    await Promise.all(nodes.map((node, i) => claim(node, ["unlimited"], apis[i % 2])));
    expect(await held("unlimited")).toBe(8);
  });
});

describe("draining a node", () => {
  it("gives it no new work, lets it finish what it holds, and undraining gives it work again", async () => {
    const node = await onlineNode();
    const [a, b] = await createJobs(db, templateId, 2);
    const answer = await send(`mutation { acquireNextJob { ... on AcquireJobPayload { job { id } lease { token } } } }`, {}, node.secret);
    const lease = (answer.acquireNextJob as unknown as { lease: { token: string } }).lease.token;
    const id = encodeGlobalId("WorkerNode", node.id);
    const drained = await send(`mutation ($id: ID!) { drainNode(id: $id) { __typename ... on WorkerNode { draining online } } }`, { id });
    expect(drained.drainNode).toEqual({ __typename: "WorkerNode", draining: true, online: true });
    expect(await claim(node)).toBeNull();
    expect(await acquire(node, b!)).toMatchObject({ __typename: "InvalidTransitionError", message: expect.stringContaining("draining") });
    const finished = await send(
      `mutation ($id: ID!, $token: String!) { startJob(id: $id, leaseToken: $token) { __typename } finishJob(id: $id, leaseToken: $token) { __typename } }`,
      { id: encodeGlobalId("Job", a!), token: lease },
      node.secret,
    );
    expect(finished.finishJob!.__typename).toBe("JobPayload");
    await send(`mutation ($id: ID!) { undrainNode(id: $id) { __typename } }`, { id });
    expect(await claim(node)).toBe(b);
  });

  it("is for admins, and a missing node is NotFoundError", async () => {
    const node = await onlineNode();
    const id = encodeGlobalId("WorkerNode", node.id);
    expect((await send(`mutation ($id: ID!) { drainNode(id: $id) { __typename } }`, { id }, node.secret)).drainNode!.__typename).toBe("ForbiddenError");
    expect((await db.workerNode.findUnique({ where: { id: node.id } }))!.draining).toBe(false);
    const missing = encodeGlobalId("WorkerNode", "00000000-0000-4000-8000-000000000000");
    expect((await send(`mutation ($id: ID!) { drainNode(id: $id) { __typename } }`, { id: missing })).drainNode!.__typename).toBe("NotFoundError");
  });

  it("shows nodes online or offline from their last contact, with the jobs they hold", async () => {
    const node = await onlineNode();
    const quiet = await createTestNode(db);
    await db.workerNode.update({ where: { id: quiet.id }, data: { lastSeenAt: new Date(Date.now() - 10 * 60_000) } });
    await createJobs(db, templateId, 1);
    const job = await claim(node);
    const answer = await send(`query ($ids: [ID!]!) { nodes(ids: $ids) { ... on WorkerNode { online draining currentJobs { totalCount edges { node { id } } } } } }`, {
      ids: [encodeGlobalId("WorkerNode", node.id), encodeGlobalId("WorkerNode", quiet.id)],
    });
    expect(answer.nodes).toEqual([
      { online: true, draining: false, currentJobs: { totalCount: 1, edges: [{ node: { id: encodeGlobalId("Job", job!) } }] } },
      { online: false, draining: false, currentJobs: { totalCount: 0, edges: [] } },
    ]);
  });
});

describe("Prometheus gauges per queue", () => {
  /** The value of a gauge's sample with this queue label, from a scrape of /metrics. */
  const sample = (text: string, name: string, queueName: string) => {
    const line = text.split("\n").find((l) => l.startsWith(`${name}{queue="${queueName}"}`));
    return line === undefined ? undefined : Number(line.split(" ").at(-1));
  };

  it("say how many jobs each queue holds, which are paused and what their limits are", async () => {
    await createJobs(db, templateId, 3, { spec: (i) => ({ queue: "gauged", status: i < 2 ? "RUNNING" : "QUEUED" }) });
    await createJobs(db, templateId, 1, { spec: () => ({ queue: "plain", status: "ACQUIRED" }) });
    await send(`mutation { pauseQueue(name: "gauged") { __typename } updateQueue(input: { name: "gauged", concurrencyLimit: 4 }) { __typename } }`);
    await send(`mutation { pauseQueue(name: "idle") { __typename } resumeQueue(name: "idle") { __typename } }`);
    const text = await (await api.fetch("/metrics", {}, { token: null })).text();
    expect(sample(text, "jobgraph_queue_held", "gauged")).toBe(2);
    expect(sample(text, "jobgraph_queue_held", "plain")).toBe(1);
    expect(sample(text, "jobgraph_queue_held", "idle")).toBe(0);
    expect(sample(text, "jobgraph_queue_paused", "gauged")).toBe(1);
    expect(sample(text, "jobgraph_queue_paused", "idle")).toBe(0);
    expect(sample(text, "jobgraph_queue_paused", "plain")).toBeUndefined();
    expect(sample(text, "jobgraph_queue_concurrency_limit", "gauged")).toBe(4);
    expect(sample(text, "jobgraph_queue_concurrency_limit", "idle")).toBeUndefined();
  });
});

describe("queueUpdated", () => {
  const Watch = parse(`subscription ($name: String) { queueUpdated(name: $name) { name paused concurrencyLimit counts { queued held } } }`) as TypedDocumentNode<
    { queueUpdated: { name: string; paused: boolean; concurrencyLimit: number | null; counts: { queued: number; held: number } } },
    { name?: string | null }
  >;
  let onB: Subscribers;

  beforeAll(async () => {
    await apis[0]!.app.start(0);
    onB = new Subscribers(`ws://127.0.0.1:${(await apis[1]!.app.start(0)).port}/graphql`, apis[1]!);
  });

  afterAll(async () => {
    await onB.stop();
    await Promise.all(apis.map((a) => a.app.stop()));
  });

  it("starts with the queue as it is, then follows its settings and its jobs, written through another instance", async () => {
    const node = await onlineNode();
    await createJobs(db, templateId, 2, { spec: () => ({ queue: "watched" }) });
    const feed = onB.subscribe(onB.connect(), Watch, { name: "watched" });
    expect((await feed.next()).queueUpdated).toEqual({ name: "watched", paused: false, concurrencyLimit: null, counts: { queued: 2, held: 0 } });
    await send(`mutation { pauseQueue(name: "watched") { __typename } }`, {}, undefined, apis[0]);
    await feed.through((m) => m.queueUpdated.paused, "the pause");
    await send(`mutation { resumeQueue(name: "watched") { __typename } updateQueue(input: { name: "watched", concurrencyLimit: 5 }) { __typename } }`, {}, undefined, apis[0]);
    await feed.through((m) => !m.queueUpdated.paused && m.queueUpdated.concurrencyLimit === 5, "the resume and the limit");
    expect(await claim(node, ["watched"], apis[0])).not.toBeNull();
    await feed.through((m) => m.queueUpdated.counts.held === 1 && m.queueUpdated.counts.queued === 1, "the claim's counts");
  });

  it("without a name, follows every queue, and not another queue's changes when named", async () => {
    const all = onB.subscribe(onB.connect(), Watch, {});
    const named = onB.subscribe(onB.connect(), Watch, { name: "mine" });
    await named.next();
    await sleep(200);
    await send(`mutation { pauseQueue(name: "theirs") { __typename } }`, {}, undefined, apis[0]);
    await all.through((m) => m.queueUpdated.name === "theirs" && m.queueUpdated.paused, "the other queue's pause");
    await named.quiet(1500);
  });
});
