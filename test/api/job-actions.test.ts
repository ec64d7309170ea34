// The actions around the table: compare-and-set updates, cancellation that cascades, soft and hard
// deletion, and who may do them.
import { beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { graphql } from "../gql/index.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser, type TestUser } from "../helpers/principals.js";

const UpdateJob = graphql(`
  mutation UpdateJobAction($id: ID!, $input: UpdateJobInput!) {
    updateJob(id: $id, input: $input) {
      __typename
      ... on JobPayload { job { description priority tags version } }
      ... on ConflictError { currentVersion message }
      ... on ValidationError { fieldErrors { path message } }
      ... on Error { message }
    }
  }
`);

const CancelJob = graphql(`
  mutation CancelJobAction($id: ID!, $reason: String) {
    cancelJob(id: $id, reason: $reason) {
      __typename
      ... on JobPayload { job { status endTime children(first: 10) { edges { node { status } } } } }
      ... on Error { message }
    }
  }
`);

const DeleteJob = graphql(`
  mutation DeleteJobAction($id: ID!) {
    deleteJob(id: $id) { __typename ... on JobPayload { job { deletedAt } } ... on Error { message } }
  }
`);

const ReinstateJob = graphql(`
  mutation ReinstateJobAction($id: ID!) {
    reinstateJob(id: $id) { __typename ... on JobPayload { job { deletedAt } } ... on Error { message } }
  }
`);

const HardDeleteJob = graphql(`
  mutation HardDeleteJobAction($id: ID!) {
    hardDeleteJob(id: $id) { __typename ... on HardDeleteJobPayload { deletedJobId number } ... on Error { message } }
  }
`);

const AbortJob = graphql(`
  mutation AbortJobAction($id: ID!) {
    abortJob(id: $id) { __typename ... on JobPayload { job { status node { name } } } ... on Error { message } }
  }
`);

describe("job actions", () => {
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

  async function aliceJob(spec: { parentId?: string } = {}) {
    const [id] = (await createJobs(database.db, templateId, 1, { spec: () => spec })) as [string];
    await database.db.job.update({ where: { id }, data: { creatorId: alice.id } });
    return id;
  }
  const gid = (id: string) => encodeGlobalId("Job", id);

  describe("updateJob", () => {
    it("changes description, priority and tags, and refuses when the expected version moved on", async () => {
      const id = await aliceJob();
      const first = await api.query(UpdateJob, { id: gid(id), input: { description: "retrain", tags: ["a"], expectedVersion: 1 } }, { token: alice.secret });
      expect(first.updateJob).toMatchObject({ __typename: "JobPayload", job: { description: "retrain", tags: ["a"], version: 2 } });
      const stale = await api.query(UpdateJob, { id: gid(id), input: { priority: 9, expectedVersion: 1 } }, { token: alice.secret });
      expect(stale.updateJob).toMatchObject({ __typename: "ConflictError", currentVersion: 2 });
      expect(await database.db.job.findUniqueOrThrow({ where: { id } })).toMatchObject({ priority: 0, version: 2 });
    });

    it("refuses strangers, empty updates and bad tags", async () => {
      const id = await aliceJob();
      expect((await api.query(UpdateJob, { id: gid(id), input: { priority: 1 } }, { token: bob.secret })).updateJob.__typename).toBe(
        "ForbiddenError",
      );
      expect((await api.query(UpdateJob, { id: gid(id), input: {} }, { token: alice.secret })).updateJob.__typename).toBe("ValidationError");
      const badTags = await api.query(UpdateJob, { id: gid(id), input: { tags: ["ok", " "] } }, { token: alice.secret });
      expect(badTags.updateJob).toMatchObject({ fieldErrors: [{ path: ["tags", "1"] }] });
    });
  });

  describe("cancelJob", () => {
    it("cancels the job and every descendant still queued or held, with an event each", async () => {
      const parent = await aliceJob();
      const child = await aliceJob({ parentId: parent });
      const grandchild = await aliceJob({ parentId: child });
      const finishedChild = await aliceJob({ parentId: parent });
      await database.db.job.update({ where: { id: finishedChild }, data: { status: "SUCCEEDED" } });
      const { cancelJob } = await api.query(CancelJob, { id: gid(parent), reason: "not needed" }, { token: alice.secret });
      expect(cancelJob).toMatchObject({ __typename: "JobPayload", job: { status: "CANCELLED", endTime: expect.any(String) } });
      const statuses = await database.db.job.findMany({ where: { id: { in: [child, grandchild, finishedChild] } }, select: { id: true, status: true } });
      expect(Object.fromEntries(statuses.map((s) => [s.id, s.status]))).toEqual({
        [child]: "CANCELLED",
        [grandchild]: "CANCELLED",
        [finishedChild]: "SUCCEEDED",
      });
      const cascaded = await database.db.jobEvent.findFirstOrThrow({ where: { jobId: grandchild, kind: "CANCELLED" } });
      expect(cascaded).toMatchObject({ fromStatus: "QUEUED", toStatus: "CANCELLED", detail: { cascadedFrom: parent }, actorUserId: alice.id });
    });

    it("is refused to strangers and worker nodes, and changes nothing", async () => {
      const id = await aliceJob();
      const node = await createTestNode(database.db);
      for (const token of [bob.secret, node.secret]) {
        expect((await api.query(CancelJob, { id: gid(id) }, { token })).cancelJob.__typename).toBe("ForbiddenError");
      }
      expect(await database.db.job.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "QUEUED", version: 1 });
      expect((await api.query(CancelJob, { id: gid("00000000-0000-4000-8000-000000000000") })).cancelJob.__typename).toBe("NotFoundError");
    });
  });

  describe("deletion", () => {
    it("soft-deletes and reinstates for the creator; a deleted job leaves the lifecycle until reinstated", async () => {
      const id = await aliceJob();
      expect((await api.query(DeleteJob, { id: gid(id) }, { token: bob.secret })).deleteJob.__typename).toBe("ForbiddenError");
      expect((await api.query(DeleteJob, { id: gid(id) }, { token: alice.secret })).deleteJob).toMatchObject({
        job: { deletedAt: expect.any(String) },
      });
      expect((await api.query(CancelJob, { id: gid(id) }, { token: alice.secret })).cancelJob).toMatchObject({
        __typename: "InvalidTransitionError",
        message: "cannot cancel a deleted job; reinstate it first",
      });
      expect((await api.query(DeleteJob, { id: gid(id) }, { token: alice.secret })).deleteJob.__typename).toBe("InvalidTransitionError");
      expect((await api.query(ReinstateJob, { id: gid(id) }, { token: alice.secret })).reinstateJob).toMatchObject({ job: { deletedAt: null } });
      expect((await api.query(ReinstateJob, { id: gid(id) }, { token: alice.secret })).reinstateJob.__typename).toBe("InvalidTransitionError");
    });

    it("deletes for good for admins only, keeping the history", async () => {
      const id = await aliceJob();
      const task = await database.db.task.create({ data: { jobId: id, name: "t", qsequence: 0 } });
      const taskEvent = await database.db.jobEvent.create({ data: { jobId: id, taskId: task.id, kind: "TASK_STARTED", jobVersion: 2 } });
      await database.db.jobOutput.create({ data: { jobId: id, name: "o", type: "json", sha256: "0".repeat(64) } });
      expect((await api.query(HardDeleteJob, { id: gid(id) }, { token: alice.secret })).hardDeleteJob.__typename).toBe("ForbiddenError");
      const { hardDeleteJob } = await api.query(HardDeleteJob, { id: gid(id) });
      expect(hardDeleteJob).toMatchObject({ __typename: "HardDeleteJobPayload", deletedJobId: gid(id) });
      expect(await database.db.job.count({ where: { id } })).toBe(0);
      expect(await database.db.task.count({ where: { jobId: id } })).toBe(0);
      expect(await database.db.jobOutput.count({ where: { jobId: id } })).toBe(0);
      const trail = await database.db.jobEvent.findFirstOrThrow({ where: { kind: "HARD_DELETED" } });
      expect(trail).toMatchObject({ jobId: id, detail: { jobId: id }, actorUserId: api.admin.id });
      // The history names the task it was about, as it names the job, after both are gone.
      expect(await database.db.jobEvent.findUniqueOrThrow({ where: { id: taskEvent.id } })).toMatchObject({ jobId: id, taskId: task.id });
      expect((await api.query(HardDeleteJob, { id: gid(id) })).hardDeleteJob.__typename).toBe("NotFoundError");
    });
  });

  it("aborts a held job for admins only", async () => {
    const id = await aliceJob();
    const node = await createTestNode(database.db);
    await database.db.job.update({
      where: { id },
      data: { status: "RUNNING", nodeId: node.id, leaseToken: "5f0c3b6e-2a51-4f4e-9a43-0b5f1f7d9c11", leaseExpiresAt: new Date(Date.now() + 60_000) },
    });
    expect((await api.query(AbortJob, { id: gid(id) }, { token: alice.secret })).abortJob.__typename).toBe("ForbiddenError");
    expect((await api.query(AbortJob, { id: gid(id) })).abortJob).toMatchObject({ job: { status: "QUEUED", node: null } });
  });
});
