// node(id) and nodes(ids) read every node type through the request's loaders, in plain SQL in
// Prisma's shape: the ids of one type are one statement however many a request names, where the
// prisma plugin read each through Prisma's client (about 1 ms of the gateway's CPU a row, five
// times a loader's, see docs/performance.md).
import { brandWithType, type OutputType, type SchemaTypes } from "@pothos/core";
import type DataLoader from "dataloader";
import type { GraphQLResolveInfo } from "graphql";
import type { Context } from "./context.js";
import { jobColumnsSelected, joinsSelected, workflowSummarySelected } from "./selection.js";

/** A global ID as the relay plugin decodes it (see global-id.ts). */
export type NodeId = { typename: string; id: string };

/**
 * Each node type's loader by id. A job is read with the columns the fields selected under the
 * node need (the fields of every type's fragment: never fewer than the job's own need).
 */
const LOADERS: Record<string, (ctx: Context, info: GraphQLResolveInfo) => DataLoader<string, object | null>> = {
  Job: (ctx, info) => ctx.loaders.job(jobColumnsSelected(info)),
  Task: (ctx, info) => ctx.loaders.task(joinsSelected("Task", info)),
  JobTemplate: (ctx, info) => ctx.loaders.template(joinsSelected("JobTemplate", info)),
  JobOutput: (ctx) => ctx.loaders.output,
  JobEvent: (ctx, info) => ctx.loaders.event(joinsSelected("JobEvent", info)),
  User: (ctx) => ctx.loaders.user,
  WorkerNode: (ctx) => ctx.loaders.workerNode,
  Workflow: (ctx, info) => ctx.loaders.workflow(workflowSummarySelected(info), joinsSelected("Workflow", info)),
  Schedule: (ctx, info) => ctx.loaders.schedule(joinsSelected("Schedule", info)),
  ApiToken: (ctx, info) => ctx.loaders.token(joinsSelected("ApiToken", info)),
};

/**
 * The objects `ids` name, in their order, null for an id that names none; each branded with its
 * type, which the Node interface resolves by. An id of a type that is not a node type (`Query`,
 * `PageInfo`, `constructor`) names none either: the relay plugin's own resolution would answer it
 * with its internals' words ("Query does not support loading by id") and no code of ours.
 */
export async function loadNodes(ids: readonly NodeId[], ctx: Context, info: GraphQLResolveInfo): Promise<unknown[]> {
  return Promise.all(
    ids.map(async ({ typename, id }) => {
      if (!Object.hasOwn(LOADERS, typename)) return null;
      const row = await LOADERS[typename]!(ctx, info).load(id);
      // A type's name is one of the forms of OutputType; Pothos' own type (the builder's) is not at hand here.
      if (row) brandWithType(row, typename as OutputType<SchemaTypes>);
      return row;
    }),
  );
}
