import { builder } from "../builder.js";

export const JobOutput = builder.prismaNode("JobOutput", {
  description: "A named, typed result of a job (UFDL's job output): its metadata; (job, name, type) is unique.",
  id: { field: "id" },
  // node(id) and nodes(ids) answer null for an ID that names no row, as Relay clients expect.
  nullable: true,
  authScopes: { authenticated: true },
  fields: (t) => ({
    job: t.relation("job", { description: "The job that produced the output." }),
    name: t.exposeString("name", { description: "The output's name." }),
    type: t.exposeString("type", { description: "The output's type, e.g. json or onnx." }),
    size: t.expose("size", { type: "Long", description: "Size of the content in bytes." }),
    sha256: t.exposeString("sha256", { description: "SHA-256 of the content, in lowercase hex." }),
    contentType: t.exposeString("contentType", { description: "The content's media type." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the output was added." }),
  }),
});
