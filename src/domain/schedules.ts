// Schedules: a job made again and again, at the times a cron expression gives in a time zone.
//
// Every gateway instance handles due schedules (ScheduleTicker, on an interval). A schedule is
// handled in one transaction that locks its row (`for update skip locked`, so instances share the
// due schedules without waiting on each other), makes the jobs of its due ticks, records each tick
// (unique per schedule and time) and moves next_run_at past now: a tick is handled once, by one
// instance, in the transaction that makes its job.
//
// A tick handled within the grace period after its time is on time, and makes its job; ticks no
// instance handled in time (every gateway was down, or stuck) are missed: the schedule's catch-up
// policy runs the latest of them once (LAST) or none (SKIP). The jobs of on-time ticks are made
// in order, each one after the job of the tick before it as far as the overlap policy goes.
import { Cron } from "croner";
import type { Db } from "../db/client.js";
import type { Prisma, Schedule, ScheduleTick } from "../db/generated/prisma/client.js";
import { countRows, pageOfRows, rowsById, rowsByKey, sortKey, type FirstRows, type Joins, type Page, type RowCount, type RowFirsts, type RowList } from "./job-reads.js";
import type { ScheduleCatchUp, ScheduleOverlap, ScheduleTickOutcome } from "../db/generated/prisma/enums.js";
import { Periodic } from "./periodic.js";
import { insertJob, prepareJob, type NewJob, type PreparedJob } from "./create-job.js";
import { DomainError, ForbiddenError, NotFoundError, ValidationError, type FieldError } from "./errors.js";
import type { Principal, UserPrincipal } from "./principal.js";
import { isAdmin } from "./principal.js";
import { refuseUnstorableText } from "./text.js";
import { cancelJobIn } from "./transitions.js";

export type NewSchedule = {
  name: string;
  description?: string | null;
  cron: string;
  /** An IANA time zone (Europe/Berlin); UTC unless given. */
  timeZone?: string | null;
  overlap?: ScheduleOverlap | null;
  catchUp?: ScheduleCatchUp | null;
  paused?: boolean | null;
  /** The job each tick makes, as createJob takes it. */
  job: NewJob;
};

/** The most times nextRunTimes gives. */
export const MAX_NEXT_RUN_TIMES = 100;
/** The most on-time ticks of one schedule one pass handles; the rest wait for the next pass. */
const MAX_TICKS_PER_PASS = 1000;
/** Due schedules listed at a time. */
const DUE_BATCH = 100;
/**
 * The ticks of a schedule kept on record, the latest: a schedule ticking every second would
 * otherwise add 86,400 rows a day, forever. The jobs they made stay.
 */
export const TICKS_KEPT = 1000;
/** A tick's job is still in play (the overlap policy looks at it) in these statuses. */
const UNFINISHED = new Set(["WAITING", "QUEUED", "ACQUIRED", "RUNNING"]);
/** Fields of a job that do not apply to one made by a schedule, and why. */
const NOT_SCHEDULED: Array<[keyof NewJob, string]> = [
  ["idempotencyKey", "every tick makes a new job"],
  ["findOrCreate", "every tick makes a new job"],
  ["runAfter", "a tick's job runs at the tick's time"],
  ["deadline", "a fixed time passes once; set timeLimitSeconds instead"],
  ["dependsOn", "a tick's job waits for no other job"],
];

/** The schedules, by name (names are unique); only the paused or the running ones when `paused` is given. */
function scheduleList(paused: boolean | null | undefined): RowList {
  return {
    model: "Schedule",
    table: "schedules",
    keys: [sortKey("name", true), sortKey("id", true)],
    conditions: (p, s) => (paused == null ? [] : [`${s}.paused = ${p.add(paused)}::boolean`]),
  };
}

/** A page of the schedules, and how many there are when `counted` (see pageOfRows). */
export function pageOfSchedules(
  db: Db,
  paused: boolean | null | undefined,
  page: Page,
  counted: boolean,
  counts: ReadonlyArray<RowCount<"Schedule">> = [],
  joins?: Joins,
  firsts?: RowFirsts<"Schedule">,
) {
  return pageOfRows<Schedule & { tickCount?: number; firstTicks?: FirstRows<ScheduleTick> }>(db, scheduleList(paused), page, counted, counts, joins, firsts);
}

/** Schedules by id, in no particular order, in one statement, with the rows `joins` names (see rowsById). */
export function schedulesByIds(db: Db, ids: readonly string[], joins?: Joins): Promise<Schedule[]> {
  return rowsById<Schedule>(db, "Schedule", "schedules", ids, "", joins);
}

