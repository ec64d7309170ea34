// A schedule: a job made again and again at the times of a cron expression (src/domain/schedules.ts).
import { GraphQLError } from "graphql";
import type { NewJob } from "../../domain/create-job.js";
import { MAX_NEXT_RUN_TIMES, nextRunTimes } from "../../domain/schedules.js";
import { builder } from "../builder.js";
import { ScheduleTickConnection, tickPages } from "../connections.js";
import { ScheduleTickRef } from "../model-refs.js";
import { connectionOf, countOnly, firstRows, needsRows, pageFromQuery } from "../pages.js";
import type { ScheduleTick } from "../../db/generated/prisma/client.js";
import type { FirstRows } from "../../domain/job-reads.js";
import { ScheduleCatchUpEnum, ScheduleOverlapEnum } from "./enums.js";
import { JobTemplate } from "./job-template.js";
import "./schedule-tick.js";
import { Job } from "./job.js";
import { User } from "./user.js";
import { joinedOr } from "../loaders.js";
import { jobColumnsSelected } from "../selection.js";

const specOf = (job: unknown) => job as NewJob;

export const Schedule = builder.prismaNode("Schedule", {
  description:
    "A job made again and again, at the times a cron expression gives in a time zone (createSchedule). Each tick is handled once, whichever gateways run, and recorded with the job it made.",
  id: { field: "id" },
  nullable: true,
  fields: (t) => ({
    name: t.exposeString("name", { description: "Its name, unique among schedules." }),
    description: t.exposeString("description", { description: "What it is for." }),
    cron: t.exposeString("cron", {
      description: "The cron expression: 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or a nickname such as @daily.",
    }),
    timeZone: t.exposeString("timeZone", { description: "The IANA time zone the cron expression is read in." }),
    overlap: t.expose("overlap", { type: ScheduleOverlapEnum, description: "What a tick does while the job of an earlier tick has not finished." }),
    catchUp: t.expose("catchUp", { type: ScheduleCatchUpEnum, description: "What becomes of ticks missed while every gateway was down." }),
    paused: t.exposeBoolean("paused", { description: "Whether it is paused: a paused schedule makes no jobs." }),
    nextRunAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "The time of its next tick; null while it is paused. A time in the past: the tick is due, and a gateway is about to handle it.",
      resolve: (s) => (s.paused ? null : s.nextRunAt),
    }),
    nextRunTimes: t.field({
      type: ["DateTime"],
      description: "Its next times after now, as the cron expression gives them (whether or not it is paused).",
      args: { count: t.arg.int({ required: false, defaultValue: 5, description: `How many, 1 to ${MAX_NEXT_RUN_TIMES}.` }) },
      resolve: (s, args) => {
        const count = args.count ?? 5;
        if (!(count >= 1 && count <= MAX_NEXT_RUN_TIMES)) {
          throw new GraphQLError(`count must be from 1 to ${MAX_NEXT_RUN_TIMES}`, { extensions: { code: "BAD_USER_INPUT" } });
        }
        return nextRunTimes(s.cron, s.timeZone, count);
      },
    }),
    template: t.field({
      type: JobTemplate,
      nullable: true,
      description: "The template its next job would be made from (the latest version, unless it was given a version or an ID); null when that is deleted.",
      resolve: async (s, _args, ctx) => {
        const job = specOf(s.job);
        const template = job.templateId ? await ctx.loaders.template().load(job.templateId) : await ctx.loaders.latestTemplate().load(job.templateName!);
        return template && !template.deletedAt ? template : null;
      },
    }),
    queue: t.string({ description: "The queue its jobs go to.", resolve: (s) => specOf(s.job).queue?.trim() || "default" }),
    jobName: t.string({ nullable: true, description: "The name its jobs are given.", resolve: (s) => specOf(s.job).name ?? null }),
    priority: t.int({ description: "The priority of its jobs.", resolve: (s) => specOf(s.job).priority ?? 0 }),
    inputs: t.field({
      type: "JSON",
      description: "The inputs its jobs are given, as createSchedule took them: a list of {name, type, value}.",
      resolve: (s) => (specOf(s.job).inputs ?? []).map(({ name, type, value }) => ({ name, type: type ?? null, value: value ?? null })),
    }),
    parameters: t.field({
      type: "JSON",
      description: "The parameters its jobs are given, as createSchedule took them: a list of {name, type, value}.",
      resolve: (s) => (specOf(s.job).parameters ?? []).map(({ name, type, value }) => ({ name, type: type ?? null, value: value ?? null })),
    }),
    lastJob: t.field({
      type: Job,
      nullable: true,
      description: "The job of its latest tick that made one (the one the overlap policy looks at).",
      resolve: (schedule, _args, ctx, info) => (schedule.lastJobId ? ctx.loaders.job(jobColumnsSelected(info)).load(schedule.lastJobId) : null),
    }),
    creator: t.field({
      type: User,
      description: "The user who created it; its jobs are created as theirs.",
      resolve: async (schedule, _args, ctx) => (await joinedOr(schedule, "creator", () => ctx.loaders.user.load(schedule.creatorId)))!,
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When it last changed (a tick moves its next time on)." }),
    ticks: t.connection(
      {
        type: ScheduleTickRef,
        description: "The ticks it has handled, the latest handled first: each with the job it made, or why it made none.",
        resolve: async (schedule, args, ctx, info) => {
          // Counted with the schedule when a page of schedules read it (see listCountsSelected).
          const counted = (schedule as { tickCount?: number }).tickCount;
          const count = () => counted ?? ctx.loaders.tickCount.load(schedule.id);
          if (!needsRows(info)) return countOnly(count);
          const page = pageFromQuery(tickPages.getQuery(args, ctx, () => true));
          return connectionOf(firstRows((schedule as { firstTicks?: FirstRows<ScheduleTick> }).firstTicks, info, page) ?? (await ctx.loaders.ticks(page).load(schedule.id)), args, page, count);
        },
      },
      ScheduleTickConnection,
    ),
  }),
});
