// Every action of the lifecycle table from every state: the allowed ones change the job as the
// table says (new status, version + 1, one event); all others change nothing at all and answer
// InvalidTransitionError, except a node's action on a QUEUED job, which it cannot hold a lease on:
// LeaseLostError (what a node whose job was reclaimed hears).
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { JobStatus } from "../../src/db/generated/prisma/enums.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser, type TestNode, type TestUser } from "../helpers/principals.js";

const STATUSES: JobStatus[] = ["QUEUED", "ACQUIRED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"];

type Who = "holder" | "creator" | "admin";
type Action = {
  mutation: string;
  who: Who;
  /** Arguments besides id, given the holder's lease token. */
  args?: (lease: string) => string;
  from: JobStatus[];
  /** The status after; undefined: unchanged. */
  to?: JobStatus;
  event: string;
};

const ACTIONS: Action[] = [
  { mutation: "acquireJob", who: "holder", from: ["QUEUED"], to: "ACQUIRED", event: "ACQUIRED" },
  { mutation: "releaseJob", who: "holder", args: (l) => `leaseToken: "${l}"`, from: ["ACQUIRED", "RUNNING"], to: "QUEUED", event: "RELEASED" },
  { mutation: "startJob", who: "holder", args: (l) => `leaseToken: "${l}"`, from: ["ACQUIRED"], to: "RUNNING", event: "STARTED" },
  {
    mutation: "reportJobProgress",
    who: "holder",
    args: (l) => `leaseToken: "${l}", progress: 0.5, detail: { step: "epoch 3" }`,
    from: ["RUNNING"],
    event: "PROGRESS",
  },
  { mutation: "renewJobLease", who: "holder", args: (l) => `leaseToken: "${l}"`, from: ["ACQUIRED", "RUNNING"], event: "LEASE_RENEWED" },
  { mutation: "finishJob", who: "holder", args: (l) => `leaseToken: "${l}"`, from: ["RUNNING"], to: "SUCCEEDED", event: "SUCCEEDED" },
  {
    mutation: "finishJob",
    who: "holder",
    args: (l) => `leaseToken: "${l}", error: "out of memory"`,
    from: ["RUNNING"],
    to: "FAILED",
    event: "FAILED",
  },
  { mutation: "resetJob", who: "creator", from: ["ACQUIRED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"], to: "QUEUED", event: "RESET" },
  { mutation: "abortJob", who: "admin", from: ["ACQUIRED", "RUNNING"], to: "QUEUED", event: "ABORTED" },
  { mutation: "cancelJob", who: "creator", from: ["QUEUED", "ACQUIRED", "RUNNING"], to: "CANCELLED", event: "CANCELLED" },
  { mutation: "updateJob", who: "creator", args: () => `input: { priority: 7 }`, from: STATUSES, event: "UPDATED" },
  { mutation: "deleteJob", who: "creator", from: STATUSES, event: "DELETED" },
];

