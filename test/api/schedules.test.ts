// Schedules through the API: creation checked field by field, nextRunTimes in a time zone with
// daylight saving, pause, resume and delete by their owner, and ticks handled by the domain's pass
// over due schedules on a real database: each overlap policy, each catch-up policy, a job that no
// longer fits its template. test/smoke/schedule-instances.test.ts runs three gateways at once.
import { Cron } from "croner";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDueSchedules, ticksDue, TICKS_KEPT } from "../../src/domain/schedules.js";
import { decodeGlobalId, encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createTemplate } from "../helpers/fixtures.js";
import { createTestNode, createTestUser, type TestNode, type TestUser } from "../helpers/principals.js";

let database: TestDatabase;
let api: TestApi;
let user: TestUser;
let other: TestUser;
let node: TestNode;

const HOUR = 3_600_000;

beforeAll(async () => {
  database = await createTestDatabase();
  api = await createTestApi(database);
  user = await createTestUser(database.db);
  other = await createTestUser(database.db);
  node = await createTestNode(database.db);
  await createTemplate(database.db, "nightly");
});

afterAll(async () => {
  await api?.app.stop();
});

type Body = { data?: Record<string, Record<string, unknown> | null> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };

async function send(query: string, variables: Record<string, unknown>, token = user.secret): Promise<Body> {
  const response = await api.fetch(
    "/graphql",
    { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) },
    { token },
  );
  expect(response.status).toBeLessThan(500);
  return (await response.json()) as Body;
}

const CREATE = `mutation($input: CreateScheduleInput!) {
  createSchedule(input: $input) {
    __typename
    ... on Schedule { id name cron timeZone overlap catchUp paused nextRunAt queue inputs template { name version } creator { name } }
    ... on ValidationError { message fieldErrors { path message } }
    ... on ForbiddenError { message }
  }
}`;

let names = 0;
const job = { templateName: "nightly", inputs: [{ name: "dataset", value: "s3://reports/daily" }] };
const schedule = (fields: Record<string, unknown> = {}) => ({ name: `report ${++names}`, cron: "0 2 * * *", job, ...fields });

async function create(fields: Record<string, unknown> = {}, token = user.secret) {
  const body = await send(CREATE, { input: schedule(fields) }, token);
  expect(body.errors).toBeUndefined();
  return body.data!.createSchedule as Record<string, unknown> & { __typename: string; id: string };
}

const idOf = (globalId: string) => decodeGlobalId(globalId).id;

/** An hourly cron expression whose ticks are half an hour away from now, so that none comes due while a test runs. */
function hourlyAwayFromNow(): string {
  return `${(new Date().getUTCMinutes() + 30) % 60} * * * *`;
}

/** Makes a schedule's ticks since `ticksAgo` ticks before now due, as if no gateway had been running. */
async function dueSince(scheduleId: string, cron: string, ticksAgo: number) {
  const earliest = new Cron(cron, { timezone: "UTC" }).previousRuns(ticksAgo)[ticksAgo - 1]!;
  await database.db.schedule.update({ where: { id: scheduleId }, data: { nextRunAt: earliest } });
  return earliest;
}

async function ticksOf(scheduleId: string) {
  return database.db.scheduleTick.findMany({ where: { scheduleId }, orderBy: { tickAt: "asc" }, include: { job: { select: { status: true, number: true } } } });
}

