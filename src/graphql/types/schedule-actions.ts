// Creating, listing, pausing, resuming and deleting schedules.
import { GraphQLError } from "graphql";
import { ForbiddenError, NotFoundError, ValidationError } from "../../domain/errors.js";
import { countSchedules, createSchedule, deleteSchedule, pageOfSchedules, setSchedulePaused, updateSchedule } from "../../domain/schedules.js";
import { builder } from "../builder.js";
import { EDGE_NODE, listConnection, ScheduleConnection, schedulePages } from "../connections.js";
import { firstPagesSelected, joinsSelected, listCountsSelected } from "../selection.js";
import { pageFromQuery } from "../pages.js";
import { CURSOR_FIELDS } from "../../domain/job-reads.js";
import { mutationErrors } from "../errors.js";
import { encodeGlobalId } from "../global-id.js";
import { ScheduleCatchUpEnum, ScheduleOverlapEnum } from "./enums.js";
import { CreateJobInput, toNewJob } from "./job-lifecycle.js";
import { Schedule } from "./schedule.js";

const CreateScheduleInput = builder.inputType("CreateScheduleInput", {
  description: "A new schedule: when it ticks, and the job each tick makes.",
  fields: (t) => ({
    name: t.string({ required: true, description: "Its name, 1 to 200 characters, unique among schedules." }),
    description: t.string({ required: false, description: "What it is for." }),
    cron: t.string({
      required: true,
      description:
        'When it ticks: a cron expression of 5 fields (minute hour day-of-month month day-of-week, "0 2 * * *" is 02:00 every day), 6 with seconds first ("*/10 * * * * *"), or a nickname (@hourly, @daily, @weekly, @monthly, @yearly).',
    }),
    timeZone: t.string({ required: false, description: "The IANA time zone the expression is read in (Europe/Berlin), daylight saving included; UTC unless given." }),
    overlap: t.field({ type: ScheduleOverlapEnum, required: false, description: "What a tick does while the job of an earlier tick has not finished; SKIP unless given." }),
    catchUp: t.field({ type: ScheduleCatchUpEnum, required: false, description: "What becomes of ticks missed while every gateway was down; LAST unless given." }),
    paused: t.boolean({ required: false, description: "Create it paused; false unless given." }),
    job: t.field({
      type: CreateJobInput,
      required: true,
      description:
        "The job each tick makes, as createJob takes it, checked now against its template (and again at each tick). idempotencyKey, findOrCreate, runAfter, deadline and dependsOn do not apply. Named by template name without a version, each job is made from the latest version.",
    }),
  }),
});

const UpdateScheduleInput = builder.inputType("UpdateScheduleInput", {
  description: "What to change of a schedule: the fields given replace its own, checked as createSchedule checks them.",
  fields: (t) => ({
    name: t.string({ required: false, description: "A new name, unique among schedules." }),
    description: t.string({ required: false, description: "What it is for." }),
    cron: t.string({ required: false, description: "When it ticks from now on (as createSchedule takes it); its next time is the first after now." }),
    timeZone: t.string({ required: false, description: "The IANA time zone its cron expression is read in from now on." }),
    overlap: t.field({ type: ScheduleOverlapEnum, required: false, description: "What a tick does while the job of an earlier tick has not finished." }),
    catchUp: t.field({ type: ScheduleCatchUpEnum, required: false, description: "What becomes of ticks missed while every gateway was down." }),
    job: t.field({ type: CreateJobInput, required: false, description: "The job each tick makes from the next tick on, as a whole (as createSchedule takes it)." }),
  }),
});

const ScheduleFilter = builder.inputType("ScheduleFilter", {
  description: "Which schedules to list.",
  fields: (t) => ({
    paused: t.boolean({ required: false, description: "Only paused (true) or only running (false) ones." }),
  }),
});

const DeletedSchedule = builder.objectRef<{ id: string; name: string }>("DeletedSchedule").implement({
  description: "A schedule deleteSchedule deleted.",
  fields: (t) => ({
    id: t.id({ description: "Its global ID, as it was.", resolve: (s) => encodeGlobalId("Schedule", s.id) }),
    name: t.exposeString("name", { description: "Its name, now free to take again." }),
  }),
});

