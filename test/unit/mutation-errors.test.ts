// The members of every mutation's result union, pinned: a change to what a mutation can answer is
// a deliberate edit here, in docs/api.md and for clients (test/api/mutation-refusals.test.ts runs
// each mutation into each of them).
import { readFileSync } from "node:fs";
import path from "node:path";
import { isUnionType } from "graphql";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../src/db/migrate.js";
import { schema } from "../../src/graphql/schema.js";

const HOLDER = ["ForbiddenError", "ValidationError", "NotFoundError", "InvalidTransitionError", "LeaseLostError", "TimeLimitExceededError"];
const OWNER = ["ForbiddenError", "ValidationError", "NotFoundError", "InvalidTransitionError"];

/** Each mutation's errors: its union is these and its payload. */
const MUTATION_ERRORS: Record<string, string[]> = {
  createUser: ["ForbiddenError", "ValidationError"],
  createApiToken: ["ForbiddenError", "ValidationError", "NotFoundError"],
  revokeApiToken: ["ForbiddenError", "ValidationError", "NotFoundError"],
  registerWorkerNode: ["ForbiddenError", "ValidationError"],
  drainNode: ["ForbiddenError", "ValidationError", "NotFoundError"],
  undrainNode: ["ForbiddenError", "ValidationError", "NotFoundError"],
  pauseQueue: ["ForbiddenError", "ValidationError"],
  resumeQueue: ["ForbiddenError", "ValidationError"],
  updateQueue: ["ForbiddenError", "ValidationError"],
  createJobTemplate: ["ForbiddenError", "ValidationError"],
  deleteJobTemplate: ["ForbiddenError", "ValidationError", "NotFoundError"],
  reinstateJobTemplate: ["ForbiddenError", "ValidationError", "NotFoundError"],
  createJob: ["ForbiddenError", "ValidationError"],
  createWorkflow: ["ForbiddenError", "ValidationError"],
  cancelWorkflow: ["ValidationError", "NotFoundError"],
  createSchedule: ["ForbiddenError", "ValidationError"],
  updateSchedule: ["ForbiddenError", "ValidationError", "NotFoundError"],
  pauseSchedule: ["ForbiddenError", "ValidationError", "NotFoundError"],
  resumeSchedule: ["ForbiddenError", "ValidationError", "NotFoundError"],
  deleteSchedule: ["ForbiddenError", "ValidationError", "NotFoundError"],
  acquireJob: OWNER,
  acquireNextJob: ["ForbiddenError", "ValidationError"],
  releaseJob: HOLDER,
  startJob: HOLDER,
  reportJobProgress: HOLDER,
  renewJobLease: HOLDER,
  finishJob: HOLDER,
  resetJob: HOLDER,
  abortJob: OWNER,
  cancelJob: OWNER,
  updateJob: [...OWNER, "ConflictError"],
  deleteJob: OWNER,
  reinstateJob: OWNER,
  hardDeleteJob: ["ForbiddenError", "ValidationError", "NotFoundError"],
  cancelJobs: ["ValidationError"],
  resetJobs: ["ValidationError"],
  deleteJobs: ["ValidationError"],
  addJobOutput: [...HOLDER, "AlreadyExistsError", "TooLargeError", "BusyError"],
  deleteJobOutput: HOLDER,
  addTasks: HOLDER,
  startTask: HOLDER,
  reportTaskProgress: HOLDER,
  finishTask: HOLDER,
  resetTask: HOLDER,
  retryTask: HOLDER,
  appendJobLog: HOLDER,
};

/** Every mutation's errors as the schema has them: the members of its result union that implement Error. */
function schemaErrors(): Record<string, string[]> {
  const fields = schema.getMutationType()!.getFields();
  return Object.fromEntries(
    Object.values(fields).map((field) => {
      const union = field.type.toString().replace(/!$/, "");
      const type = schema.getType(union);
      if (!isUnionType(type)) throw new Error(`${field.name} answers ${union}, not a result union`);
      const errors = type.getTypes().filter((member) => member.getInterfaces().some((i) => i.name === "Error"));
      return [field.name, errors.map((e) => e.name).sort()];
    }),
  );
}

describe("mutation result unions", () => {
  it("hold exactly the errors each mutation can answer with", () => {
    const pinned = Object.fromEntries(Object.entries(MUTATION_ERRORS).map(([name, errors]) => [name, [...errors].sort()]));
    expect(schemaErrors()).toEqual(pinned);
  });

  it("are each a payload and errors, named after the mutation", () => {
    for (const field of Object.values(schema.getMutationType()!.getFields())) {
      const union = schema.getType(field.type.toString().replace(/!$/, ""));
      expect(union?.name).toBe(`${field.name[0]!.toUpperCase()}${field.name.slice(1)}Result`);
      expect(isUnionType(union) && union.getTypes().filter((member) => !member.getInterfaces().some((i) => i.name === "Error"))).toHaveLength(1);
    }
  });

  it("are listed in docs/api.md as the schema has them", () => {
    const api = readFileSync(path.join(projectRoot, "docs", "api.md"), "utf8");
    const table = api.slice(api.indexOf("| mutations | errors |"));
    const documented: Record<string, string[]> = {};
    for (const line of table.split("\n").slice(2)) {
      if (!line.startsWith("|")) break;
      const [mutations, errors] = line.split("|").slice(1, 3).map((cell) => [...cell.matchAll(/`(\w+)`/g)].map((m) => m[1]!));
      for (const mutation of mutations!) documented[mutation] = [...errors!].sort();
    }
    expect(documented).toEqual(schemaErrors());
  });
});