/** Schedules by name (names are unique), in no particular order, in one statement, with the rows `joins` names. */
export function schedulesByNames(db: Db, names: readonly string[], joins?: Joins): Promise<Schedule[]> {
  return rowsByKey<Schedule>(db, "Schedule", "schedules", [["name", "text"]], names.map((name) => [name]), "", joins);
}

export function countSchedules(db: Db, paused: boolean | null | undefined): Promise<number> {
  return countRows(db, scheduleList(paused));
}

/**
 * The cron expression in its time zone: 5 fields (minute hour day month weekday) or 6 (seconds
 * first), or a nickname (@hourly, @daily, @weekly, @monthly, @yearly). Throws on anything else.
 */
export function parseCron(cron: string, timeZone: string): Cron {
  // croner would take an ISO date as a one-off run; a schedule repeats.
  if (/^\s*\d{4}-\d{2}-\d{2}/.test(cron)) throw new Error("a date, not a cron expression");
  return new Cron(cron, { timezone: timeZone, mode: "5-or-6-parts" });
}

function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** Checks a cron expression and time zone, adding what is wrong to `errors`; the parsed expression when both are fine. */
function checkCron(cron: string, timeZone: string, errors: FieldError[]): Cron | null {
  const zoned = timeZone.length <= 100 && isTimeZone(timeZone);
  if (!zoned) errors.push({ path: ["timeZone"], message: "must be an IANA time zone, such as UTC or Europe/Berlin" });
  if (!cron.trim() || cron.length > 200) {
    errors.push({ path: ["cron"], message: "must be a cron expression of 1 to 200 characters" });
    return null;
  }
  try {
    // The expression is checked in UTC when the time zone is no good, so both are reported.
    const parsed = parseCron(cron, zoned ? timeZone : "UTC");
    if (!zoned) return null;
    if (parsed.nextRun() === null) {
      errors.push({ path: ["cron"], message: "no time matches it" });
      return null;
    }
    return parsed;
  } catch (error) {
    const reason = (error as Error).message.replace(/^CronPattern: /, "");
    errors.push({ path: ["cron"], message: `not a cron expression of 5 or 6 fields (or a nickname such as @daily): ${reason}` });
    return null;
  }
}

/** The next `count` times a cron expression gives after `after`. */
export function nextRunTimes(cron: string, timeZone: string, count: number, after = new Date()): Date[] {
  return parseCron(cron, timeZone).nextRuns(count, after);
}

/**
 * Checks a schedule's fields (those of a change: the ones given, against the schedule's others),
 * adding every problem to `errors`; what to store when all are fine. `id`: the schedule changed.
 */
async function checkSchedule(db: Db, creator: UserPrincipal | undefined, input: NewSchedule, errors: FieldError[], id?: string) {
  const name = input.name.trim();
  if (!name || name.length > 200 || /\p{Cc}/u.test(name)) errors.push({ path: ["name"], message: "must be 1 to 200 printable characters" });
  if ((input.description?.length ?? 0) > 10_000) errors.push({ path: ["description"], message: "must be at most 10000 characters" });
  const timeZone = input.timeZone ?? "UTC";
  const cron = checkCron(input.cron, timeZone, errors);
  for (const [field, why] of NOT_SCHEDULED) {
    const value = input.job[field];
    if (value != null && value !== false && !(Array.isArray(value) && value.length === 0)) {
      errors.push({ path: ["job", field], message: `does not apply to a scheduled job: ${why}` });
    }
  }
  const prepared = await prepareJob(db, input.job, errors, ["job"], { creator });
  const holder = errors.length ? null : await db.schedule.findUnique({ where: { name }, select: { id: true } });
  if (holder && holder.id !== id) errors.push({ path: ["name"], message: `a schedule named "${name}" exists` });
  return { name, timeZone, cron, job: JSON.parse(JSON.stringify(pinned(input.job, prepared))) as Prisma.InputJsonValue };
}

/** Two writes of one name raced; the loser is told as if it had come second. */
function nameTaken(error: unknown, name: string): unknown {
  if ((error as { code?: string }).code !== "P2002") return error;
  return new ValidationError("the schedule is not valid", [{ path: ["name"], message: `a schedule named "${name}" exists` }]);
}

