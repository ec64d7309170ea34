import { downloadPath } from "../../http/downloads.js";
import { builder } from "../builder.js";
import { Job } from "./job.js";
import { jobColumnsSelected } from "../selection.js";
import { joinedOr } from "../loaders.js";
import type { JobRow } from "../../domain/job-reads.js";
import { JobRef } from "../model-refs.js";

export const JobOutput = builder.prismaNode("JobOutput", {
  description:
    "A named, typed result of a job (UFDL's job output): its info, and where to download its content; (job, name, type) is unique.",
  id: { field: "id" },
  // node(id) and nodes(ids) answer null for an ID that names no row, as Relay clients expect.
  nullable: true,
  fields: (t) => ({
    job: t.field({
      type: JobRef,
      description: "The job that produced the output.",
      // Handed down by the job whose page of outputs this is, when it holds what is selected (Job.outputs).
      resolve: async (output, _args, ctx, info) => (await joinedOr<JobRow>(output, "job", () => ctx.loaders.job(jobColumnsSelected(info)).load(output.jobId)))!,
    }),
    name: t.exposeString("name", { description: "The output's name." }),
    type: t.exposeString("type", { description: "The output's type, e.g. json or onnx." }),
    size: t.expose("size", { type: "Long", description: "Size of the content in bytes." }),
    sha256: t.exposeString("sha256", { description: "SHA-256 of the content, in lowercase hex; also the download's ETag." }),
    contentType: t.exposeString("contentType", { description: "The media type the content is served with." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the output was added." }),
    downloadUrl: t.string({
      description:
        "Where to GET the content (with the same Authorization header as the API), relative to the gateway's address. It supports HEAD, Range and conditional requests.",
      resolve: (output) => downloadPath(output.id),
    }),
  }),
});

builder.queryFields((t) => ({
  jobOutput: t.field({
    type: JobOutput,
    nullable: true,
    description: "An output of a job by its name and type (UFDL's get output info); null when there is none.",
    args: {
      jobId: t.arg.globalID({ required: true, for: [Job], description: "The job's global ID." }),
      name: t.arg.string({ required: true, description: "The output's name." }),
      type: t.arg.string({ required: true, description: "The output's type." }),
    },
    resolve: (_root, args, ctx) => ctx.loaders.outputByKey.load({ jobId: args.jobId.id, name: args.name, type: args.type }),
  }),
}));