builder.queryFields((t) => ({
  schedule: t.field({
    type: Schedule,
    nullable: true,
    description: "A schedule by its ID or its name (give one); null when there is none.",
    args: {
      id: t.arg.globalID({ required: false, for: [Schedule], description: "The schedule's global ID." }),
      name: t.arg.string({ required: false, description: "The schedule's name." }),
    },
    resolve: (_root, args, ctx, info) => {
      if ((args.id == null) === (args.name == null)) {
        throw new GraphQLError("schedule takes either id or name", { extensions: { code: "BAD_USER_INPUT" } });
      }
      const joins = joinsSelected("Schedule", info);
      return args.id ? ctx.loaders.schedule(joins).load(args.id.id) : ctx.loaders.scheduleByName(joins).load(args.name!);
    },
  }),
  schedules: t.connection(
    {
      type: Schedule,
      description: "Schedules, by name.",
      args: { filter: t.arg({ type: ScheduleFilter, required: false, description: "Which schedules." }) },
      resolve: (_root, args, ctx, info) => {
        const paused = args.filter?.paused;
        const page = pageFromQuery(schedulePages.getQuery(args, ctx, () => true));
        const counts = listCountsSelected(info, EDGE_NODE, [["ticks", "ticks"]]);
        const joins = joinsSelected("Schedule", info, EDGE_NODE);
        const firsts = firstPagesSelected(info, EDGE_NODE, "Schedule", [["ticks", "ScheduleTick"]]);
        return listConnection(args, info, page, (p, counted) => pageOfSchedules(ctx.db, paused, p, counted, counts, joins, firsts), () => countSchedules(ctx.db, paused), CURSOR_FIELDS.Schedule);
      },
    },
    ScheduleConnection,
  ),
}));

builder.mutationFields((t) => {
  const idArg = () => t.arg.globalID({ required: true, for: [Schedule], description: "The schedule's global ID." });
  return {
    createSchedule: t.field({
      type: Schedule,
      description: "Creates a schedule, checking its cron expression, time zone and job (every problem named at once, nothing created on any). Users and admins.",
      args: { input: t.arg({ type: CreateScheduleInput, required: true, description: "The schedule." }) },
      errors: mutationErrors("createSchedule", [ForbiddenError, ValidationError]),
      resolve: async (_root, { input }, ctx) =>
        (await ctx.loaders.schedule().load(
          await createSchedule(ctx.db, ctx.viewer!, {
            name: input.name,
            description: input.description,
            cron: input.cron,
            timeZone: input.timeZone,
            overlap: input.overlap,
            catchUp: input.catchUp,
            paused: input.paused,
            job: toNewJob(input.job),
          }),
        ))!,
    }),
    updateSchedule: t.field({
      type: Schedule,
      description:
        "Changes a schedule: its name, description, cron expression, time zone, policies or job, every problem named at once and nothing changed on any. A new cron expression or time zone takes effect from its next time after now. Its creator or an admin.",
      args: { id: idArg(), input: t.arg({ type: UpdateScheduleInput, required: true, description: "What to change." }) },
      errors: mutationErrors("updateSchedule", [ForbiddenError, ValidationError, NotFoundError]),
      resolve: async (_root, { id, input }, ctx) =>
        (await ctx.loaders.schedule().load(
          await updateSchedule(ctx.db, ctx.viewer!, id.id, {
            name: input.name ?? undefined,
            description: input.description,
            cron: input.cron ?? undefined,
            timeZone: input.timeZone ?? undefined,
            overlap: input.overlap,
            catchUp: input.catchUp,
            job: input.job ? toNewJob(input.job) : undefined,
          }),
        ))!,
    }),
    pauseSchedule: t.field({
      type: Schedule,
      description: "Pauses a schedule: it makes no jobs until it is resumed; its jobs already made go on. Its creator or an admin.",
      args: { id: idArg() },
      errors: mutationErrors("pauseSchedule", [ForbiddenError, ValidationError, NotFoundError]),
      resolve: async (_root, { id }, ctx) => (await ctx.loaders.schedule().load(await setSchedulePaused(ctx.db, ctx.viewer!, id.id, true)))!,
    }),
    resumeSchedule: t.field({
      type: Schedule,
      description: "Resumes a paused schedule from its next time after now: the times it was paused through make no jobs. Its creator or an admin.",
      args: { id: idArg() },
      errors: mutationErrors("resumeSchedule", [ForbiddenError, ValidationError, NotFoundError]),
      resolve: async (_root, { id }, ctx) => (await ctx.loaders.schedule().load(await setSchedulePaused(ctx.db, ctx.viewer!, id.id, false)))!,
    }),
    deleteSchedule: t.field({
      type: DeletedSchedule,
      description: "Deletes a schedule and the record of its ticks; the jobs it made stay. Its creator or an admin.",
      args: { id: idArg() },
      errors: mutationErrors("deleteSchedule", [ForbiddenError, ValidationError, NotFoundError]),
      resolve: (_root, { id }, ctx) => deleteSchedule(ctx.db, ctx.viewer!, id.id),
    }),
  };
});
