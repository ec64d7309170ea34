// The mutations of the job lifecycle (see the table in docs and domain/lifecycle.ts), and creation.
import { acquireNextJob } from "../../domain/claiming.js";
import {
  ConflictError,
  ForbiddenError,
  InvalidTransitionError,
  LeaseLostError,
  NotFoundError,
  TimeLimitExceededError,
  ValidationError,
} from "../../domain/errors.js";
import { createJob, type NewJob } from "../../domain/create-job.js";
import { MAX_DEPENDENCIES } from "../../domain/dependencies.js";
import {
  abortJob,
  acquireJob,
  cancelJob,
  deleteJob,
  finishJob,
  hardDeleteJob,
  reinstateJob,
  releaseJob,
  renewJobLease,
  reportJobProgress,
  resetJob,
  startJob,
  updateJob,
  type ChangedJob,
} from "../../domain/transitions.js";
import { jobColumnsSelected, jobSelectedAt } from "../selection.js";
import { builder } from "../builder.js";
import type { Context } from "../context.js";
import { mutationErrors } from "../errors.js";
import { encodeGlobalId } from "../global-id.js";
import { DependencyFailurePolicyEnum, TaskFailurePolicyEnum } from "./enums.js";
import { decodeOutputRef } from "./typed-value.js";
import { Job } from "./job.js";
import { JobTemplate } from "./job-template.js";
import { Lease } from "./lease.js";
import { NewTaskInput, toNewTask } from "./new-task-input.js";
import { RetryPolicyInput } from "./retry-policy-input.js";

function leaseOf(changed: ChangedJob | null) {
  return changed?.leaseToken && changed.leaseExpiresAt ? { token: changed.leaseToken, expiresAt: changed.leaseExpiresAt } : null;
}

/** The job after a change: the row the change's own statement returned, not read again. */
const JobPayload = builder.objectRef<{ changed: ChangedJob }>("JobPayload").implement({
  description: "The job after the change.",
  fields: (t) => ({
    job: t.field({
      type: Job,
      description: "The job as it is now.",
      resolve: (p) => p.changed,
    }),
  }),
});

const AcquireJobPayload = builder.objectRef<{ changed: ChangedJob | null }>("AcquireJobPayload").implement({
  description: "The job acquired, with the lease that lets the node work on it.",
  fields: (t) => ({
    job: t.field({
      type: Job,
      nullable: true,
      description: "The job, now ACQUIRED by the calling node; null when acquireNextJob found nothing to take.",
      resolve: (p) => p.changed,
    }),
    lease: t.field({
      type: Lease,
      nullable: true,
      description: "The node's lease; send its token with every further call about the job.",
      resolve: (p) => leaseOf(p.changed),
    }),
  }),
});

const LeasePayload = builder.objectRef<{ changed: ChangedJob }>("LeasePayload").implement({
  description: "The job after the change, and the node's lease as it is now.",
  fields: (t) => ({
    job: t.field({
      type: Job,
      description: "The job as it is now.",
      resolve: (p) => p.changed,
    }),
    lease: t.field({
      type: Lease,
      nullable: true,
      description: "The lease, with its new expiry; null once the job no longer has one.",
      resolve: (p) => leaseOf(p.changed),
    }),
  }),
});

const CreateOutcomeEnum = builder.enumType("CreateJobOutcome", {
  description: "How createJob came to return its job.",
  values: {
    CREATED: { description: "A new job was created." },
    REUSED: { description: "findOrCreate found an equivalent earlier job (see reason)." },
    IDEMPOTENT_REPLAY: { description: "The idempotency key was used before: this is the job that call created." },
  } as const,
});

const PassedOverRef = builder.objectRef<{ jobId: string; reason: string }>("PassedOverJob").implement({
  description: "An earlier job with the same fingerprint that findOrCreate did not reuse, and why.",
  fields: (t) => ({
    job: t.field({
      type: Job,
      nullable: true,
      description: "The job passed over.",
      resolve: (p, _args, ctx, info) => ctx.loaders.job(jobColumnsSelected(info)).load(p.jobId),
    }),
    reason: t.exposeString("reason", { description: "Why it was not reused (failed, cancelled, deleted, nondeterministic, ...)." }),
  }),
});

