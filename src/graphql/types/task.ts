import { addTasks, finishTask, reportTaskProgress, resetTask, retryTask, startTask, type ChangedTask } from "../../domain/task-lifecycle.js";
import type { Task as TaskRow } from "../../db/generated/prisma/client.js";
import type { JobRow } from "../../domain/job-reads.js";
import { ForbiddenError, InvalidTransitionError, LeaseLostError, NotFoundError, TimeLimitExceededError, ValidationError } from "../../domain/errors.js";
import { canOnTask, type TaskAction } from "../../domain/permissions.js";
import { mutationErrors } from "../errors.js";
import { NewTaskInput, toNewTask } from "./new-task-input.js";
import { builder } from "../builder.js";
import type { Context } from "../context.js";
import { TaskStatusEnum, TaskTypeEnum } from "./enums.js";
import { Executor } from "./executor.js";
import { Job } from "./job.js";
import { TaskInput, type TaskInputShape } from "./task-input.js";
import { TaskLimitations } from "./task-limitations.js";
import { TaskRequirements } from "./task-requirements.js";
import { joinedOr } from "../loaders.js";
import { jobColumnsSelected, joinsSelected } from "../selection.js";
import { JobRef, TaskRef } from "../model-refs.js";

/** Columns of its job that whether the viewer may act on a task depends on. */
const JOB_REF_COLUMNS = new Set(["id", "status", "deletedAt", "creatorId", "nodeId"]);

// What the viewer may do to the task now (an admin, or the node holding its job, while the job
// runs), so that a frontend can enable exactly the buttons that will work. The jobs of a page's
// tasks are read in one batch.
function viewerCanOnTask(action: TaskAction, what: string) {
  return {
    description: `Whether the viewer may ${what} now.`,
    resolve: async (task: { jobId: string; status: string }, _args: object, ctx: Context) => {
      const job = await ctx.loaders.job({ columns: JOB_REF_COLUMNS }).load(task.jobId);
      return job !== null && canOnTask(ctx.viewer, action, task, job);
    },
  } as const;
}

