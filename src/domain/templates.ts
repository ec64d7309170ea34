// Reading job templates, by id or by name and version.
import type { Db } from "../db/client.js";
import type { JobTemplate, User } from "../db/generated/prisma/client.js";
import { countRows, pageOfRows, rowsByKey, sortKey, type FirstRows, type JobRow, type Joins, type Page, type RowCount, type RowFirsts, type RowList } from "./job-reads.js";
import type { SqlParams } from "./job-filter.js";
import { ForbiddenError, NotFoundError, ValidationError, type FieldError } from "./errors.js";
import { isAdmin, type Principal, type UserPrincipal } from "./principal.js";
import { MAX_NOTE_CHARS, refuseUnstorableText } from "./text.js";
import { checkTimeLimits, templatePolicy, type RetryPolicyInput } from "./retry-policy.js";
import { checkDeclarations, type Declaration } from "./values.js";

export type TemplateFilter = {
  name?: string | null;
  executorName?: string | null;
  /** Only the highest version of each name. */
  latestOnly?: boolean | null;
  includeDeleted?: boolean | null;
};

/** A version of a template: its name and number, unique together. */
export type TemplateVersion = { name: string; version: number };

/** Templates by name and version, in no particular order, in one statement. */
export function templatesByVersions(db: Db, keys: readonly TemplateVersion[], joins?: Joins): Promise<JobTemplate[]> {
  return rowsByKey<JobTemplate>(db, "JobTemplate", "job_templates", [["name", "text"], ["version", "int"]], keys.map((k) => [k.name, String(k.version)]), "", joins);
}

/**
 * The templates a filter matches, by name then newest version first; with latestOnly, the newest
 * version of each name among those the rest of the filter admits.
 */
function templateList(filter: TemplateFilter = {}): RowList {
  const conditions = (p: SqlParams, t: string): string[] => [
    ...(filter.includeDeleted ? [] : [`${t}.deleted_at is null`]),
    ...(filter.name != null ? [`${t}.name = ${p.add(filter.name)}::text`] : []),
    ...(filter.executorName != null ? [`${t}.executor_name = ${p.add(filter.executorName)}::text`] : []),
  ];
  return {
    model: "JobTemplate",
    table: "job_templates",
    keys: [sortKey("name", true), sortKey("version", false), sortKey("id", true)],
    conditions: (p, t) => [
      ...conditions(p, t),
      ...(filter.latestOnly ? [`${t}.version = (select max(m.version) from job_templates m where ${[`m.name = ${t}.name`, ...conditions(p, "m")].join(" and ")})`] : []),
    ],
  };
}

/** A page of the templates a filter matches, and how many match when `counted` (see pageOfRows). */
export function pageOfTemplates(
  db: Db,
  filter: TemplateFilter | undefined,
  page: Page,
  counted: boolean,
  counts: ReadonlyArray<RowCount<"JobTemplate">> = [],
  joins?: Joins,
  firsts?: RowFirsts<"JobTemplate">,
) {
  return pageOfRows<JobTemplate & { jobCount?: number; creator?: User | null; firstJobs?: FirstRows<JobRow> }>(db, templateList(filter), page, counted, counts, joins, firsts);
}

export function countTemplates(db: Db, filter?: TemplateFilter): Promise<number> {
  return countRows(db, templateList(filter));
}

export type NewTemplate = {
  name: string;
  description?: string | null;
  executorName: string;
  executorVersion?: string | null;
  inputs?: Declaration[] | null;
  parameters?: Declaration[] | null;
  /** The retry policy of its jobs, and the most attempts one may ask for; the defaults unless given. */
  retryPolicy?: (RetryPolicyInput & { maxAttemptsLimit?: number | null }) | null;
  /** Longest an attempt at one of its jobs may last; none unless given. */
  timeLimitSeconds?: number | null;
  /** Longest a task's run may last when the task sets no limit of its own; none unless given. */
  taskTimeLimitSeconds?: number | null;
  /** Longest a running job of it may go without a report (progress, lease renewal) before it is stalled; never unless given. */
  stallAfterSeconds?: number | null;
};

function mayDefineTemplates(actor: Principal | null): actor is UserPrincipal {
  return actor?.kind === "USER";
}

/**
 * Defines a template. A name that exists already gets its next version; concurrent definitions of
 * one name each get their own version. Users and admins.
 */