const CreateJobPayload = builder
  .objectRef<Awaited<ReturnType<typeof createJob>>>("CreateJobPayload")
  .implement({
    description: "The job created, or the one returned in its place.",
    fields: (t) => ({
      job: t.field({
        type: Job,
        description: "The job.",
        resolve: async (p, _args, ctx, info) => (await ctx.loaders.job(jobColumnsSelected(info)).load(p.jobId))!,
      }),
      outcome: t.field({ type: CreateOutcomeEnum, description: "Whether the job is new, reused or a replay.", resolve: (p) => p.outcome }),
      reused: t.boolean({ description: "Whether an earlier job was returned instead of a new one.", resolve: (p) => p.outcome !== "CREATED" }),
      reason: t.exposeString("reason", { nullable: true, description: "Why an earlier job was returned." }),
      passedOver: t.field({
        type: [PassedOverRef],
        description: "Equivalent earlier jobs that findOrCreate did not reuse, and why.",
        resolve: (p) => p.passedOver,
      }),
    }),
  });

const ReuseVersionsInput = builder.inputType("ReuseVersionsInput", {
  description:
    "Which template versions' jobs findOrCreate may reuse (Arvados' minimum_script_version and exclude_script_versions). Jobs it rules out are listed in passedOver with the reason.",
  fields: (t) => ({
    anyVersion: t.boolean({ required: false, description: "Jobs made from any version of the template." }),
    minimumVersion: t.int({ required: false, description: "Jobs made from this version of the template or a later one." }),
    excludedVersions: t.intList({ required: false, description: "Never jobs made from these versions (up to 100)." }),
  }),
});

const ValueInput = builder.inputType("ValueInput", {
  description: "A value for one of the template's declared inputs or parameters.",
  fields: (t) => ({
    name: t.string({ required: true, description: "The declared name." }),
    type: t.string({ required: false, description: "The value's type; may be left out when the declaration allows only one." }),
    value: t.field({
      type: "JSON",
      required: true,
      description:
        'The value. An output reference is {"output": "<JobOutput ID>"}, or {"job": "<Job ID>", "name": ..., "type": ...}; it is shown with both.',
    }),
  }),
});

export const CreateJobInput = builder.inputType("CreateJobInput", {
  description: "A new job.",
  fields: (t) => ({
    template: t.globalID({ required: false, for: [JobTemplate], description: "The template (a version of it), by ID." }),
    templateName: t.string({ required: false, description: "Or: the template's name; the latest version unless templateVersion." }),
    templateVersion: t.int({ required: false, description: "With templateName: the version." }),
    queue: t.string({ required: false, description: "The queue; `default` unless given." }),
    name: t.string({ required: false, description: "A short name." }),
    description: t.string({ required: false, description: "What the job is for." }),
    inputs: t.field({ type: [ValueInput], required: false, description: "Input values." }),
    parameters: t.field({ type: [ValueInput], required: false, description: "Parameter values; defaults fill the rest." }),
    parent: t.globalID({ required: false, for: [Job], description: "The job this one belongs under: one not deleted, of the caller's (any job, for an admin)." }),
    priority: t.int({ required: false, description: "Higher runs first; 0 unless given." }),
    tags: t.stringList({ required: false, description: "Labels for finding and grouping jobs." }),
    maxAttempts: t.int({
      required: false,
      description: "Attempts allowed (as retryPolicy.maxAttempts), up to the template's maxAttemptsLimit; the template's retryPolicy.maxAttempts unless given.",
    }),
    retryPolicy: t.field({ type: RetryPolicyInput, required: false, description: "The job's own retry policy, within what its template allows; the template's unless given." }),
    timeLimitSeconds: t.int({
      required: false,
      description: "Longest an attempt may last from its acquisition, 1 to 604800 seconds: past it the attempt ends as TIMED_OUT. The template's unless given.",
    }),
    taskTimeLimitSeconds: t.int({
      required: false,
      description: "Longest a run of one of its tasks may last when the task sets no maxExecutionTimeInSeconds, 1 to 172800 seconds. The template's unless given.",
    }),
    deadline: t.field({ type: "DateTime", required: false, description: "Fail the job (DEADLINE_EXCEEDED) if it has not finished by then; in the future." }),
    requiredLabels: t.field({
      type: "JSON",
      required: false,
      description: 'Labels (key -> value, e.g. {"gpu": "a100"}) a node must carry to claim the job; its tasks may require more.',
    }),
    onTaskFailure: t.field({
      type: TaskFailurePolicyEnum,
      required: false,
      description: "What a task that fails for good does to the job; FAIL_JOB unless given.",
    }),
    runAfter: t.field({ type: "DateTime", required: false, description: "Not acquired before this time." }),
    nondeterministic: t.boolean({ required: false, description: "Results may differ between runs: never reused." }),
    idempotencyKey: t.string({ required: false, description: "A key of the caller's: a retry with the same key returns the same job." }),
    tasks: t.field({ type: [NewTaskInput], required: false, description: "Tasks to create with the job, numbered in the order given." }),
    dependsOn: t.globalIDList({
      required: false,
      for: [Job],
      description: `Jobs that must all succeed before this one may be claimed (up to ${MAX_DEPENDENCIES}): until then it is WAITING. Deleted jobs are refused, and so are failed or cancelled ones unless onDependencyFailure is WAIT.`,
    }),
    onDependencyFailure: t.field({
      type: DependencyFailurePolicyEnum,
      required: false,
      description: "What the job does when one of its dependencies fails for good; CANCEL unless given.",
    }),
    reuse: t.field({
      type: ReuseVersionsInput,
      required: false,
      description: "With findOrCreate: which versions of the template an earlier job may have been made from; the same version unless given.",
    }),
    findOrCreate: t.boolean({
      required: false,
      description:
        "Return an earlier job with the same template version, inputs and parameters instead, if one exists that is not nondeterministic and neither failed, cancelled nor deleted (a succeeded one first).",
    }),
  }),
});

