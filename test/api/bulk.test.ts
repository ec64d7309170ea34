// Bulk actions by filter: a dry run predicts exactly what the real run then does, and jobs that may
// not change are reported with the reason.
import { beforeAll, describe, expect, it } from "vitest";
import { graphql } from "../gql/index.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestUser, type TestUser } from "../helpers/principals.js";

const CancelJobs = graphql(`
  mutation CancelJobsBulk($filter: JobFilter!, $dryRun: Boolean) {
    cancelJobs(filter: $filter, dryRun: $dryRun, reason: "batch withdrawn") {
      __typename
      ... on BulkJobsPayload { dryRun matched changed sample { id } items { jobId outcome message job { status } } }
      ... on ValidationError { message }
      ... on Error { message }
    }
  }
`);

const ResetJobs = graphql(`
  mutation ResetJobsBulk($filter: JobFilter!, $dryRun: Boolean) {
    resetJobs(filter: $filter, dryRun: $dryRun) {
      __typename
      ... on BulkJobsPayload { matched changed sample { id } items { jobId outcome } }
      ... on Error { message }
    }
  }
`);

const DeleteJobs = graphql(`
  mutation DeleteJobsBulk($filter: JobFilter!, $dryRun: Boolean) {
    deleteJobs(filter: $filter, dryRun: $dryRun) {
      __typename
      ... on BulkJobsPayload { matched changed sample { id } items { jobId outcome } }
      ... on Error { message }
    }
  }
`);

describe("bulk actions", () => {
  let database: TestDatabase;
  let api: TestApi;
  let templateId: string;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    templateId = (await createTemplate(database.db)).id;
    alice = await createTestUser(database.db, "USER", "alice");
    bob = await createTestUser(database.db, "USER", "bob");
  });

  /** Jobs tagged `tag`: alice's in the given statuses, and one queued job of bob's. */
  async function batch(tag: string, statuses: Array<"QUEUED" | "RUNNING" | "SUCCEEDED">) {
    const ids = await createJobs(database.db, templateId, statuses.length + 1, { spec: () => ({ tags: [tag] }) });
    for (const [i, status] of statuses.entries()) {
      await database.db.job.update({ where: { id: ids[i]! }, data: { status, creatorId: alice.id } });
    }
    await database.db.job.update({ where: { id: ids.at(-1)! }, data: { creatorId: bob.id } });
    return ids;
  }
  const snapshot = () => database.db.job.findMany({ orderBy: { id: "asc" }, select: { id: true, status: true, version: true, deletedAt: true } });

  it("predicts in a dry run exactly what the real run does, and reports every refusal", async () => {
    await batch("withdrawn", ["QUEUED", "QUEUED", "RUNNING", "SUCCEEDED"]);
    const filter = { tags: ["withdrawn"] };
    const before = await snapshot();
    const { cancelJobs: dry } = await api.query(CancelJobs, { filter, dryRun: true }, { token: alice.secret });
    if (dry.__typename !== "BulkJobsPayload") throw new Error(JSON.stringify(dry));
    expect(await snapshot()).toEqual(before);
    expect(dry).toMatchObject({ dryRun: true, matched: 5, changed: 3 });
    expect(dry.items.map((i) => i.outcome).sort()).toEqual(["FORBIDDEN", "INVALID_TRANSITION"]);
    expect(dry.items.find((i) => i.outcome === "INVALID_TRANSITION")?.message).toBe("cannot cancel a job that is SUCCEEDED");

    const { cancelJobs: real } = await api.query(CancelJobs, { filter, dryRun: false }, { token: alice.secret });
    if (real.__typename !== "BulkJobsPayload") throw new Error(JSON.stringify(real));
    expect(real).toMatchObject({ dryRun: false, matched: 5, changed: 3 });
    const changed = real.items.filter((i) => i.outcome === "CHANGED");
    expect(changed.map((i) => i.jobId).sort()).toEqual(dry.sample.map((j) => j.id).sort());
    expect(changed.every((i) => i.job?.status === "CANCELLED")).toBe(true);
    expect(real.items.filter((i) => i.outcome !== "CHANGED").map((i) => i.jobId).sort()).toEqual(dry.items.map((i) => i.jobId).sort());
  });

  it("lets an admin act on everyone's jobs, and deletes and resets by filter", async () => {
    await batch("cleanup", ["SUCCEEDED", "QUEUED"]);
    const filter = { tags: ["cleanup"] };
    const reset = await api.query(ResetJobs, { filter, dryRun: true });
    expect(reset.resetJobs).toMatchObject({ matched: 3, changed: 1 });
    const deleted = await api.query(DeleteJobs, { filter });
    expect(deleted.deleteJobs).toMatchObject({ matched: 3, changed: 3 });
    expect(await database.db.job.count({ where: { tags: { has: "cleanup" }, deletedAt: null } })).toBe(0);
    const again = await api.query(DeleteJobs, { filter: { ...filter, includeDeleted: true }, dryRun: true });
    expect(again.deleteJobs).toMatchObject({ matched: 3, changed: 0 });
  });

  it("refuses a filter that matches more jobs than one call may change", async () => {
    await createJobs(database.db, templateId, 1001, { spec: () => ({ tags: ["flood"] }) });
    const { cancelJobs } = await api.query(CancelJobs, { filter: { tags: ["flood"] }, dryRun: true });
    expect(cancelJobs).toMatchObject({ __typename: "ValidationError", message: "the filter matches 1001 jobs; one call may act on at most 1000" });
  });
});