describe("createSchedule", () => {
  it("creates a schedule with its next time, the template it will use and its job's inputs", async () => {
    const created = await create({ timeZone: "Europe/Berlin", overlap: "CANCEL_PREVIOUS", catchUp: "SKIP" });
    expect(created).toMatchObject({
      __typename: "Schedule",
      cron: "0 2 * * *",
      timeZone: "Europe/Berlin",
      overlap: "CANCEL_PREVIOUS",
      catchUp: "SKIP",
      paused: false,
      queue: "default",
      inputs: [{ name: "dataset", type: null, value: "s3://reports/daily" }],
      template: { name: "nightly", version: 1 },
      creator: { name: user.name },
    });
    const next = new Date(created.nextRunAt as string);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(next.getTime()).toBeLessThanOrEqual(Date.now() + 25 * HOUR);
    // 02:00 in Berlin is 00:00 or 01:00 UTC, depending on daylight saving.
    expect([0, 1]).toContain(next.getUTCHours());
    expect(next.getUTCMinutes()).toBe(0);
  });

  it("keeps a template given with its version as that version, and one given by name alone as the latest", async () => {
    await createTemplate(database.db, "versioned", 1);
    const v2 = await createTemplate(database.db, "versioned", 2);
    const inputs = [{ name: "dataset", value: "x" }];
    const pinned = await create({ job: { templateName: "versioned", templateVersion: 1, inputs } });
    const latest = await create({ job: { templateName: "versioned", inputs } });
    expect(pinned.template).toEqual({ name: "versioned", version: 1 });
    expect(latest.template).toEqual({ name: "versioned", version: 2 });
    await createTemplate(database.db, "versioned", 3);
    const read = await send(`query($a: ID!, $b: ID!) { a: schedule(id: $a) { template { version } } b: schedule(id: $b) { template { version } } }`, { a: pinned.id, b: latest.id });
    expect(read.data).toEqual({ a: { template: { version: 1 } }, b: { template: { version: 3 } } });
    // A deleted version is no template to make jobs from.
    const onV2 = await create({ job: { templateName: "versioned", templateVersion: 2, inputs } });
    await database.db.jobTemplate.update({ where: { id: v2.id }, data: { deletedAt: new Date() } });
    expect((await send(`query($id: ID!) { schedule(id: $id) { template { version } } }`, { id: onV2.id })).data).toEqual({ schedule: { template: null } });
    const stored = await database.db.schedule.findUniqueOrThrow({ where: { id: idOf(pinned.id) } });
    expect(stored.job).toMatchObject({ templateId: expect.any(String) });
    expect(stored.job).not.toHaveProperty("templateVersion");
  });

  it("refuses what is wrong, every problem at once and nothing created", async () => {
    const before = await database.db.schedule.count();
    const cases: Array<[Record<string, unknown>, string[][]]> = [
      [{ cron: "61 * * * *" }, [["cron"]]],
      [{ cron: "* * *" }, [["cron"]]],
      [{ cron: "0 0 31 2 *" }, [["cron"]]],
      [{ cron: "2027-01-01T00:00:00" }, [["cron"]]],
      [{ cron: "* * * * * * *" }, [["cron"]]],
      [{ timeZone: "Mars/Olympus" }, [["timeZone"]]],
      [{ name: "  " }, [["name"]]],
      [{ job: { ...job, idempotencyKey: "k", runAfter: "2030-01-01T00:00:00Z", findOrCreate: true } }, [["job", "idempotencyKey"], ["job", "findOrCreate"], ["job", "runAfter"]]],
      [{ job: { templateName: "nightly", inputs: [] } }, [["job", "inputs"]]],
      [{ job: { templateName: "no such template" } }, [["job", "template"]]],
      [{ cron: "nope", timeZone: "Nowhere", job: { templateName: "nightly" } }, [["timeZone"], ["cron"], ["job", "inputs"]]],
      [{ timeZone: "" }, [["timeZone"]]],
    ];
    for (const [fields, paths] of cases) {
      const answer = await create(fields);
      expect(answer.__typename, JSON.stringify(fields)).toBe("ValidationError");
      expect((answer.fieldErrors as Array<{ path: string[] }>).map((e) => e.path)).toEqual(paths);
    }
    const taken = await create();
    const again = await create({ name: (await database.db.schedule.findUniqueOrThrow({ where: { id: idOf(taken.id) } })).name });
    expect(again).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ path: ["name"], message: expect.stringContaining("exists") }] });
    expect(await database.db.schedule.count()).toBe(before + 1);
    expect((await create({}, node.secret)).__typename).toBe("ForbiddenError");
  });
});

