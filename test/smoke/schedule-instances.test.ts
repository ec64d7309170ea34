// Three gateway processes on one database, each handling due schedules every second: a schedule
// that ticks every second makes exactly one job per tick for 20 s, whichever instance handles
// it. Then every gateway is killed; past the grace period, the first one started again applies
// each schedule's catch-up policy to the ticks missed meanwhile: LAST makes one job for the latest
// of them, SKIP none, and both go on ticking every second.
import { afterAll, beforeAll, expect, it } from "vitest";
import { decodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createTemplate } from "../helpers/fixtures.js";
import { graphql, startServer, type ServerProcess } from "../helpers/server-process.js";

const ADMIN = `jgu_schedules_${"s".repeat(32)}`;
const GRACE_SECONDS = 5;
/** How long the three gateways race for each tick: 20 ticks of each schedule, each one claimed by one of them. */
const TICKING_SECONDS = 20;
let database: TestDatabase;
let gateways: ServerProcess[] = [];

const env = () => ({
  DATABASE_URL: database.url,
  JOBGRAPH_ADMIN_TOKEN: ADMIN,
  JOBGRAPH_LOG_LEVEL: "warn",
  JOBGRAPH_SCHEDULE_INTERVAL_MS: "1000",
  JOBGRAPH_SCHEDULE_GRACE_SECONDS: String(GRACE_SECONDS),
});

const start = () => Promise.all([startServer(env()), startServer(env()), startServer(env())]);

/** Kills every gateway at once, as a power cut would: no time to finish a pass. */
async function killAll() {
  await Promise.all(
    gateways.map(async (gateway) => {
      gateway.child.kill("SIGKILL");
      await gateway.exited;
      await gateway.dispose();
    }),
  );
  gateways = [];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  database = await createTestDatabase();
  await createTemplate(database.db, "heartbeat");
  gateways = await start();
}, 180_000);

afterAll(async () => {
  await killAll();
});

async function createSchedule(name: string, catchUp: "LAST" | "SKIP"): Promise<string> {
  const created = await graphql<{ createSchedule: { __typename: string; id: string } }>(
    gateways[0]!,
    ADMIN,
    `mutation($input: CreateScheduleInput!) { createSchedule(input: $input) { __typename ... on Schedule { id } } }`,
    { input: { name, cron: "* * * * * *", overlap: "QUEUE", catchUp, job: { templateName: "heartbeat", inputs: [{ name: "dataset", value: name }] } } },
  );
  expect(created.createSchedule.__typename).toBe("Schedule");
  return decodeGlobalId(created.createSchedule.id).id;
}

const ticksOf = (scheduleId: string) => database.db.scheduleTick.findMany({ where: { scheduleId }, orderBy: { tickAt: "asc" } });

/** The jobs whose CREATED event names the schedule. */
const createdEventsOf = (scheduleId: string) =>
  database.db.jobEvent.findMany({ where: { kind: "CREATED", detail: { path: ["schedule"], equals: scheduleId } }, select: { jobId: true } });

/**
 * A schedule's ticks and jobs read in one snapshot: the gateways go on ticking, and a tick handled
 * between two separate reads would show a job its tick list does not hold yet.
 */
async function ticksAndJobsOf(scheduleId: string) {
  const [ticks, events] = await database.db.$transaction([ticksOf(scheduleId), createdEventsOf(scheduleId)], { isolationLevel: "RepeatableRead" });
  return { ticks, jobs: events.map((e) => e.jobId!) };
}

it("makes one job per tick with three gateways for 20 s, and catches up by each schedule's policy after all were down", async () => {
  const last = await createSchedule("heartbeat last", "LAST");
  const skip = await createSchedule("heartbeat skip", "SKIP");
  await sleep(TICKING_SECONDS * 1000);

  for (const id of [last, skip]) {
    const { ticks, jobs } = await ticksAndJobsOf(id);
    // Less the seconds of the schedules' creation and the first pass.
    expect(ticks.length).toBeGreaterThanOrEqual(TICKING_SECONDS - 3);
    // Every second once, none twice, none left out, each with a job of its own.
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]!.tickAt.getTime() - ticks[i - 1]!.tickAt.getTime(), `tick ${i}`).toBe(1000);
    expect(ticks.every((t) => t.outcome === "CREATED" && t.detail === null)).toBe(true);
    expect(new Set(ticks.map((t) => t.jobId)).size).toBe(ticks.length);
    expect(jobs.sort()).toEqual(ticks.map((t) => t.jobId!).sort());
  }

  await killAll();
  const downAt = Date.now();
  const before = new Map([[last, (await ticksOf(last)).length], [skip, (await ticksOf(skip)).length]]);
  await sleep((GRACE_SECONDS + 8) * 1000);
  gateways = await start();
  const upAt = Date.now();
  await sleep(4_000);

  for (const id of [last, skip]) {
    const { ticks, jobs } = await ticksAndJobsOf(id);
    const after = ticks.slice(before.get(id));
    // The ticks before the kill, then the missed ones' one record, then every second again.
    const missed = after.filter((t) => t.detail?.startsWith("missed"));
    expect(missed, JSON.stringify(after.map((t) => [t.tickAt, t.outcome, t.detail]))).toHaveLength(1);
    const [caughtUp] = missed;
    expect(caughtUp!.tickAt.getTime()).toBeGreaterThan(downAt - 1000);
    expect(caughtUp!.tickAt.getTime()).toBeLessThan(upAt - GRACE_SECONDS * 1000);
    expect(caughtUp!.outcome).toBe(id === last ? "CREATED" : "SKIPPED_MISSED");
    expect(caughtUp!.jobId === null).toBe(id === skip);
    const onTime = after.filter((t) => t !== caughtUp);
    expect(onTime.length).toBeGreaterThanOrEqual(GRACE_SECONDS);
    expect(onTime.every((t) => t.outcome === "CREATED" && t.detail === null)).toBe(true);
    for (let i = 1; i < onTime.length; i++) expect(onTime[i]!.tickAt.getTime() - onTime[i - 1]!.tickAt.getTime()).toBe(1000);
    // Nothing between the kill and the missed tick, nor between it and the first on-time one.
    const gap = ticks.filter((t) => t.tickAt > ticks[before.get(id)! - 1]!.tickAt && t.tickAt < onTime[0]!.tickAt);
    expect(gap).toEqual([caughtUp]);
    expect(jobs.length).toBe(ticks.filter((t) => t.outcome === "CREATED").length);
  }
}, 240_000);