export async function createJobTemplate(db: Db, actor: Principal | null, input: NewTemplate) {
  if (!mayDefineTemplates(actor)) throw new ForbiddenError("only users and admins may define templates");
  refuseUnstorableText(input);
  const name = input.name.trim();
  const executorName = input.executorName.trim();
  const inputs = input.inputs ?? [];
  const parameters = input.parameters ?? [];
  const errors: FieldError[] = [
    ...(!name || name.length > 200 || /\p{Cc}/u.test(name)
      ? [{ path: ["name"], message: "must be 1 to 200 printable characters" }]
      : []),
    ...(!executorName || executorName.length > 200 ? [{ path: ["executor", "name"], message: "must be 1 to 200 characters" }] : []),
    ...((input.executorVersion?.length ?? 0) > 200 ? [{ path: ["executor", "version"], message: "must be at most 200 characters" }] : []),
    ...((input.description?.length ?? 0) > MAX_NOTE_CHARS ? [{ path: ["description"], message: `must be at most ${MAX_NOTE_CHARS} characters` }] : []),
    ...checkDeclarations(inputs, "inputs"),
    ...checkDeclarations(parameters, "parameters"),
  ];
  const policy = templatePolicy(input.retryPolicy, errors);
  checkTimeLimits(input, errors);
  const clash = inputs.find((i) => parameters.some((p) => p.name === i.name));
  if (clash) errors.push({ path: ["parameters"], message: `"${clash.name}" is declared both as an input and as a parameter` });
  if (errors.length) throw new ValidationError("the template is not valid", errors);

  // Definitions of one name take its lock in turn: each finds the versions before it, and takes
  // the next (racing for one version, one of twenty lost five times over and failed).
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`/* lockTemplateName */ select pg_advisory_xact_lock(hashtextextended(${`job_templates:${name}`}::text, 0))`;
    // A name is its first version's creator's: jobs and schedules made by name take its latest
    // version, which another user could otherwise replace with a definition of their own.
    const [first] = await tx.$queryRaw<{ creator_id: string | null }[]>`
      /* templateNameOwner */
      select creator_id from job_templates where name = ${name}::text order by version limit 1`;
    if (first && !isAdmin(actor) && first.creator_id !== actor.userId) {
      throw new ForbiddenError(`the template "${name}" is another user's: only its creator or an admin may define a version of it`);
    }
    const [row] = await tx.$queryRaw<{ id: string }[]>`
      /* createJobTemplate */
      insert into job_templates (name, version, description, executor_name, executor_version, inputs, parameters, creator_id,
                                 max_attempts, max_attempts_limit, retry_backoff_base_seconds, retry_backoff_cap_seconds, retry_jitter,
                                 retry_on, time_limit_seconds, task_time_limit_seconds, stall_after_seconds)
      select ${name}::text, coalesce(max(version), 0) + 1, ${input.description ?? ""}::text, ${executorName}::text,
             ${input.executorVersion ?? null}::text, ${JSON.stringify(inputs)}::jsonb, ${JSON.stringify(parameters)}::jsonb,
             ${actor.userId}::uuid, ${policy.maxAttempts}::int, ${policy.maxAttemptsLimit}::int, ${policy.backoffBaseSeconds}::float8,
             ${policy.backoffCapSeconds}::float8, ${policy.jitter}::float8, ${policy.retryOn}::"JobFailureKind"[],
             ${input.timeLimitSeconds ?? null}::int, ${input.taskTimeLimitSeconds ?? null}::int, ${input.stallAfterSeconds ?? null}::int
        from job_templates where name = ${name}::text
      returning id`;
    return row!.id;
  });
}

async function setTemplateDeleted(db: Db, actor: Principal | null, id: string, deleted: boolean) {
  if (!mayDefineTemplates(actor)) throw new ForbiddenError("only users and admins may change templates");
  const admin = isAdmin(actor);
  const changed = await db.$executeRaw`
    /* setTemplateDeleted */
    update job_templates
       set deleted_at = case when ${deleted}::boolean then coalesce(deleted_at, now()) else null end, updated_at = now()
     where id = ${id}::uuid and (${admin}::boolean or creator_id = ${actor.userId}::uuid)`;
  if (changed === 0) {
    const exists = await db.jobTemplate.findUnique({ where: { id }, select: { id: true } });
    if (!exists) throw new NotFoundError("template", id);
    throw new ForbiddenError("only the template's creator or an admin may change it");
  }
  return id;
}

/** Soft-deletes a template version: no new jobs from it, existing jobs keep it. Its creator or an admin. */
export function deleteJobTemplate(db: Db, actor: Principal | null, id: string) {
  return setTemplateDeleted(db, actor, id, true);
}

/** Undoes deleteJobTemplate. Its creator or an admin. */
export function reinstateJobTemplate(db: Db, actor: Principal | null, id: string) {
  return setTemplateDeleted(db, actor, id, false);
}
