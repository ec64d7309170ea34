// Listing jobs: every filter, both orders, paging in both directions, and the page-size limit.
import { beforeAll, describe, expect, it } from "vitest";
import { graphql } from "../gql/index.js";
import type { JobFilter } from "../gql/graphql.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";

const ListJobs = graphql(`
  query ListJobs($filter: JobFilter, $orderBy: JobOrder, $first: Int, $after: String, $last: Int, $before: String) {
    jobs(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id name number status priority } }
    }
  }
`);


describe("jobs", () => {
  let database: TestDatabase;
  let api: TestApi;
  const ids: Record<string, string> = {};
  let userId: string;
  let nodeId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database, { settings: { maxPageSize: 10, defaultPageSize: 4 } });
    const { db } = database;
    const user = await db.user.create({ data: { name: "alice" } });
    const node = await db.workerNode.create({ data: { name: "node-1" } });
    userId = user.id;
    nodeId = node.id;
    const train1 = await createTemplate(db, "train", 1);
    const train2 = await createTemplate(db, "train", 2);
    const hash = await createTemplate(db, "hash", 1);
    const day = (d: number) => new Date(Date.UTC(2026, 5, d));
    const one = async (...args: Parameters<typeof createJobs>) => (await createJobs(...args))[0]!;
    ids.parent = await one(db, train1.id, 1, {
      spec: () => ({ description: "The nightly retraining run", createdAt: day(1), tags: ["nightly", "ml"] }),
    });
    const children = await createJobs(db, train2.id, 2, {
      spec: (i) => ({ parentId: ids.parent, createdAt: day(2 + i), queue: "gpu", status: i ? "RUNNING" : "QUEUED" }),
    });
    ids.childA = children[0]!;
    ids.childB = children[1]!;
    ids.hashDone = await one(db, hash.id, 1, {
      spec: () => ({ status: "SUCCEEDED", createdAt: day(4), tags: ["ml"], priority: 5 }),
    });
    ids.deleted = await one(db, hash.id, 1, { spec: () => ({ createdAt: day(5), deletedAt: day(6) }) });
    await db.job.update({
      where: { id: ids.hashDone },
      data: { endTime: day(10), creatorId: userId, nodeId, name: "checksum of dataset" },
    });
    await db.job.update({ where: { id: ids.childB }, data: { nodeId } });
  });

  async function names(filter: JobFilter, first = 10) {
    const data = await api.query(ListJobs, { filter, first });
    return data.jobs.edges.map((e) => e.node.id).sort();
  }
  const gid = (id: string | undefined) => encodeGlobalId("Job", id!);

  it("lists jobs newest first and leaves soft-deleted ones out", async () => {
    const data = await api.query(ListJobs, { first: 10 });
    expect(data.jobs.edges.map((e) => e.node.id)).toEqual([ids.hashDone, ids.childB, ids.childA, ids.parent].map(gid));
    expect(data.jobs.totalCount).toBe(4);
  });

  it("applies every filter", async () => {
    const all = (...keys: string[]) => keys.map((k) => gid(ids[k]!)).sort();
    expect(await names({ status: ["RUNNING", "SUCCEEDED"] })).toEqual(all("childB", "hashDone"));
    expect(await names({ queue: ["gpu"] })).toEqual(all("childA", "childB"));
    expect(await names({ template: { name: "train" } })).toEqual(all("parent", "childA", "childB"));
    expect(await names({ template: { name: "train", version: 2 } })).toEqual(all("childA", "childB"));
    expect(await names({ node: encodeGlobalId("WorkerNode", nodeId) })).toEqual(all("childB", "hashDone"));
    expect(await names({ creator: encodeGlobalId("User", userId) })).toEqual(all("hashDone"));
    expect(await names({ parent: gid(ids.parent) })).toEqual(all("childA", "childB"));
    expect(await names({ topLevel: true })).toEqual(all("parent", "hashDone"));
    expect(await names({ topLevel: false })).toEqual(all("childA", "childB"));
    expect(await names({ tags: ["ml"] })).toEqual(all("parent", "hashDone"));
    expect(await names({ tags: ["ml", "nightly"] })).toEqual(all("parent"));
    expect(await names({ createdAt: { from: "2026-06-02T00:00:00Z", to: "2026-06-04T00:00:00Z" } })).toEqual(
      all("childA", "childB"),
    );
    expect(await names({ finishedAt: { from: "2026-06-10T00:00:00Z" } })).toEqual(all("hashDone"));
    expect(await names({ updatedAt: { to: "2000-01-01T00:00:00Z" } })).toEqual([]);
    expect(await names({ search: "RETRAINING" })).toEqual(all("parent"));
    expect(await names({ search: "checksum" })).toEqual(all("hashDone"));
    expect(await names({ includeDeleted: true, template: { name: "hash" } })).toEqual(all("hashDone", "deleted"));
    expect(await names({ status: ["QUEUED"], queue: ["gpu"] })).toEqual(all("childA"));
  });

  it("counts what the filter admits, not only the page", async () => {
    const data = await api.query(ListJobs, { filter: { includeDeleted: true }, first: 2 });
    expect(data.jobs.totalCount).toBe(5);
    expect(data.jobs.edges).toHaveLength(2);
    expect(data.jobs.pageInfo.hasNextPage).toBe(true);
  });

  it("sorts by the requested field with stable ties", async () => {
    const byPriority = await api.query(ListJobs, { orderBy: { field: "PRIORITY", direction: "DESC" }, first: 10 });
    expect(byPriority.jobs.edges[0]!.node.id).toBe(gid(ids.hashDone));
    const byNumber = await api.query(ListJobs, { orderBy: { field: "NUMBER", direction: "ASC" }, first: 10 });
    const numbers = byNumber.jobs.edges.map((e) => e.node.number);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    const byEnd = await api.query(ListJobs, { orderBy: { field: "END_TIME", direction: "ASC" }, first: 10 });
    expect(byEnd.jobs.edges[0]!.node.id).toBe(gid(ids.hashDone));
  });

  it("pages forward and backward without gaps or overlaps", async () => {
    const forward: string[] = [];
    let after: string | null | undefined;
    let pages = 0;
    for (;;) {
      const { jobs } = await api.query(ListJobs, { first: 3, after, filter: { includeDeleted: true } });
      forward.push(...jobs.edges.map((e) => e.node.id));
      pages++;
      if (!jobs.pageInfo.hasNextPage) break;
      after = jobs.pageInfo.endCursor;
    }
    expect(pages).toBe(2);
    expect(new Set(forward).size).toBe(5);

    const last = await api.query(ListJobs, { last: 2, filter: { includeDeleted: true } });
    expect(last.jobs.edges.map((e) => e.node.id)).toEqual(forward.slice(3));
    expect(last.jobs.pageInfo.hasPreviousPage).toBe(true);
    const before = await api.query(ListJobs, { last: 3, before: last.jobs.pageInfo.startCursor, filter: { includeDeleted: true } });
    expect(before.jobs.edges.map((e) => e.node.id)).toEqual(forward.slice(0, 3));
  });

  it("uses the default page size when none is given", async () => {
    const data = await api.query(ListJobs, {});
    expect(data.jobs.edges).toHaveLength(4);
  });

  it("refuses a page larger than the maximum with a clear error", async () => {
    const over = await api.request(ListJobs, { first: 11 });
    expect(over.data?.jobs ?? null).toBeNull();
    expect(over.errors?.[0]?.message).toBe('"first" is 11, more than the maximum page size of 10');
    expect(over.errors?.[0]?.extensions?.code).toBe("PAGE_SIZE_EXCEEDED");
    const lastOver = await api.request(ListJobs, { last: 11 });
    expect(lastOver.errors?.[0]?.message).toContain("maximum page size of 10");
    const atMax = await api.request(ListJobs, { first: 10 });
    expect(atMax.errors).toBeUndefined();
  });

  it("refuses a malformed ID in a filter", async () => {
    const result = await api.request(ListJobs, { filter: { parent: "not-an-id" } });
    expect(result.errors?.[0]?.message).toMatch(/Invalid global ID/);
  });
});