const ClaimFilterInput = builder.inputType("AcquireFilter", {
  description: "Which jobs a node will take.",
  fields: (t) => ({
    queues: t.stringList({ required: false, description: "Take only from these queues; any queue when omitted." }),
    templateName: t.string({ required: false, description: "Only jobs of this template." }),
    executor: t.string({ required: false, description: "Only jobs whose template runs on this executor." }),
    tags: t.stringList({ required: false, description: "Only jobs carrying every one of these tags." }),
  }),
});

const UpdateJobInput = builder.inputType("UpdateJobInput", {
  description: "What to change in a job; at least one field.",
  fields: (t) => ({
    description: t.string({ required: false, description: "A new description." }),
    priority: t.int({ required: false, description: "A new priority." }),
    tags: t.stringList({ required: false, description: "The new set of tags." }),
    expectedVersion: t.int({
      required: false,
      description: "Refuse the change (ConflictError) unless the job is still at this version.",
    }),
  }),
});

/** Decodes createJob's input into the domain's new job. */
export function toNewJob(input: typeof CreateJobInput.$inferInput): NewJob {
  return {
    ...input,
    inputs: input.inputs?.map((v) => ({ ...v, asOutputRef: decodeOutputRef(v.value) })),
    templateId: input.template?.id,
    parentId: input.parent?.id,
    tasks: input.tasks?.map(toNewTask),
    dependsOn: input.dependsOn?.map((ref) => ref.id),
  };
}

function viewer(ctx: Context) {
  // Mutations need an authenticated caller (scopes on the Mutation type); this satisfies types.
  return ctx.viewer!;
}

// What each kind of action can answer besides its payload (whyNot in src/domain/transitions.ts
// says which refusal applies). Every one takes a job's ID, and so may answer ValidationError.
/**
 * A node's action on the job it holds (a reset by a node too): refused to users, for a missing
 * job, with a lease that is not the current one of a job still in play, or in the wrong state (a
 * job that finished or was cancelled among them).
 */
const HOLDER_ERRORS = [ForbiddenError, ValidationError, NotFoundError, InvalidTransitionError, LeaseLostError, TimeLimitExceededError];
/** An action of the job's creator or an admin (or a node's acquisition): refused to others, for a missing job, or in the wrong state. */
const OWNER_ERRORS = [ForbiddenError, ValidationError, NotFoundError, InvalidTransitionError];