export const Task = builder.prismaNode("Task", {
  description:
    "An individually scheduled unit of work within a job. A task cannot start until every task of its job with a lower sequence has succeeded.",
  id: { field: "id" },
  // node(id) and nodes(ids) answer null for an ID that names no row, as Relay clients expect.
  nullable: true,
  fields: (t) => ({
    job: t.field({
      type: JobRef,
      description: "The job the task belongs to.",
      // Handed down by the job whose page of tasks this is, when it holds what is selected (Job.tasks).
      resolve: async (task, _args, ctx, info) => (await joinedOr<JobRow>(task, "job", () => ctx.loaders.job(jobColumnsSelected(info)).load(task.jobId)))!,
    }),
    name: t.exposeString("name", { description: "The task's name, unique within its job (up to 1000 characters)." }),
    type: t.expose("type", { type: TaskTypeEnum, description: "TASK or MAP." }),
    sequence: t.exposeInt("sequence", {
      description: "Execution stage: tasks with equal sequence run in any order, after every lower one succeeded.",
    }),
    qsequence: t.exposeInt("qsequence", { description: "Order of arrival within the job, from 0, assigned by the server." }),
    executor: t.field({
      type: Executor,
      nullable: true,
      description: "The executor that should perform the task; null means the job's template executor.",
      resolve: (task) => (task.executorName ? { name: task.executorName, version: task.executorVersion } : null),
    }),
    hints: t.expose("hints", { type: "JSON", nullable: true, description: "Optional hints for the executor." }),
    inputs: t.field({
      type: [TaskInput],
      description: "Input resources the task needs.",
      resolve: (task) => (Array.isArray(task.inputs) ? (task.inputs as unknown as TaskInputShape[]) : []),
    }),
    payload: t.expose("payload", {
      type: "JSON",
      nullable: true,
      description: "Executor-specific instructions for what to do.",
    }),
    requirements: t.field({
      type: TaskRequirements,
      description: "The minimum resources the task needs.",
      resolve: (task) => ({ cpu: task.cpu, memory: task.memory }),
    }),
    limitations: t.field({
      type: TaskLimitations,
      description: "Limits the task runs under.",
      resolve: (task) => ({ maxExecutionTimeInSeconds: task.maxExecutionTimeInSeconds }),
    }),
    parameters: t.expose("parameters", { type: "JSON", description: "The task's parameters." }),
    requiredLabels: t.expose("requiredLabels", { type: "JSON", description: "Labels (key -> value) a node must carry to claim the task's job." }),
    output: t.exposeString("output", { nullable: true, description: "What the task produced, as reported when it finished." }),
    progress: t.exposeFloat("progress", { description: "How much of the task is done, from 0 to 1." }),
    attempts: t.exposeInt("attempts", { description: "How many times the task has started (an attempt cut short by its job's release or lost lease does not count)." }),
    maxAttempts: t.exposeInt("maxAttempts", { description: "Starts allowed: a failed task is queued again while attempts remain." }),
    reason: t.exposeString("reason", {
      nullable: true,
      description: "Why the task was CANCELLED (with its job, or because a task it depends on failed), or why its last run ended (its time limit).",
    }),
    timeLimitAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When the run under way must end (maxExecutionTimeInSeconds, or its job's taskTimeLimitSeconds); null when the task is not running or has no limit.",
      resolve: (task) => (task.status === "RUNNING" ? task.timeLimitAt : null),
    }),
    timedOutAt: t.expose("timedOutAt", {
      type: "DateTime",
      nullable: true,
      description: "When its last run was ended by its time limit (TASK_TIMED_OUT); cleared when it starts again.",
    }),
    stoppedBy: t.field({
      type: TaskRef,
      nullable: true,
      description: "The failed task whose failure cancelled this one, if any.",
      resolve: (task, _args, ctx) => joinedOr(task, "stoppedBy", () => (task.stoppedByTaskId ? ctx.loaders.task().load(task.stoppedByTaskId) : null)),
    }),
    success: t.exposeBoolean("success", {
      nullable: true,
      description: "Null until the task has succeeded (true) or failed for good (false).",
    }),
    status: t.expose("status", { type: TaskStatusEnum, description: "Where the task is in its lifecycle." }),
    viewerCanStart: t.boolean({
      description: "Whether the viewer may start the task now (startTask): it is QUEUED and every task of a lower sequence has succeeded.",
      // Both read at once: read one after the other, the second read's loads could fall into as
      // many batches as the first read's answers came back in.
      resolve: async (task, args, ctx) => {
        const [may, lowest] = await Promise.all([viewerCanOnTask("start", "").resolve(task, args, ctx), ctx.loaders.startableSequence.load(task.jobId)]);
        return may && (lowest === null || task.sequence <= lowest);
      },
    }),
    viewerCanReportProgress: t.boolean(viewerCanOnTask("reportProgress", "report the task's progress (reportTaskProgress)")),
    viewerCanFinish: t.boolean(viewerCanOnTask("finish", "finish the task (finishTask)")),
    viewerCanReset: t.boolean(viewerCanOnTask("reset", "reset the task (resetTask)")),
    viewerCanRetry: t.boolean(viewerCanOnTask("retry", "give the task another attempt (retryTask)")),
    createdByTask: t.field({
      type: TaskRef,
      nullable: true,
      description: "The task that created this one, if any.",
      resolve: (task, _args, ctx) => joinedOr(task, "createdByTask", () => (task.createdByTaskId ? ctx.loaders.task().load(task.createdByTaskId) : null)),
    }),
    mapTask: t.field({
      type: TaskRef,
      nullable: true,
      resolve: (task, _args, ctx) => joinedOr(task, "mapTask", () => (task.mapTaskId ? ctx.loaders.task().load(task.mapTaskId) : null)),
      description: "For a child of a MAP task: the MAP task, whose list holds its value. Its siblings: job.tasks(filter: { mapTask }).",
    }),
    mapIndex: t.exposeInt("mapIndex", { nullable: true, description: "For a child of a MAP task: the index of its value in the map's list, from 0." }),
    mapValue: t.expose("mapValue", { type: "JSON", nullable: true, description: "For a child of a MAP task: its value from the map's list." }),
    startTime: t.expose("startTime", { type: "DateTime", nullable: true, description: "When the task started." }),
    endTime: t.expose("endTime", { type: "DateTime", nullable: true, description: "When the task finished." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the task was added." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When the task last changed." }),
  }),
});

builder.queryFields((t) => ({
  task: t.field({
    type: Task,
    nullable: true,
    description: "A task by its ID; null when there is none.",
    args: { id: t.arg.globalID({ required: true, for: [Task], description: "The task's global ID." }) },
    resolve: (_root, args, ctx, info) => ctx.loaders.task(joinsSelected("Task", info)).load(args.id.id),
  }),
}));

/** The task after a change: the row the change's own statement returned, not read again. */
const TaskPayload = builder.objectRef<{ changed: ChangedTask }>("TaskPayload").implement({
  description: "The task after the change.",
  fields: (t) => ({
    task: t.field({
      type: TaskRef,
      description: "The task as it is now.",
      resolve: (p) => p.changed,
    }),
  }),
});

