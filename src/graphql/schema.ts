// Imports every type, then builds the schema. Nothing else belongs here.
import { GraphQLDeferDirective, GraphQLStreamDirective } from "@graphql-tools/utils";
import { isObjectType, specifiedDirectives } from "graphql";
import { builder } from "./builder.js";
import "./errors.js";
import "./scalars.js";
import "./types/api-token.js";
import "./types/bulk-jobs.js";
import "./types/job.js";
import "./types/job-event.js";
import "./types/job-lifecycle.js";
import "./types/job-subscriptions.js";
import "./types/job-output.js";
import "./types/job-output-actions.js";
import "./types/job-template.js";
import "./types/task.js";
import "./types/user.js";
import "./types/viewer.js";
import "./types/worker-node.js";
import "./types/queue.js";
import "./types/queue-actions.js";
import "./types/queue-subscriptions.js";
import "./types/job-logs.js";
import "./types/job-deleted-reason.js";
import "./types/job-finished-reason.js";
import "./types/job-held-reason.js";
import "./types/queue-paused-reason.js";
import "./types/queue-at-limit-reason.js";
import "./types/not-before-reason.js";
import "./types/behind-jobs-reason.js";
import "./types/no-node-online-reason.js";
import "./types/missing-executor-reason.js";
import "./types/requirements-exceed-nodes-reason.js";
import "./types/ready-reason.js";
import "./types/waiting-for-dependencies-reason.js";
import "./types/workflow.js";
import "./types/workflow-actions.js";
import "./types/schedule.js";
import "./types/schedule-actions.js";

// Every operation needs a caller with a valid token; the HTTP and WebSocket layers refuse others
// before execution, and these scopes hold even if a request got past them. Every object is reached
// through a root field, so the object types do not repeat the check: a type's scopes run for each
// field of each of its objects, about 7% of the CPU of a page of 50 jobs with their 1,000 tasks.
// Scopes that depend on the object (a user's email, a token) stay on their fields and types.
builder.queryType({
  description: "Reading jobs, tasks, templates, outputs, worker nodes and the caller itself.",
  authScopes: { authenticated: true },
});
builder.subscriptionType({
  description: "Live updates over graphql-ws or server-sent events; each first sends the current state.",
  authScopes: { authenticated: true },
});
builder.mutationType({
  description: "Changing things. Expected failures come back as Error members of each result union.",
  authScopes: { authenticated: true },
});

// @defer and @stream (incremental delivery, yoga's defer-stream plugin) are part of the schema, so
// that clients generating types from schema.graphql accept documents that use them.
export const schema = builder.toSchema({ sortSchema: true, directives: [...specifiedDirectives, GraphQLDeferDirective, GraphQLStreamDirective] });

// Pothos adds `totalCount` to connections without a way to describe it; it is described here so
// that every field of the API carries a description.
for (const type of Object.values(schema.getTypeMap())) {
  if (isObjectType(type) && type.name.endsWith("Connection")) {
    const totalCount = type.getFields().totalCount;
    if (totalCount && !totalCount.description) {
      totalCount.description = "How many items the whole list holds, across all pages.";
    }
  }
}
