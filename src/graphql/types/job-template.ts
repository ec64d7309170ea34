import { GraphQLError } from "graphql";
import { countTemplates, getTemplate, getTemplateByName, listTemplates } from "../../domain/templates.js";
import { builder, pageSize } from "../builder.js";
import { Executor } from "./executor.js";
import { JobTemplateFilter, toTemplateFilter } from "./job-template-filter.js";
import { ValueDeclaration, type ValueDeclarationShape } from "./value-declaration.js";

function declarations(stored: unknown): ValueDeclarationShape[] {
  return Array.isArray(stored) ? (stored as ValueDeclarationShape[]) : [];
}

export const JobTemplate = builder.prismaNode("JobTemplate", {
  description:
    "A versioned definition jobs are created from: the executor to run and the inputs and parameters a job supplies. Defining an existing name again makes its next version.",
  id: { field: "id" },
  // node(id) and nodes(ids) answer null for an ID that names no row, as Relay clients expect.
  nullable: true,
  authScopes: { authenticated: true },
  fields: (t) => ({
    name: t.exposeString("name", { description: "The template's name, shared by all its versions." }),
    version: t.exposeInt("version", { description: "1 for the first definition of the name, then counting up." }),
    description: t.exposeString("description", { description: "What jobs of this template do." }),
    executor: t.field({
      type: Executor,
      description: "The executor that runs jobs of this template.",
      select: { executorName: true, executorVersion: true },
      resolve: (tpl) => ({ name: tpl.executorName, version: tpl.executorVersion }),
    }),
    inputs: t.field({
      type: [ValueDeclaration],
      description: "The inputs a job supplies.",
      select: { inputs: true },
      resolve: (tpl) => declarations(tpl.inputs),
    }),
    parameters: t.field({
      type: [ValueDeclaration],
      description: "The parameters a job may set.",
      select: { parameters: true },
      resolve: (tpl) => declarations(tpl.parameters),
    }),
    creator: t.relation("creator", { nullable: true, description: "The user who defined this version." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When this version was defined." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When this version last changed." }),
    deletedAt: t.expose("deletedAt", {
      type: "DateTime",
      nullable: true,
      description: "When this version was soft-deleted; null while it is not.",
    }),
    jobs: t.relatedConnection("jobs", {
      cursor: "id",
      ...pageSize,
      totalCount: true,
      description: "Jobs created from this version, newest first (soft-deleted ones left out).",
      query: () => ({ where: { deletedAt: null }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] }),
    },
      { description: "A page of jobs of the template." },
      { description: "One of the jobs of the template, with its cursor." }),
  }),
});

builder.queryFields((t) => ({
  jobTemplate: t.prismaField({
    type: "JobTemplate",
    nullable: true,
    description:
      "A template by ID, or by name: the given version, or else the latest version that is not deleted. Null when there is none.",
    args: {
      id: t.arg.globalID({ required: false, for: [JobTemplate], description: "The template's global ID." }),
      name: t.arg.string({ required: false, description: "The template's name (instead of id)." }),
      version: t.arg.int({ required: false, description: "The version, with name; the latest when omitted." }),
    },
    resolve: (query, _root, args, ctx) => {
      if ((args.id == null) === (args.name == null)) {
        throw new GraphQLError("jobTemplate takes either id or name", { extensions: { code: "BAD_USER_INPUT" } });
      }
      if (args.id) {
        if (args.version != null) {
          throw new GraphQLError("version goes with name, not with id", { extensions: { code: "BAD_USER_INPUT" } });
        }
        return getTemplate(ctx.db, args.id.id, query);
      }
      return getTemplateByName(ctx.db, args.name!, args.version, query);
    },
  }),
  jobTemplates: t.prismaConnection(
    {
      type: "JobTemplate",
      cursor: "id",
      ...pageSize,
      description: "Templates matching a filter, by name then newest version first.",
      args: { filter: t.arg({ type: JobTemplateFilter, required: false, description: "Which templates." }) },
      totalCount: (_connection, args, ctx) => countTemplates(ctx.db, toTemplateFilter(args.filter)),
      resolve: (query, _root, args, ctx) => listTemplates(ctx.db, { query, filter: toTemplateFilter(args.filter) }),
    },
    { description: "A page of job templates." },
    { description: "A job template in a page." },
  ),
}));