/** Creates a schedule after checking it, and its job as createJob would. Users and admins. */
export async function createSchedule(db: Db, actor: Principal, input: NewSchedule): Promise<string> {
  if (actor.kind !== "USER") throw new ForbiddenError("only users and admins may create schedules");
  refuseUnstorableText(input);
  const errors: FieldError[] = [];
  const { name, timeZone, cron, job } = await checkSchedule(db, actor, input, errors);
  if (errors.length || !cron) throw new ValidationError("the schedule is not valid", errors);
  try {
    const created = await db.schedule.create({
      data: {
        name,
        description: input.description ?? "",
        cron: input.cron,
        timeZone,
        job,
        overlap: input.overlap ?? "SKIP",
        catchUp: input.catchUp ?? "LAST",
        paused: input.paused ?? false,
        nextRunAt: cron.nextRun()!,
        creatorId: actor.userId,
      },
      select: { id: true },
    });
    return created.id;
  } catch (error) {
    throw nameTaken(error, name);
  }
}

/** A change of a schedule: the fields given replace its own (`job` as a whole). */
export type ScheduleChange = Partial<Omit<NewSchedule, "paused">>;

/**
 * Changes a schedule, checked as createSchedule checks a new one. A new cron expression or time
 * zone takes effect from the next time it gives after now; a new job from the next tick. Its
 * creator or an admin.
 */
export async function updateSchedule(db: Db, actor: Principal, id: string, change: ScheduleChange): Promise<string> {
  const current = await ownSchedule(db, actor, id);
  refuseUnstorableText(change);
  const errors: FieldError[] = [];
  const merged: NewSchedule = {
    name: change.name ?? current.name,
    description: change.description,
    cron: change.cron ?? current.cron,
    timeZone: change.timeZone ?? current.timeZone,
    // Checked again as it is when not given: its template may have changed since.
    job: change.job ?? (current.job as NewJob),
  };
  // Its jobs are its creator's: checked as theirs when they change it (an admin's change is checked at each tick).
  const creator = actor.kind === "USER" && actor.userId === current.creatorId ? actor : undefined;
  const { name, timeZone, cron, job } = await checkSchedule(db, creator, merged, errors, id);
  if (errors.length || !cron) throw new ValidationError("the schedule is not valid", errors);
  const retimed = merged.cron !== current.cron || timeZone !== current.timeZone;
  try {
    await db.schedule.update({
      where: { id },
      data: {
        name,
        ...(change.description != null ? { description: change.description } : {}),
        cron: merged.cron,
        timeZone,
        ...(change.job ? { job } : {}),
        ...(change.overlap ? { overlap: change.overlap } : {}),
        ...(change.catchUp ? { catchUp: change.catchUp } : {}),
        ...(retimed ? { nextRunAt: cron.nextRun()! } : {}),
      },
    });
  } catch (error) {
    throw nameTaken(error, name);
  }
  return id;
}

/**
 * The job as a schedule keeps it: a template named by name and version is kept by its ID, which
 * stands for that version for good; a template named by name alone stays so, for each tick to take
 * the latest version.
 */
function pinned(job: NewJob, prepared: PreparedJob | null): NewJob {
  if (job.templateVersion == null || !prepared) return job;
  const { templateName: _name, templateVersion: _version, ...rest } = job;
  return { ...rest, templateId: prepared.template.id };
}

/** The schedule, when the caller may change it: its creator or an admin. */
async function ownSchedule(db: Db, actor: Principal, id: string) {
  const schedule = await db.schedule.findUnique({ where: { id }, select: { id: true, name: true, creatorId: true, cron: true, timeZone: true, job: true } });
  if (!schedule) throw new NotFoundError("schedule", id);
  if (!(isAdmin(actor) || (actor.kind === "USER" && actor.userId === schedule.creatorId))) {
    throw new ForbiddenError("only the schedule's creator or an admin may change it");
  }
  return schedule;
}

/**
 * Pauses or resumes a schedule. A paused schedule makes no jobs; resumed, it goes on from its next
 * time after now (the times it was paused through are not caught up). Its creator or an admin.
 */
export async function setSchedulePaused(db: Db, actor: Principal, id: string, paused: boolean): Promise<string> {
  const schedule = await ownSchedule(db, actor, id);
  if (paused) {
    await db.schedule.update({ where: { id }, data: { paused: true } });
  } else {
    // Only a paused schedule moves on: resuming a running one leaves a tick that is due as it is.
    const next = parseCron(schedule.cron, schedule.timeZone).nextRun();
    await db.schedule.updateMany({ where: { id, paused: true }, data: { paused: false, ...(next ? { nextRunAt: next } : {}) } });
  }
  return id;
}