describe("nextRunTimes", () => {
  it("gives the next times in the schedule's time zone, through a change of daylight saving", async () => {
    const created = await create({ cron: "30 1 * * *", timeZone: "America/New_York" });
    const body = await send(`query($id: ID!) { schedule(id: $id) { nextRunTimes(count: 100) } }`, { id: created.id });
    const times = (body.data!.schedule!.nextRunTimes as string[]).map((t) => new Date(t));
    expect(times).toHaveLength(100);
    for (const time of times) {
      const local = new Intl.DateTimeFormat("en-US", { timeZone: "America/New_York", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(time);
      expect(local).toBe("01:30");
    }
    // 100 days always include a change of daylight saving or none; either way, each day once.
    const days = new Set(times.map((t) => new Intl.DateTimeFormat("en-CA", { timeZone: "America/New_York" }).format(t)));
    expect(days.size).toBe(100);
    for (const count of [0, 101]) {
      const refused = await send(`query($id: ID!, $n: Int) { schedule(id: $id) { nextRunTimes(count: $n) } }`, { id: created.id, n: count });
      expect(refused.errors![0]!.extensions!.code).toBe("BAD_USER_INPUT");
    }
    const byName = await send(`query($name: String) { schedule(name: $name) { id } }`, { name: created.name });
    expect(byName.data!.schedule).toEqual({ id: created.id });
  });
});

describe("pause, resume and delete", () => {
  it("are for the schedule's creator and admins; resuming goes on from the next time after now", async () => {
    const created = await create({ cron: "* * * * * *" });
    const PAUSE = `mutation($id: ID!) { pauseSchedule(id: $id) { __typename ... on Schedule { paused nextRunAt } } }`;
    const RESUME = `mutation($id: ID!) { resumeSchedule(id: $id) { __typename ... on Schedule { paused nextRunAt } } }`;
    const DELETE = `mutation($id: ID!) { deleteSchedule(id: $id) { __typename ... on DeletedSchedule { id name } ... on NotFoundError { message } } }`;
    expect((await send(PAUSE, { id: created.id }, other.secret)).data!.pauseSchedule).toEqual({ __typename: "ForbiddenError" });
    expect((await send(PAUSE, { id: created.id })).data!.pauseSchedule).toEqual({ __typename: "Schedule", paused: true, nextRunAt: null });
    // Paused for a while: the ticks it was paused through are not caught up.
    await database.db.schedule.update({ where: { id: idOf(created.id) }, data: { nextRunAt: new Date(Date.now() - HOUR) } });
    expect(await runDueSchedules(database.db, 60_000)).toMatchObject({ created: 0 });
    const resumed = (await send(RESUME, { id: created.id }, api.admin.secret)).data!.resumeSchedule as { paused: boolean; nextRunAt: string };
    expect(resumed.paused).toBe(false);
    expect(new Date(resumed.nextRunAt).getTime()).toBeGreaterThan(Date.now() - 1000);
    expect((await send(DELETE, { id: created.id }, other.secret)).data!.deleteSchedule).toEqual({ __typename: "ForbiddenError" });
    expect((await send(DELETE, { id: created.id })).data!.deleteSchedule).toEqual({ __typename: "DeletedSchedule", id: created.id, name: created.name });
    expect((await send(DELETE, { id: created.id })).data!.deleteSchedule).toMatchObject({ __typename: "NotFoundError" });
    expect(await database.db.schedule.findUnique({ where: { id: idOf(created.id) } })).toBeNull();
  });

  it("updateSchedule changes what it is given, checked as at creation, and retimes from now", async () => {
    const cron = hourlyAwayFromNow();
    const created = await create({ cron, overlap: "QUEUE" });
    const id = idOf(created.id);
    const UPDATE = `mutation($id: ID!, $input: UpdateScheduleInput!) {
      updateSchedule(id: $id, input: $input) {
        __typename
        ... on Schedule { name cron timeZone overlap catchUp nextRunAt inputs }
        ... on ValidationError { fieldErrors { path message } }
      }
    }`;
    const refused = await send(UPDATE, { id: created.id, input: { cron: "99 * * * *", name: "  ", job: { templateName: "nightly" } } });
    expect(refused.data!.updateSchedule).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ path: ["name"] }, { path: ["cron"] }, { path: ["job", "inputs"] }] });
    const taken = await create();
    expect((await send(UPDATE, { id: created.id, input: { name: taken.name } })).data!.updateSchedule).toMatchObject({ fieldErrors: [{ path: ["name"] }] });
    expect(await database.db.schedule.findUniqueOrThrow({ where: { id } })).toMatchObject({ name: created.name, cron });
    expect((await send(UPDATE, { id: created.id, input: { overlap: "SKIP" } }, other.secret)).data!.updateSchedule).toEqual({ __typename: "ForbiddenError" });

    const changed = (await send(UPDATE, { id: created.id, input: { name: `${created.name} renamed`, cron: "0 3 * * *", timeZone: "Asia/Tokyo", catchUp: "SKIP", job: { ...job, inputs: [{ name: "dataset", value: "s3://reports/changed" }] } } }))
      .data!.updateSchedule as Record<string, unknown>;
    expect(changed).toMatchObject({ name: `${created.name} renamed`, cron: "0 3 * * *", timeZone: "Asia/Tokyo", overlap: "QUEUE", catchUp: "SKIP", inputs: [{ value: "s3://reports/changed" }] });
    const next = new Date(changed.nextRunAt as string);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    // 03:00 in Tokyo is 18:00 UTC, all year.
    expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([18, 0]);
    // The next tick makes the job as changed.
    await database.db.schedule.update({ where: { id }, data: { nextRunAt: new Date(Date.now() - 1000), cron: "* * * * * *" } });
    await runDueSchedules(database.db, 60_000);
    const [tick] = await ticksOf(id);
    expect((await database.db.job.findUniqueOrThrow({ where: { id: tick!.jobId! } })).inputValues).toEqual({ dataset: { type: "string", value: "s3://reports/changed" } });
    await database.db.schedule.update({ where: { id }, data: { paused: true } });
  });

  it("lists schedules by name, paused or not", async () => {
    const paused = await create({ paused: true });
    const body = await send(`query { schedules(first: 100, filter: { paused: true }) { totalCount edges { node { id paused } } } }`, {});
    const listed = body.data!.schedules as { totalCount: number; edges: Array<{ node: { id: string; paused: boolean } }> };
    expect(listed.edges.map((e) => e.node.id)).toContain(paused.id);
    expect(listed.edges.every((e) => e.node.paused)).toBe(true);
    expect(listed.totalCount).toBe(listed.edges.length);
  });
});