const AddTasksPayload = builder.objectRef<{ taskIds: string[] }>("AddTasksPayload").implement({
  description: "The tasks added, in order of arrival.",
  fields: (t) => ({
    tasks: t.field({
      type: [TaskRef],
      description: "The new tasks.",
      resolve: async (p, _args, ctx, info) =>
        (await ctx.loaders.task(joinsSelected("Task", info)).loadMany(p.taskIds)).filter((task): task is TaskRow => task != null && !(task instanceof Error)).sort((a, b) => a.qsequence - b.qsequence),
    }),
  }),
});

/**
 * What every task mutation can answer besides its payload: a caller who may not (a user, but for
 * the job's creator adding tasks), a missing job or task, invalid input, a lease that is not the
 * current one of a job still in play, and a job or task in the wrong state (a job that finished or
 * was cancelled among them).
 */
const TASK_ERRORS = [ForbiddenError, ValidationError, NotFoundError, InvalidTransitionError, LeaseLostError, TimeLimitExceededError];

builder.mutationFields((t) => {
  const taskId = () => t.arg.globalID({ required: true, for: [Task], description: "The task's global ID." });
  const leaseToken = () => t.arg.string({ required: true, description: "The token of the lease on the task's job." });
  const adminLease = () => t.arg.string({ required: false, description: "The token of the lease on the task's job; admins leave it out." });
  const node = (ctx: Context) => ctx.viewer!;
  return {
    addTasks: t.field({
      type: AddTasksPayload,
      description:
        "Adds tasks to a job that has not finished; qsequence numbers them in order of arrival. The job's creator, its holding node (with its lease token) or an admin.",
      args: {
        job: t.arg.globalID({ required: true, for: [Job], description: "The job's global ID." }),
        tasks: t.arg({ type: [NewTaskInput], required: true, description: "The tasks." }),
        leaseToken: t.arg.string({ required: false, description: "The holding node's lease token." }),
      },
      errors: mutationErrors("addTasks", TASK_ERRORS),
      resolve: async (_root, args, ctx) => ({
        taskIds: (await addTasks(ctx.db, node(ctx), args.job.id, args.tasks.map(toNewTask), args.leaseToken, ctx)).map((r) => r.id),
      }),
    }),
    startTask: t.field({
      type: TaskPayload,
      description: "Starts a queued task of a running job, once every task of a lower sequence has succeeded. The holding node.",
      args: { id: taskId(), leaseToken: leaseToken() },
      errors: mutationErrors("startTask", TASK_ERRORS),
      resolve: async (_root, args, ctx) => ({ changed: await startTask(ctx.db, node(ctx), args.id.id, args.leaseToken) }),
    }),
    reportTaskProgress: t.field({
      type: TaskPayload,
      description: "Records a running task's progress (0 to 1); the job's progress follows its tasks' unless the node reports it. The holding node.",
      args: { id: taskId(), leaseToken: leaseToken(), progress: t.arg.float({ required: true, description: "From 0 to 1." }) },
      errors: mutationErrors("reportTaskProgress", TASK_ERRORS),
      resolve: async (_root, args, ctx) => ({
        changed: await reportTaskProgress(ctx.db, node(ctx), args.id.id, args.leaseToken, args.progress),
      }),
    }),
    finishTask: t.field({
      type: TaskPayload,
      description:
        "Finishes a running task with its output. A failure queues the task again while it has attempts left; once they are spent it FAILED for good, and the job's onTaskFailure decides what follows. The holding node.",
      args: {
        id: taskId(),
        leaseToken: leaseToken(),
        success: t.arg.boolean({ required: true, description: "Whether the task succeeded." }),
        output: t.arg.string({ required: false, description: "What the task produced: at most 65,536 characters." }),
      },
      errors: mutationErrors("finishTask", TASK_ERRORS),
      resolve: async (_root, args, ctx) => ({
        changed: await finishTask(ctx.db, node(ctx), args.id.id, args.leaseToken, { success: args.success, output: args.output }),
      }),
    }),
    resetTask: t.field({
      type: TaskPayload,
      description:
        "Returns a task of a running job to QUEUED as new (attempts, progress, output and times cleared), with the tasks its failure stopped. The holding node, or an admin.",
      args: { id: taskId(), leaseToken: adminLease() },
      errors: mutationErrors("resetTask", TASK_ERRORS),
      resolve: async (_root, args, ctx) => ({ changed: await resetTask(ctx.db, node(ctx), args.id.id, args.leaseToken ?? null) }),
    }),
    retryTask: t.field({
      type: TaskPayload,
      description:
        "Gives a FAILED or CANCELLED task of a running job another attempt: QUEUED, its attempts kept and one more allowed, with the tasks its failure stopped. The holding node, or an admin.",
      args: { id: taskId(), leaseToken: adminLease() },
      errors: mutationErrors("retryTask", TASK_ERRORS),
      resolve: async (_root, args, ctx) => ({ changed: await retryTask(ctx.db, node(ctx), args.id.id, args.leaseToken ?? null) }),
    }),
  };
});