/** Deletes a schedule and the record of its ticks; the jobs it made stay. Its creator or an admin. */
export async function deleteSchedule(db: Db, actor: Principal, id: string): Promise<{ id: string; name: string }> {
  const { name } = await ownSchedule(db, actor, id);
  await db.schedule.deleteMany({ where: { id } });
  return { id, name };
}

/**
 * The ticks due at `now` of a schedule whose next tick is `nextRunAt`: the latest missed one (due
 * before the grace period began), and the on-time ones in order (at most MAX_TICKS_PER_PASS).
 */
export function ticksDue(cron: Cron, nextRunAt: Date, now: Date, graceMs: number): { missed: Date | null; onTime: Date[] } {
  const windowStart = now.getTime() - graceMs;
  let missed: Date | null = null;
  if (nextRunAt.getTime() < windowStart) {
    // croner's previous runs come strictly before the reference, which it takes to the second.
    const latest = cron.previousRuns(1, new Date(Math.floor((windowStart - 1) / 1000) * 1000 + 1000))[0];
    missed = latest && latest.getTime() >= nextRunAt.getTime() && latest.getTime() < windowStart ? latest : null;
  }
  const onTime: Date[] = [];
  let tick = cron.nextRun(new Date(Math.max(nextRunAt.getTime(), windowStart) - 1));
  while (tick && tick.getTime() <= now.getTime() && onTime.length < MAX_TICKS_PER_PASS) {
    onTime.push(tick);
    tick = cron.nextRun(tick);
  }
  return { missed, onTime };
}

/** What a pass over the due schedules did. */
export type SchedulePass = { created: number; skipped: number; failed: number };

/** Handles every due schedule that no other instance is handling; see the top of this file. */
export async function runDueSchedules(db: Db, graceMs: number): Promise<SchedulePass> {
  const pass: SchedulePass = { created: 0, skipped: 0, failed: 0 };
  // Listed a batch at a time; one another instance holds is listed once, and left to it.
  const seen: string[] = [];
  // A schedule that cannot be handled (its transaction failed) does not hold up the others; the
  // pass reports the first such failure once it has handled them.
  let failure: unknown;
  for (;;) {
    const due = await db.$queryRaw<Array<{ id: string }>>`
      select id from schedules
       where not paused and next_run_at <= clock_timestamp() and id <> all(${seen}::uuid[])
       order by next_run_at limit ${DUE_BATCH}`;
    for (const { id } of due) {
      seen.push(id);
      await handleSchedule(db, id, graceMs, pass).catch((error: unknown) => (failure ??= error));
    }
    if (due.length < DUE_BATCH) break;
  }
  if (failure) throw failure;
  return pass;
}