describe("the lifecycle table", () => {
  let database: TestDatabase;
  let api: TestApi;
  let templateId: string;
  let creator: TestUser;
  let holder: TestNode;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    templateId = (await createTemplate(database.db)).id;
    creator = await createTestUser(database.db, "USER", "creator");
    holder = await createTestNode(database.db, "holder");
  });

  /** A job of alice's in the given state; held by the holder node when ACQUIRED or RUNNING. */
  async function jobIn(status: JobStatus) {
    const [id] = (await createJobs(database.db, templateId, 1)) as [string];
    const held = status === "ACQUIRED" || status === "RUNNING";
    const finished = status === "SUCCEEDED" || status === "FAILED" || status === "CANCELLED";
    const lease = randomUUID();
    await database.db.job.update({
      where: { id },
      data: {
        status,
        creatorId: creator.id,
        attempts: held || finished ? 1 : 0,
        ...(held ? { nodeId: holder.id, leaseToken: lease, leaseExpiresAt: new Date(Date.now() + 60_000) } : {}),
        ...(status === "RUNNING" ? { startTime: new Date(), progress: 0.25 } : {}),
        ...(finished ? { endTime: new Date(), nodeId: status === "CANCELLED" ? null : holder.id } : {}),
        ...(status === "FAILED" ? { errorReason: "earlier failure" } : {}),
      },
    });
    return { id, lease };
  }

  const snapshot = async (id: string) => ({
    job: await database.db.job.findUnique({ where: { id } }),
    events: await database.db.jobEvent.count({ where: { jobId: id } }),
  });

  async function perform(action: Action, id: string, lease: string) {
    const token = { holder: holder.secret, creator: creator.secret, admin: api.admin.secret }[action.who];
    const args = [`id: "${encodeGlobalId("Job", id)}"`, action.args?.(lease)].filter(Boolean).join(", ");
    const query = `mutation { result: ${action.mutation}(${args}) {
      __typename
      ... on InvalidTransitionError { from action message }
      ... on Error { message }
    } }`;
    const response = await api.fetch(
      "/graphql",
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) },
      { token },
    );
    const body = (await response.json()) as { data?: { result: { __typename: string; from?: string; action?: string } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return body.data!.result;
  }

  const cases = ACTIONS.flatMap((action) => STATUSES.map((status) => [action, status] as const));

  it.each(cases.map(([a, s]) => [`${a.mutation}${a.event === "FAILED" ? " (with error)" : ""}`, s, a] as const))(
    "%s from %s",
    async (_name, status, action) => {
      const { id, lease } = await jobIn(status);
      const before = await snapshot(id);
      const result = await perform(action, id, lease);
      const after = await snapshot(id);
      if (!action.from.includes(status)) {
        const leaseLost = action.who === "holder" && action.mutation !== "acquireJob" && status === "QUEUED";
        expect(result).toMatchObject(leaseLost ? { __typename: "LeaseLostError" } : { __typename: "InvalidTransitionError", from: status });
        expect(after).toEqual(before);
        return;
      }
      expect(result.__typename).not.toMatch(/Error$/);
      expect(after.job!.status).toBe(action.to ?? status);
      expect(after.job!.version).toBe(before.job!.version + 1);
      expect(after.events).toBe(before.events + 1);
      const event = await database.db.jobEvent.findFirstOrThrow({ where: { jobId: id }, orderBy: { id: "desc" } });
      expect(event).toMatchObject({
        kind: action.event,
        fromStatus: status,
        toStatus: action.to && action.to !== status ? action.to : null,
        jobVersion: after.job!.version,
      });
    },
  );

  it("sets what each transition promises", async () => {
    const acquired = await jobIn("QUEUED");
    await perform(ACTIONS[0]!, acquired.id, "");
    const job = await database.db.job.findUniqueOrThrow({ where: { id: acquired.id } });
    expect(job).toMatchObject({ nodeId: holder.id, attempts: 1 });
    expect(job.leaseToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(job.leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now());

    const running = await jobIn("RUNNING");
    await perform(ACTIONS.find((a) => a.mutation === "reportJobProgress")!, running.id, running.lease);
    expect(await database.db.job.findUniqueOrThrow({ where: { id: running.id } })).toMatchObject({
      progress: 0.5,
      progressDetail: { step: "epoch 3" },
    });
    const progress = await database.db.jobEvent.findFirstOrThrow({ where: { jobId: running.id, kind: "PROGRESS" } });
    expect(progress).toMatchObject({ progress: 0.5, detail: { step: "epoch 3" }, actorNodeId: holder.id });

    const failing = await jobIn("RUNNING");
    await perform(ACTIONS.find((a) => a.event === "FAILED")!, failing.id, failing.lease);
    expect(await database.db.job.findUniqueOrThrow({ where: { id: failing.id } })).toMatchObject({
      status: "FAILED",
      errorReason: "out of memory",
      leaseToken: null,
      nodeId: holder.id,
    });

    const reset = await jobIn("FAILED");
    await database.db.jobOutput.create({ data: { jobId: reset.id, name: "log", type: "text", sha256: "0".repeat(64) } });
    await perform(ACTIONS.find((a) => a.mutation === "resetJob")!, reset.id, "");
    expect(await database.db.job.findUniqueOrThrow({ where: { id: reset.id } })).toMatchObject({
      status: "QUEUED",
      nodeId: null,
      leaseToken: null,
      startTime: null,
      endTime: null,
      progress: 0,
      errorReason: null,
      attempts: 0,
    });
    expect(await database.db.jobOutput.count({ where: { jobId: reset.id } })).toBe(0);
  });

  it("refuses a lease token of any other shape as a lost lease, without touching the job", async () => {
    const running = await jobIn("RUNNING");
    const before = await snapshot(running.id);
    for (const action of ACTIONS.filter((a) => a.who === "holder" && a.args && a.from.includes("RUNNING"))) {
      expect((await perform(action, running.id, "not-a-lease")).__typename).toBe("LeaseLostError");
    }
    expect(await snapshot(running.id)).toEqual(before);
  });
});