builder.mutationFields((t) => {
  const jobArg = () => t.arg.globalID({ required: true, for: [Job], description: "The job's global ID." });
  const leaseArg = <R extends boolean>(required: R) =>
    t.arg.string({ required, description: "The token of the node's lease, from acquireJob or acquireNextJob." });
  return {
  createJob: t.field({
    type: CreateJobPayload,
    description: "Creates a job from a template, validated against it. Users and admins.",
    args: { input: t.arg({ type: CreateJobInput, required: true, description: "The job." }) },
    errors: mutationErrors("createJob", [ForbiddenError, ValidationError]),
    resolve: (_root, { input }, ctx) => createJob(ctx.db, viewer(ctx), toNewJob(input), ctx),
  }),
  acquireJob: t.field({
    type: AcquireJobPayload,
    description: "Takes a QUEUED job for the calling node, with a new lease. Worker nodes.",
    args: { id: jobArg() },
    errors: mutationErrors("acquireJob", OWNER_ERRORS),
    resolve: async (_root, { id }, ctx) => ({
      changed: await acquireJob(ctx.db, viewer(ctx), id.id, ctx.settings),
    }),
  }),
  acquireNextJob: t.field({
    type: AcquireJobPayload,
    description:
      "Takes the highest-priority, oldest claimable job matching the filter and the node's executors; job is null when there is none. Worker nodes.",
    args: { filter: t.arg({ type: ClaimFilterInput, required: false, description: "Which jobs to consider." }) },
    errors: mutationErrors("acquireNextJob", [ForbiddenError, ValidationError]),
    resolve: async (_root, { filter }, ctx) => ({
      changed: await acquireNextJob(
        ctx.db,
        viewer(ctx),
        { queues: filter?.queues, templateName: filter?.templateName, executorName: filter?.executor, tags: filter?.tags },
        ctx.settings,
      ),
    }),
  }),
  releaseJob: t.field({
    type: JobPayload,
    description: "Gives a held job back to the queue (UFDL's release). The holding node.",
    args: { id: jobArg(), leaseToken: leaseArg(true) },
    errors: mutationErrors("releaseJob", HOLDER_ERRORS),
    resolve: async (_root, args, ctx) => ({ changed: await releaseJob(ctx.db, viewer(ctx), args.id.id, args.leaseToken) }),
  }),
  startJob: t.field({
    type: LeasePayload,
    description: "Marks an acquired job RUNNING and renews the lease. The holding node.",
    args: { id: jobArg(), leaseToken: leaseArg(true) },
    errors: mutationErrors("startJob", HOLDER_ERRORS),
    resolve: async (_root, args, ctx, info) => ({
      changed: await startJob(ctx.db, viewer(ctx), args.id.id, args.leaseToken, ctx.settings, jobSelectedAt(info, [], "job")?.firsts),
    }),
  }),
  reportJobProgress: t.field({
    type: LeasePayload,
    description: "Reports progress (0 to 1) with any JSON detail, which watchers receive; renews the lease. The holding node.",
    args: {
      id: jobArg(),
      leaseToken: leaseArg(true),
      progress: t.arg.float({ required: true, description: "How much is done, from 0 to 1." }),
      detail: t.arg({ type: "JSON", required: false, description: "Anything the node wants watchers to see: at most 65,536 characters as JSON." }),
    },
    errors: mutationErrors("reportJobProgress", HOLDER_ERRORS),
    resolve: async (_root, args, ctx) => ({
      changed: await reportJobProgress(
        ctx.db,
        viewer(ctx),
        args.id.id,
        { leaseToken: args.leaseToken, progress: args.progress, detail: args.detail },
        ctx.settings,
      ),
    }),
  }),
  renewJobLease: t.field({
    type: LeasePayload,
    description: "Extends the lease of a held job. The holding node.",
    args: { id: jobArg(), leaseToken: leaseArg(true) },
    errors: mutationErrors("renewJobLease", HOLDER_ERRORS),
    resolve: async (_root, args, ctx) => ({
      changed: await renewJobLease(ctx.db, viewer(ctx), args.id.id, args.leaseToken, ctx.settings),
    }),
  }),
  finishJob: t.field({
    type: JobPayload,
    description:
      "Finishes a running job: SUCCEEDED, or FAILED with the error given, its unfinished tasks then CANCELLED; with retryable, a failure goes back to QUEUED after its backoff while the retry policy allows (ATTEMPT_FAILED), its running tasks queued again and its finished ones kept. Success is refused (InvalidTransitionError, naming them) while any task is QUEUED or RUNNING. With fromTasks the tasks decide: SUCCEEDED when every task did, else FAILED naming those that did not. The holding node.",
    args: {
      id: jobArg(),
      leaseToken: leaseArg(true),
      error: t.arg.string({ required: false, description: "Why the job failed (at most 10,000 characters); leave out when it succeeded. Given, even empty, the job failed." }),
      retryable: t.arg.boolean({
        required: false,
        defaultValue: false,
        description:
          "With error: the failure is worth another attempt (a lost connection, a busy service). The job goes back to QUEUED after its backoff if its retry policy retries ERROR and attempts remain; else it FAILED.",
      }),
      fromTasks: t.arg.boolean({
        required: false,
        defaultValue: false,
        description: "Let the job's tasks decide its outcome (every task must have ended); not with error.",
      }),
    },
    errors: mutationErrors("finishJob", HOLDER_ERRORS),
    resolve: async (_root, args, ctx) => ({
      changed: await finishJob(ctx.db, viewer(ctx), args.id.id, {
        leaseToken: args.leaseToken,
        error: args.error,
        retryable: args.retryable,
        fromTasks: args.fromTasks,
      }),
    }),
  }),
  resetJob: t.field({
    type: JobPayload,
    description:
      "Returns a job that is not WAITING or QUEUED to QUEUED (WAITING while a dependency has not succeeded) as if new, clearing node, lease, times, progress and error, and returns every task to QUEUED with its progress, output and times cleared (but the SUCCEEDED ones with keepSucceededTasks); removes its outputs unless keepOutputs. The holding node, the creator or an admin.",
    args: {
      id: jobArg(),
      leaseToken: leaseArg(false),
      keepOutputs: t.arg.boolean({ required: false, defaultValue: false, description: "Keep the job's outputs." }),
      keepSucceededTasks: t.arg.boolean({
        required: false,
        defaultValue: false,
        description: "Keep the tasks that SUCCEEDED as they are, so that the next run does only the rest.",
      }),
      resetDependents: t.arg.boolean({
        required: false,
        defaultValue: false,
        description:
          "Also reset every job that depends on this one (directly or through others) and has started or finished, in the same transaction, so that it runs again after this one; one the caller may not reset refuses the whole.",
      }),
    },
    errors: mutationErrors("resetJob", HOLDER_ERRORS),
    resolve: async (_root, args, ctx) => ({
      changed: await resetJob(ctx.db, viewer(ctx), args.id.id, {
        leaseToken: args.leaseToken,
        keepOutputs: args.keepOutputs,
        keepSucceededTasks: args.keepSucceededTasks,
        resetDependents: args.resetDependents,
      }),
    }),
  }),
  abortJob: t.field({
    type: JobPayload,
    description: "Takes a held job from a node presumed dead and queues it again. Admins only.",
    args: { id: jobArg() },
    errors: mutationErrors("abortJob", OWNER_ERRORS),
    resolve: async (_root, { id }, ctx) => ({ changed: await abortJob(ctx.db, viewer(ctx), id.id) }),
  }),
  cancelJob: t.field({
    type: JobPayload,
    description: "Cancels a queued or held job and every descendant still queued or held. The creator or an admin.",
    args: { id: jobArg(), reason: t.arg.string({ required: false, description: "Why, for the history: at most 10,000 characters." }) },
    errors: mutationErrors("cancelJob", OWNER_ERRORS),
    resolve: async (_root, args, ctx) => ({ changed: await cancelJob(ctx.db, viewer(ctx), args.id.id, args.reason) }),
  }),
  updateJob: t.field({
    type: JobPayload,
    description: "Changes a job's description, priority or tags. The creator or an admin.",
    args: { id: jobArg(), input: t.arg({ type: UpdateJobInput, required: true, description: "The changes." }) },
    errors: mutationErrors("updateJob", [...OWNER_ERRORS, ConflictError]),
    resolve: async (_root, args, ctx) => ({ changed: await updateJob(ctx.db, viewer(ctx), args.id.id, args.input) }),
  }),
  deleteJob: t.field({
    type: JobPayload,
    description: "Soft-deletes a job (UFDL's destroy): hidden from lists, reinstatable. The creator or an admin.",
    args: { id: jobArg() },
    errors: mutationErrors("deleteJob", OWNER_ERRORS),
    resolve: async (_root, { id }, ctx) => ({ changed: await deleteJob(ctx.db, viewer(ctx), id.id) }),
  }),
  reinstateJob: t.field({
    type: JobPayload,
    description: "Restores a soft-deleted job. The creator or an admin.",
    args: { id: jobArg() },
    errors: mutationErrors("reinstateJob", OWNER_ERRORS),
    resolve: async (_root, { id }, ctx) => ({ changed: await reinstateJob(ctx.db, viewer(ctx), id.id) }),
  }),
  hardDeleteJob: t.field({
    type: builder.objectRef<{ id: string; number: bigint }>("HardDeleteJobPayload").implement({
      description: "What was deleted for good.",
      fields: (f) => ({
        deletedJobId: f.field({ type: "ID", description: "The global ID the job had.", resolve: (p) => encodeGlobalId("Job", p.id) }),
        number: f.field({ type: "Long", description: "The number the job had.", resolve: (p) => p.number }),
      }),
    }),
    description: "Deletes a job for good, with its tasks and outputs; its history stays. Admins only.",
    args: { id: jobArg() },
    errors: mutationErrors("hardDeleteJob", [ForbiddenError, ValidationError, NotFoundError]),
    resolve: (_root, { id }, ctx) => hardDeleteJob(ctx.db, viewer(ctx), id.id),
  }),
  };
});
