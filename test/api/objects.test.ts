// Fetching single objects and their relations: node(id), job, task, jobTemplate, workerNodes.
import { beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { graphql } from "../gql/index.js";
import type { TaskFilter, TaskOrder } from "../gql/graphql.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";

const JobDetail = graphql(`
  query JobDetail($id: ID!) {
    job(id: $id) {
      id
      number
      status
      isCancelled
      deletedAt
      inputValues { name type value }
      parameterValues { name type value }
      template { name version executor { name version } inputs { name types required help } }
      parent { id }
      children { totalCount edges { node { id } } }
      node { name }
      creator { name role }
      outputs { totalCount edges { node { name type size sha256 contentType } } }
      events { totalCount edges { node { kind fromStatus toStatus jobVersion actorUser { name } } } }
      tasks(first: 10) {
        totalCount
        edges {
          node {
            id
            name
            qsequence
            sequence
            type
            executor { name version }
            requirements { cpu memory }
            limitations { maxExecutionTimeInSeconds }
            inputs { source { uri spaceId key } target { path } }
            createdByTask { name }
          }
        }
      }
    }
  }
`);

const JobTasks = graphql(`
  query JobTasks($id: ID!, $filter: TaskFilter, $orderBy: TaskOrder) {
    job(id: $id) {
      tasks(filter: $filter, orderBy: $orderBy, first: 50) { totalCount edges { node { name sequence status } } }
    }
  }
`);

const NodeLookup = graphql(`
  query NodeLookup($id: ID!, $ids: [ID!]!) {
    node(id: $id) { id __typename }
    nodes(ids: $ids) { id __typename }
  }
`);

const TaskLookup = graphql(`
  query TaskLookup($id: ID!) {
    task(id: $id) { name job { id } createdByTask { name } }
  }
`);

const TemplateLookup = graphql(`
  query TemplateLookup($id: ID, $name: String, $version: Int) {
    jobTemplate(id: $id, name: $name, version: $version) { id name version deletedAt }
  }
`);

const TemplateList = graphql(`
  query TemplateList($filter: JobTemplateFilter) {
    jobTemplates(filter: $filter, first: 50) { totalCount edges { node { name version } } }
  }
`);

const Nodes = graphql(`
  query Nodes {
    workerNodes(first: 10) {
      totalCount
      edges { node { name executors cpu memory labels currentJobs { totalCount edges { node { id } } } } }
    }
  }
`);

describe("objects and their relations", () => {
  let database: TestDatabase;
  let api: TestApi;
  let jobId: string;
  let childId: string;
  let taskIds: string[];
  let nodeId: string;
  const templateIds: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    const { db } = database;
    const user = await db.user.create({ data: { name: "bob", role: "ADMIN" } });
    const node = await db.workerNode.create({
      data: { name: "gpu-1", executors: ["python"], cpu: 16, memory: 65536, labels: { zone: "a" } },
    });
    nodeId = node.id;
    for (const version of [1, 2, 3]) templateIds.push((await createTemplate(db, "train", version)).id);
    await createTemplate(db, "hash", 1);
    await db.jobTemplate.update({ where: { id: templateIds[2] }, data: { deletedAt: new Date() } });

    [jobId] = (await createJobs(db, templateIds[1]!, 1, { outputs: 2 })) as [string];
    [childId] = (await createJobs(db, templateIds[1]!, 1, { spec: () => ({ parentId: jobId }) })) as [string];
    await db.job.update({
      where: { id: jobId },
      data: { status: "RUNNING", nodeId, creatorId: user.id, parameterValues: { epochs: { type: "int", value: 5 } } },
    });
    await db.job.update({ where: { id: childId }, data: { deletedAt: new Date() } });
    taskIds = [];
    for (const [q, name, sequence, status] of [
      [0, "prepare", 0, "SUCCEEDED"],
      [1, "shard-b", 1, "RUNNING"],
      [2, "shard-a", 1, "QUEUED"],
      [3, "merge", 2, "QUEUED"],
    ] as const) {
      const task = await db.task.create({
        data: {
          jobId,
          name,
          qsequence: q,
          sequence,
          status,
          executorName: "python",
          cpu: 2,
          memory: 4096,
          maxExecutionTimeInSeconds: 600,
          inputs: [{ source: { uri: "s3://bucket/in" }, target: { path: "in/data" } }, { source: { spaceId: "s", key: "k" }, target: { path: "k" } }],
          createdByTaskId: q > 0 ? taskIds[0] : null,
        },
      });
      taskIds.push(task.id);
    }
    await db.jobEvent.createMany({
      data: [
        { jobId, kind: "CREATED", toStatus: "QUEUED", jobVersion: 1, actorUserId: user.id },
        { jobId, kind: "ACQUIRED", fromStatus: "QUEUED", toStatus: "ACQUIRED", jobVersion: 2, actorNodeId: nodeId },
      ],
    });
  });

  const jobGid = () => encodeGlobalId("Job", jobId);

  it("returns a job with every relation", async () => {
    const { job } = await api.query(JobDetail, { id: jobGid() });
    expect(job).toMatchObject({
      id: jobGid(),
      status: "RUNNING",
      isCancelled: false,
      deletedAt: null,
      inputValues: [{ name: "dataset", type: "string", value: "s3://data/0" }],
      parameterValues: [{ name: "epochs", type: "int", value: 5 }],
      template: {
        name: "train",
        version: 2,
        executor: { name: "python", version: "3.11" },
        inputs: [{ name: "dataset", types: ["string"], required: true, help: "Dataset URI" }],
      },
      parent: null,
      node: { name: "gpu-1" },
      creator: { name: "bob", role: "ADMIN" },
    });
    expect(job!.children.totalCount).toBe(0);
    expect(job!.outputs.totalCount).toBe(2);
    expect(job!.outputs.edges[0]!.node).toMatchObject({ name: "output-0", type: "json", size: 100, contentType: "application/octet-stream" });
    expect(job!.outputs.edges[0]!.node.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(job!.events.edges.map((e) => [e.node.kind, e.node.jobVersion, e.node.actorUser?.name ?? null])).toEqual([
      ["CREATED", 1, "bob"],
      ["ACQUIRED", 2, null],
    ]);
    const tasks = job!.tasks.edges.map((e) => e.node);
    expect(tasks.map((t) => t.name)).toEqual(["prepare", "shard-b", "shard-a", "merge"]);
    expect(tasks[1]).toMatchObject({
      type: "TASK",
      executor: { name: "python", version: null },
      requirements: { cpu: 2, memory: 4096 },
      limitations: { maxExecutionTimeInSeconds: 600 },
      inputs: [
        { source: { uri: "s3://bucket/in", spaceId: null, key: null }, target: { path: "in/data" } },
        { source: { uri: null, spaceId: "s", key: "k" }, target: { path: "k" } },
      ],
      createdByTask: { name: "prepare" },
    });
  });

  it("shows soft-deleted children only when asked, and a deleted job by id", async () => {
    const Children = graphql(`
      query Children($id: ID!) {
        job(id: $id) { all: children(includeDeleted: true) { totalCount } }
      }
    `);
    const { job } = await api.query(Children, { id: jobGid() });
    expect(job!.all.totalCount).toBe(1);
    const child = await api.query(JobDetail, { id: encodeGlobalId("Job", childId) });
    expect(child.job!.deletedAt).not.toBeNull();
    expect(child.job!.parent!.id).toBe(jobGid());
  });

  it("finds a job by its number, deleted or not, and answers null for a number no job has", async () => {
    const ByNumber = graphql(`
      query JobByNumber($number: Long!) { jobByNumber(number: $number) { id number } }
    `);
    for (const id of [jobId, childId]) {
      const { number } = await database.db.job.findUniqueOrThrow({ where: { id }, select: { number: true } });
      expect((await api.query(ByNumber, { number: Number(number) })).jobByNumber).toEqual({ id: encodeGlobalId("Job", id), number: Number(number) });
    }
    expect((await api.query(ByNumber, { number: 999_999 })).jobByNumber).toBeNull();
  });

  it("filters and orders a job's tasks", async () => {
    const run = async (vars: { filter?: TaskFilter; orderBy?: TaskOrder }) =>
      (await api.query(JobTasks, { id: jobGid(), ...vars })).job!.tasks.edges.map((e) => e.node.name);
    expect(await run({ filter: { name: "merge" } })).toEqual(["merge"]);
    expect(await run({ filter: { sequence: 1 } })).toEqual(["shard-b", "shard-a"]);
    expect(await run({ filter: { status: ["QUEUED"] } })).toEqual(["shard-a", "merge"]);
    expect(await run({ orderBy: { field: "NAME" } })).toEqual(["merge", "prepare", "shard-a", "shard-b"]);
    expect(await run({ orderBy: { field: "SEQUENCE", direction: "DESC" } })).toEqual(["merge", "shard-a", "shard-b", "prepare"]);
  });

  it("resolves node(id) and nodes(ids) for every type, null for unknown ids", async () => {
    const cases: Array<[string, string]> = [
      ["Job", jobId],
      ["Task", taskIds[0]!],
      ["JobTemplate", templateIds[0]!],
      ["WorkerNode", nodeId],
    ];
    const missing = encodeGlobalId("Job", "00000000-0000-4000-8000-000000000000");
    for (const [type, id] of cases) {
      const gid = encodeGlobalId(type, id);
      const data = await api.query(NodeLookup, { id: gid, ids: [missing, gid] });
      expect(data.node).toEqual({ id: gid, __typename: type });
      expect(data.nodes).toEqual([null, { id: gid, __typename: type }]);
    }
    const output = await database.db.jobOutput.findFirstOrThrow();
    const event = await database.db.jobEvent.findFirstOrThrow();
    for (const [type, id] of [["JobOutput", output.id], ["JobEvent", String(event.id)]] as const) {
      const gid = encodeGlobalId(type, id);
      expect((await api.query(NodeLookup, { id: gid, ids: [gid] })).node).toEqual({ id: gid, __typename: type });
    }
    expect((await api.query(NodeLookup, { id: missing, ids: [] })).node).toBeNull();
  });

  it("answers null for an ID of a type that is no node type, as for any ID that names nothing", async () => {
    const gid = encodeGlobalId("Job", jobId);
    // Types of the schema that no ID names, and names every object inherits.
    for (const type of ["Query", "Mutation", "PageInfo", "JobConnection", "Node", "Error", "constructor", "__proto__", "toString"]) {
      const other = encodeGlobalId(type, "00000000-0000-4000-8000-000000000000");
      const result = await api.request(NodeLookup, { id: other, ids: [gid, other] });
      expect(result).toEqual({ data: { node: null, nodes: [{ id: gid, __typename: "Job" }, null] } });
    }
  });

  it("refuses malformed global IDs with a clear error", async () => {
    for (const bad of ["nonsense", encodeGlobalId("Job", "42"), encodeGlobalId("JobEvent", "x")]) {
      const result = await api.request(NodeLookup, { id: bad, ids: [] });
      expect(result.errors?.[0]?.message).toBe(`Invalid global ID: ${bad}`);
    }
    const wrongType = await api.request(JobDetail, { id: encodeGlobalId("Task", taskIds[0]!) });
    expect(wrongType.errors?.[0]?.message).toMatch(/is not of type: Job/);
  });

  it("finds a task and the task that created it", async () => {
    const { task } = await api.query(TaskLookup, { id: encodeGlobalId("Task", taskIds[3]!) });
    expect(task).toEqual({ name: "merge", job: { id: jobGid() }, createdByTask: { name: "prepare" } });
  });

  it("looks templates up by id, by name (latest not deleted) and by name and version", async () => {
    const byId = await api.query(TemplateLookup, { id: encodeGlobalId("JobTemplate", templateIds[0]!) });
    expect(byId.jobTemplate).toMatchObject({ name: "train", version: 1 });
    const latest = await api.query(TemplateLookup, { name: "train" });
    expect(latest.jobTemplate).toMatchObject({ version: 2 });
    const deleted = await api.query(TemplateLookup, { name: "train", version: 3 });
    expect(deleted.jobTemplate?.deletedAt).not.toBeNull();
    expect((await api.query(TemplateLookup, { name: "nope" })).jobTemplate).toBeNull();
    const neither = await api.request(TemplateLookup, {});
    expect(neither.errors?.[0]?.message).toBe("jobTemplate takes either id or name");
  });

  it("lists templates with filters", async () => {
    const list = async (filter: object) =>
      (await api.query(TemplateList, { filter })).jobTemplates.edges.map((e) => `${e.node.name}@${e.node.version}`);
    expect(await list({})).toEqual(["hash@1", "train@2", "train@1"]);
    expect(await list({ includeDeleted: true })).toEqual(["hash@1", "train@3", "train@2", "train@1"]);
    expect(await list({ latestOnly: true })).toEqual(["hash@1", "train@2"]);
    expect(await list({ name: "train", latestOnly: true, includeDeleted: true })).toEqual(["train@3"]);
    expect(await list({ executor: "nothing" })).toEqual([]);
    expect((await api.query(TemplateList, { filter: { latestOnly: true } })).jobTemplates.totalCount).toBe(2);
  });

  it("lists worker nodes with the jobs they hold", async () => {
    const { workerNodes } = await api.query(Nodes, {});
    expect(workerNodes.totalCount).toBe(1);
    expect(workerNodes.edges[0]!.node).toMatchObject({
      name: "gpu-1",
      executors: ["python"],
      cpu: 16,
      memory: 65536,
      labels: { zone: "a" },
      currentJobs: { totalCount: 1, edges: [{ node: { id: jobGid() } }] },
    });
  });
});
