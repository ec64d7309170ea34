// Adding and removing job outputs. The file arrives as a stream (see src/http/request-bodies.ts)
// and goes straight into storage.
import { AlreadyExistsError, BusyError, ForbiddenError, InvalidTransitionError, LeaseLostError, NotFoundError, TimeLimitExceededError, TooLargeError, ValidationError } from "../../domain/errors.js";
import { addJobOutput, deleteJobOutput, type OutputInfo } from "../../domain/outputs.js";
import { jobColumnsSelected } from "../selection.js";
import { builder } from "../builder.js";
import { mutationErrors } from "../errors.js";
import { encodeGlobalId } from "../global-id.js";
import { Job } from "./job.js";
import { JobOutput } from "./job-output.js";

const AddJobOutputPayload = builder.objectRef<OutputInfo>("AddJobOutputPayload").implement({
  description: "The output added, with its size and SHA-256 as the gateway computed them.",
  fields: (t) => ({
    output: t.field({
      type: JobOutput,
      description: "The output as stored.",
      resolve: async (output, _args, ctx) => (await ctx.loaders.output.load(output.id))!,
    }),
    job: t.field({
      type: Job,
      description: "The job, with its new version.",
      resolve: async (output, _args, ctx, info) => (await ctx.loaders.job(jobColumnsSelected(info)).load(output.jobId))!,
    }),
  }),
});

const DeleteJobOutputPayload = builder.objectRef<OutputInfo>("DeleteJobOutputPayload").implement({
  description: "The output removed (UFDL's delete output answers with its fields) and the job without it.",
  fields: (t) => ({
    deletedOutputId: t.id({ description: "The global ID the output had.", resolve: (output) => encodeGlobalId("JobOutput", output.id) }),
    name: t.exposeString("name", { description: "The output's name." }),
    type: t.exposeString("type", { description: "The output's type." }),
    size: t.field({ type: "Long", description: "The size its content had, in bytes.", resolve: (output) => output.size }),
    sha256: t.exposeString("sha256", { description: "The SHA-256 its content had." }),
    job: t.field({
      type: Job,
      description: "The job, with its new version.",
      resolve: async (output, _args, ctx, info) => (await ctx.loaders.job(jobColumnsSelected(info)).load(output.jobId))!,
    }),
  }),
});

/**
 * Outputs are added and removed by the node holding the job, with its lease, or by an admin at any
 * time: refused to users, for a missing job or output, with a lease that is not the current one of
 * a job still in play, and on a job that finished, was cancelled or is deleted.
 */
const HOLDER_ERRORS = [ForbiddenError, ValidationError, NotFoundError, InvalidTransitionError, LeaseLostError, TimeLimitExceededError];

builder.mutationFields((t) => ({
  addJobOutput: t.field({
    type: AddJobOutputPayload,
    description:
      "Adds an output to a job, its content uploaded as a File (GraphQL multipart request). The content is streamed into storage while its size and SHA-256 are computed; a refused, oversized or interrupted upload stores nothing. The node holding the job, with its lease token, while it holds it; an admin at any time.",
    args: {
      jobId: t.arg.globalID({ required: true, for: [Job], description: "The job's global ID." }),
      name: t.arg.string({ required: true, description: "The output's name: 1 to 200 characters, no / \\ or control characters." }),
      type: t.arg.string({ required: true, description: "The output's type (e.g. json, onnx), with the same rules as the name." }),
      file: t.arg({ type: "File", required: true, description: "The content." }),
      leaseToken: t.arg.string({ required: false, description: "The token of the node's lease (admins need none)." }),
      replace: t.arg.boolean({
        required: false,
        defaultValue: false,
        description: "Replace an existing output with this name and type; otherwise that is an AlreadyExistsError.",
      }),
      contentType: t.arg.string({
        required: false,
        description:
          "The media type to serve the content with, parameters (such as charset) included. By default the file part's media type without its parameters (text/plain for a part without Content-Type, as RFC 7578 says). A blank one is a ValidationError.",
      }),
    },
    errors: mutationErrors("addJobOutput", [...HOLDER_ERRORS, AlreadyExistsError, TooLargeError, BusyError]),
    resolve: async (_root, args, ctx) => {
      const part = await args.file.open();
      return addJobOutput(
        ctx.db,
        ctx.outputs,
        ctx.viewer!,
        {
          jobId: args.jobId.id,
          name: args.name,
          type: args.type,
          contentType: args.contentType ?? part.mimeType,
          replace: args.replace,
          leaseToken: args.leaseToken,
        },
        part.content,
      );
    },
  }),
  deleteJobOutput: t.field({
    type: DeleteJobOutputPayload,
    description: "Removes an output of a job and its content. The node holding the job, with its lease token; an admin at any time.",
    args: {
      jobId: t.arg.globalID({ required: true, for: [Job], description: "The job's global ID." }),
      name: t.arg.string({ required: true, description: "The output's name." }),
      type: t.arg.string({ required: true, description: "The output's type." }),
      leaseToken: t.arg.string({ required: false, description: "The token of the node's lease (admins need none)." }),
    },
    errors: mutationErrors("deleteJobOutput", HOLDER_ERRORS),
    resolve: (_root, args, ctx) =>
      deleteJobOutput(ctx.db, ctx.viewer!, { jobId: args.jobId.id, name: args.name, type: args.type, leaseToken: args.leaseToken }),
  }),
}));