describe("ticks", () => {
  it("each tick due makes one job, as the schedule's creator, named in its CREATED event", async () => {
    const cron = hourlyAwayFromNow();
    const created = await create({ cron, overlap: "QUEUE" });
    const id = idOf(created.id);
    const earliest = await dueSince(id, cron, 3);
    expect(await runDueSchedules(database.db, 4 * HOUR)).toMatchObject({ created: 3, skipped: 0, failed: 0 });
    // A second pass finds nothing due: each tick is handled once.
    expect(await runDueSchedules(database.db, 4 * HOUR)).toMatchObject({ created: 0 });
    const ticks = await ticksOf(id);
    expect(ticks.map((t) => t.outcome)).toEqual(["CREATED", "CREATED", "CREATED"]);
    expect(ticks[0]!.tickAt).toEqual(earliest);
    const jobs = await database.db.job.findMany({ where: { id: { in: ticks.map((t) => t.jobId!) } } });
    expect(jobs.map((j) => j.status)).toEqual(["QUEUED", "QUEUED", "QUEUED"]);
    for (const j of jobs) {
      expect(j.creatorId).toBe(user.id);
      expect(j.inputValues).toEqual({ dataset: { type: "string", value: "s3://reports/daily" } });
      const tick = ticks.find((t) => t.jobId === j.id)!;
      const events = await database.db.jobEvent.findMany({ where: { jobId: j.id } });
      expect(events).toEqual([expect.objectContaining({ kind: "CREATED", detail: { schedule: id, tick: tick.tickAt.toISOString() } })]);
    }
    const schedule = await database.db.schedule.findUniqueOrThrow({ where: { id } });
    expect(schedule.nextRunAt.getTime()).toBeGreaterThan(Date.now());
    expect(schedule.lastJobId).toBe(ticks[2]!.jobId);
    const read = await send(`query($id: ID!) { schedule(id: $id) { lastJob { id } ticks(first: 10) { totalCount edges { node { outcome tickAt job { status } } } } } }`, { id: created.id });
    expect(read.data!.schedule).toMatchObject({
      lastJob: { id: encodeGlobalId("Job", ticks[2]!.jobId!) },
      ticks: { totalCount: 3, edges: [{ node: { outcome: "CREATED", job: { status: "QUEUED" } } }, {}, {}] },
    });
  });

  it("SKIP makes no job while the previous one has not finished, and says which one", async () => {
    const cron = hourlyAwayFromNow();
    const id = idOf((await create({ cron, overlap: "SKIP" })).id);
    await dueSince(id, cron, 3);
    expect(await runDueSchedules(database.db, 4 * HOUR)).toMatchObject({ created: 1, skipped: 2 });
    const ticks = await ticksOf(id);
    expect(ticks.map((t) => t.outcome)).toEqual(["CREATED", "SKIPPED_OVERLAP", "SKIPPED_OVERLAP"]);
    expect(ticks[1]!.detail).toBe(`job #${ticks[0]!.job!.number} of an earlier tick has not finished (QUEUED)`);
    // Once it has finished, the next tick makes its job.
    await database.db.job.update({ where: { id: ticks[0]!.jobId! }, data: { status: "SUCCEEDED" } });
    // Its latest tick once more, as if it had not been handled yet (a tick recorded is never handled again).
    const latest = await dueSince(id, cron, 1);
    expect(await runDueSchedules(database.db, 4 * HOUR)).toMatchObject({ created: 0 });
    await database.db.scheduleTick.delete({ where: { scheduleId_tickAt: { scheduleId: id, tickAt: latest } } });
    await dueSince(id, cron, 1);
    expect(await runDueSchedules(database.db, 4 * HOUR)).toMatchObject({ created: 1 });
  });

  it("CANCEL_PREVIOUS cancels the unfinished job, naming the tick that replaced it", async () => {
    const cron = hourlyAwayFromNow();
    const created = await create({ cron, overlap: "CANCEL_PREVIOUS" });
    const id = idOf(created.id);
    await dueSince(id, cron, 3);
    expect(await runDueSchedules(database.db, 4 * HOUR)).toMatchObject({ created: 3 });
    const ticks = await ticksOf(id);
    expect(ticks.map((t) => t.job!.status)).toEqual(["CANCELLED", "CANCELLED", "QUEUED"]);
    const cancelled = await database.db.jobEvent.findFirstOrThrow({ where: { jobId: ticks[0]!.jobId!, kind: "CANCELLED" } });
    expect(cancelled.detail).toMatchObject({ reason: `replaced by the tick of ${ticks[1]!.tickAt.toISOString()} of schedule "${created.name}"` });
    expect(cancelled.actorUserId).toBe(user.id);
  });

  it("after every gateway was down, LAST makes one job for the latest missed tick and SKIP none", async () => {
    const cron = hourlyAwayFromNow();
    const last = idOf((await create({ cron, overlap: "QUEUE", catchUp: "LAST" })).id);
    const skip = idOf((await create({ cron, overlap: "QUEUE", catchUp: "SKIP" })).id);
    await dueSince(last, cron, 5);
    await dueSince(skip, cron, 5);
    const latest = new Cron(cron, { timezone: "UTC" }).previousRuns(1)[0]!;
    expect(await runDueSchedules(database.db, 60_000)).toMatchObject({ created: 1, skipped: 1 });
    const [caughtUp] = await ticksOf(last);
    expect(await ticksOf(last)).toHaveLength(1);
    expect(caughtUp).toMatchObject({ tickAt: latest, outcome: "CREATED", detail: expect.stringMatching(/^missed: handled \d+ s after its time$/) });
    expect(await ticksOf(skip)).toEqual([expect.objectContaining({ tickAt: latest, outcome: "SKIPPED_MISSED", jobId: null })]);
    for (const id of [last, skip]) expect((await database.db.schedule.findUniqueOrThrow({ where: { id } })).nextRunAt.getTime()).toBeGreaterThan(Date.now());
  });

  it("a job that no longer fits its template, or a disabled creator, fails the tick and the schedule goes on", async () => {
    const cron = hourlyAwayFromNow();
    const template = await createTemplate(database.db, "changing");
    const id = idOf((await create({ cron, job: { templateName: "changing", inputs: [{ name: "dataset", value: "x" }] } })).id);
    // Its next version asks for an input the schedule does not give.
    await database.db.jobTemplate.create({
      data: { name: "changing", version: 2, executorName: "python", inputs: [{ name: "model", types: ["string"], required: true, help: "" }] },
    });
    await dueSince(id, cron, 1);
    expect(await runDueSchedules(database.db, 4 * HOUR)).toMatchObject({ created: 0, failed: 1 });
    const [failed] = await ticksOf(id);
    expect(failed).toMatchObject({ outcome: "FAILED", jobId: null });
    expect(failed!.detail).toContain(`job.inputs: "model" is required`);
    expect((await database.db.schedule.findUniqueOrThrow({ where: { id } })).nextRunAt.getTime()).toBeGreaterThan(Date.now());
    expect(template.version).toBe(1);

    const disabled = await createTestUser(database.db);
    const other = idOf((await create({ cron }, disabled.secret)).id);
    await database.db.user.update({ where: { id: disabled.id }, data: { disabledAt: new Date() } });
    await dueSince(other, cron, 1);
    expect(await runDueSchedules(database.db, 4 * HOUR)).toMatchObject({ failed: 1 });
    expect((await ticksOf(other))[0]!.detail).toBe(`its creator ${disabled.name} is disabled`);
  });
});

