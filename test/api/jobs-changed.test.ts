// jobsChanged: the membership of a filtered set of jobs, over server-sent events.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { graphql } from "../gql/index.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode } from "../helpers/principals.js";
import { subscribeSse } from "../helpers/sse.js";

const Acquire = graphql(`
  mutation AcquireForSet($id: ID!) { acquireJob(id: $id) { __typename ... on AcquireJobPayload { lease { token } } } }
`);
const Start = graphql(`
  mutation StartForSet($id: ID!, $lease: String!) { startJob(id: $id, leaseToken: $lease) { __typename } }
`);
const Progress = graphql(`
  mutation ProgressForSet($id: ID!, $lease: String!) { reportJobProgress(id: $id, leaseToken: $lease, progress: 0.5) { __typename } }
`);
const Finish = graphql(`
  mutation FinishForSet($id: ID!, $lease: String!) { finishJob(id: $id, leaseToken: $lease) { __typename } }
`);

const JobsChanged = `subscription ($filter: JobFilter!) {
  jobsChanged(filter: $filter) { change count jobId kind job { status } }
}`;

describe("jobsChanged", () => {
  let database: TestDatabase;
  let api: TestApi;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
  });
  afterAll(() => api.app.stop());

  it("reports jobs entering, changing within and leaving a filtered set", async () => {
    const render = await createTemplate(database.db, "render");
    const other = await createTemplate(database.db, "other");
    const [watched] = (await createJobs(database.db, render.id, 1)) as [string];
    const [ignored] = (await createJobs(database.db, other.id, 1)) as [string];
    const node = await createTestNode(database.db);
    const subscription = await subscribeSse(api, JobsChanged, { filter: { status: ["RUNNING"], template: { name: "render" } } });
    try {
      expect((await subscription.next()).data).toEqual({ jobsChanged: { change: "INITIAL", count: 0, jobId: null, kind: null, job: null } });
      const run = async (id: string) => {
        const { acquireJob } = await api.query(Acquire, { id: encodeGlobalId("Job", id) }, { token: node.secret });
        if (acquireJob.__typename !== "AcquireJobPayload") throw new Error(acquireJob.__typename);
        const lease = acquireJob.lease!.token;
        await api.query(Start, { id: encodeGlobalId("Job", id), lease }, { token: node.secret });
        return lease;
      };
      const otherLease = await run(ignored);
      const lease = await run(watched);
      const gid = encodeGlobalId("Job", watched);
      // The set is re-read when each batch of events is delivered, so a job that was acquired and started
      // in quick succession may enter the set on its ACQUIRED event (already RUNNING by then) and be
      // updated by its STARTED event; either way it enters exactly once, as RUNNING.
      const added = (await subscription.next()).data as { jobsChanged: { kind: string } };
      expect(added).toEqual({ jobsChanged: { change: "ADDED", count: null, jobId: gid, kind: added.jobsChanged.kind, job: { status: "RUNNING" } } });
      expect(["ACQUIRED", "STARTED"]).toContain(added.jobsChanged.kind);
      if (added.jobsChanged.kind === "ACQUIRED") {
        expect((await subscription.next()).data).toMatchObject({ jobsChanged: { change: "UPDATED", jobId: gid, kind: "STARTED" } });
      }
      await api.query(Progress, { id: encodeGlobalId("Job", ignored), lease: otherLease }, { token: node.secret });
      await api.query(Progress, { id: gid, lease }, { token: node.secret });
      expect((await subscription.next()).data).toMatchObject({ jobsChanged: { change: "UPDATED", jobId: gid, kind: "PROGRESS" } });
      await api.query(Finish, { id: gid, lease }, { token: node.secret });
      expect((await subscription.next()).data).toMatchObject({ jobsChanged: { change: "REMOVED", jobId: gid, kind: "SUCCEEDED", job: { status: "SUCCEEDED" } } });
    } finally {
      await subscription.close();
    }
  });
});