async function handleSchedule(db: Db, id: string, graceMs: number, pass: SchedulePass): Promise<void> {
  const schedule = await db.schedule.findUnique({ where: { id }, include: { creator: { select: { name: true, role: true, disabledAt: true } } } });
  if (!schedule || schedule.paused) return;
  const spec = schedule.job as NewJob;
  // The job is checked again at each tick: its template may have gone, or changed its inputs.
  const errors: FieldError[] = [];
  const creator: UserPrincipal = { kind: "USER", userId: schedule.creatorId, name: schedule.creator.name, role: schedule.creator.role, tokenId: "" };
  const prepared = schedule.creator.disabledAt ? null : await prepareJob(db, spec, errors, ["job"], { creator });
  const refusal = schedule.creator.disabledAt
    ? `its creator ${schedule.creator.name} is disabled`
    : prepared
      ? null
      : `its job is not valid: ${errors.map((e) => `${e.path.join(".")}: ${e.message}`).join("; ")}`;
  await db.$transaction(async (tx) => {
    const [row] = await tx.$queryRaw<Array<{ next_run_at: Date; last_job_id: string | null; updated_at: Date; now: Date }>>`
      select next_run_at, last_job_id, updated_at, clock_timestamp() as now from schedules
       where id = ${id}::uuid and not paused and next_run_at <= clock_timestamp()
         for update skip locked`;
    // Another instance has it, or has handled it since it was listed; or it was changed since it
    // was read above, and the next pass handles it as it is now.
    if (!row || row.updated_at.getTime() !== schedule.updatedAt.getTime()) return;
    const cron = parseCron(schedule.cron, schedule.timeZone);
    const due = ticksDue(cron, row.next_run_at, row.now, graceMs);
    // A tick already recorded is not handled again, should next_run_at ever have gone back.
    const first = due.missed ?? due.onTime[0];
    const recorded = first
      ? new Set((await tx.scheduleTick.findMany({ where: { scheduleId: id, tickAt: { gte: first } }, select: { tickAt: true } })).map((t) => t.tickAt.getTime()))
      : new Set<number>();
    const missed = due.missed && !recorded.has(due.missed.getTime()) ? due.missed : null;
    const onTime = due.onTime.filter((t) => !recorded.has(t.getTime()));
    let lastJobId = row.last_job_id;
    const record = async (tickAt: Date, outcome: ScheduleTickOutcome, detail: string | null, jobId: string | null = null) => {
      await tx.scheduleTick.create({ data: { scheduleId: id, tickAt, outcome, detail, jobId } });
      if (outcome === "CREATED") pass.created++;
      else if (outcome === "FAILED") pass.failed++;
      else pass.skipped++;
    };
    const tick = async (tickAt: Date, late: string | null) => {
      if (refusal || !prepared) return record(tickAt, "FAILED", refusal);
      const previous = lastJobId ? await unfinishedJob(tx, lastJobId) : null;
      if (previous && schedule.overlap === "SKIP") {
        return record(tickAt, "SKIPPED_OVERLAP", `job #${previous.number} of an earlier tick has not finished (${previous.status})`);
      }
      if (previous && schedule.overlap === "CANCEL_PREVIOUS") {
        try {
          await cancelJobIn(tx, creator, lastJobId!, `replaced by the tick of ${tickAt.toISOString()} of schedule "${schedule.name}"`);
        } catch (error) {
          // It finished (or was deleted) meanwhile: nothing to cancel.
          if (!(error instanceof DomainError)) throw error;
        }
      }
      const job = await insertJob(tx, creator, spec, prepared as PreparedJob, { waitingOn: 0, schedule: { id, tickAt } });
      lastJobId = job.id;
      return record(tickAt, "CREATED", late, job.id);
    };
    if (missed) {
      const late = `missed: handled ${Math.round((row.now.getTime() - missed.getTime()) / 1000)} s after its time`;
      if (schedule.catchUp === "SKIP") await record(missed, "SKIPPED_MISSED", late);
      else await tick(missed, late);
    }
    for (const at of onTime) await tick(at, null);
    // A pass that stopped at its limit goes on from the last tick it handled.
    const next = cron.nextRun(due.onTime.length === MAX_TICKS_PER_PASS ? due.onTime.at(-1)! : row.now);
    await tx.schedule.update({ where: { id }, data: next ? { nextRunAt: next, lastJobId } : { paused: true, lastJobId } });
    await tx.$executeRaw`
      delete from schedule_ticks
       where schedule_id = ${id}::uuid
         and tick_at < (select tick_at from schedule_ticks where schedule_id = ${id}::uuid order by tick_at desc offset ${TICKS_KEPT - 1} limit 1)`;
  });
}

/** The job, if it is still in play: not finished and not deleted. */
async function unfinishedJob(tx: Prisma.TransactionClient, jobId: string): Promise<{ number: bigint; status: string } | null> {
  const job = await tx.job.findUnique({ where: { id: jobId }, select: { number: true, status: true, deletedAt: true } });
  return job && !job.deletedAt && UNFINISHED.has(job.status) ? job : null;
}

/**
 * Handles due schedules on an interval, in every gateway instance (instances never handle one
 * schedule at once: see the top of this file).
 */
export class ScheduleTicker {
  private readonly periodic: Periodic;

  constructor(
    db: Db,
    intervalMs: number,
    graceMs: number,
    /** Called after a pass that made or skipped ticks: to announce the events it wrote. */
    onTicked: (pass: SchedulePass) => void = () => {},
    /** Told of a pass that failed (the database went away); the next pass tries again. */
    onError: (error: unknown) => void = () => {},
  ) {
    this.periodic = new Periodic(
      intervalMs,
      async () => {
        const pass = await runDueSchedules(db, graceMs);
        if (pass.created + pass.skipped + pass.failed > 0) onTicked(pass);
      },
      onError,
    );
  }

  start(): void {
    // At once, so that ticks missed while every gateway was down are caught up on start.
    this.periodic.start(true);
  }

  /** Stops the interval and waits for a pass under way. */
  stop(): Promise<void> {
    return this.periodic.stop();
  }
}