describe("a schedule that cannot be handled", () => {
  it("does not hold up the others, and the pass says what went wrong", async () => {
    const cron = hourlyAwayFromNow();
    const good = idOf((await create({ cron, overlap: "QUEUE" })).id);
    // A row no createSchedule would write (its cron expression damaged by hand), due first.
    const broken = await database.db.schedule.create({
      data: { name: `broken ${++names}`, cron: "not a cron", job: job, nextRunAt: new Date(Date.now() - 2 * HOUR), creatorId: user.id },
    });
    await dueSince(good, cron, 1);
    await expect(runDueSchedules(database.db, 4 * HOUR)).rejects.toThrow(/not a cron/);
    expect((await ticksOf(good)).map((t) => t.outcome)).toEqual(["CREATED"]);
    await database.db.schedule.delete({ where: { id: broken.id } });
  });
});

describe("the ticker", () => {
  it("runs in a started gateway, counts its ticks in /metrics, and keeps the latest ticks on record", async () => {
    const serving = await createTestApi(database, { scheduleIntervalMs: 200 });
    const address = await serving.app.start(0, "127.0.0.1");
    try {
      const created = await create({ cron: "* * * * * *", overlap: "QUEUE" });
      const id = idOf(created.id);
      // A long record already, as a schedule ticking every second has after a while.
      const from = Date.now() - 2 * TICKS_KEPT * 1000;
      await database.db.scheduleTick.createMany({
        data: Array.from({ length: TICKS_KEPT }, (_, i) => ({ scheduleId: id, tickAt: new Date(Math.floor(from / 1000) * 1000 + i * 1000), outcome: "SKIPPED_OVERLAP" as const })),
      });
      const counted = async () => {
        const text = await (await fetch(`http://127.0.0.1:${address.port}/metrics`)).text();
        return Number(/^jobgraph_schedule_ticks_total\{outcome="created"\} (\d+)/m.exec(text)?.[1] ?? 0);
      };
      await expect.poll(counted, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      await database.db.schedule.update({ where: { id }, data: { paused: true } });
      const ticks = await ticksOf(id);
      expect(ticks).toHaveLength(TICKS_KEPT);
      const made = ticks.filter((t) => t.outcome === "CREATED");
      expect(made.length).toBeGreaterThanOrEqual(2);
      // The oldest went, the newest stayed.
      expect(ticks.at(-1)!.outcome).toBe("CREATED");
      expect(ticks[0]!.tickAt.getTime()).toBeGreaterThan(Math.floor(from / 1000) * 1000);
    } finally {
      await serving.app.stop();
    }
  });
});

describe("ticksDue", () => {
  const every10s = new Cron("*/10 * * * * *", { timezone: "UTC" });
  const at = (s: string) => new Date(`2026-01-01T00:${s}Z`);

  it("gives every tick since the next one due within the grace period, in order", () => {
    expect(ticksDue(every10s, at("00:10"), at("00:35.5"), 60_000)).toEqual({ missed: null, onTime: [at("00:10"), at("00:20"), at("00:30")] });
    expect(ticksDue(every10s, at("00:40"), at("00:35.5"), 60_000)).toEqual({ missed: null, onTime: [] });
  });

  it("gives the latest tick due before the grace period as missed, and the ticks within it as on time", () => {
    expect(ticksDue(every10s, at("00:10"), at("02:05"), 30_000)).toEqual({ missed: at("01:30"), onTime: [at("01:40"), at("01:50"), at("02:00")] });
    // A tick exactly at the start of the grace period is on time.
    expect(ticksDue(every10s, at("00:10"), at("02:10"), 30_000)).toEqual({ missed: at("01:30"), onTime: [at("01:40"), at("01:50"), at("02:00"), at("02:10")] });
  });
});
