// Mutations sent as raw documents, for tests that run many mutations into their refusals: each
// answers the root field's result (its __typename, and message, from and action of an error),
// and fails the test on any GraphQL error, which is how a refusal missing from a mutation's
// result union would come back (masked as an unexpected error).
import { isUnionType } from "graphql";
import { expect } from "vitest";
import type { Db } from "../../src/db/client.js";
import type { JobStatus } from "../../src/db/generated/prisma/enums.js";
import { schema } from "../../src/graphql/schema.js";
import type { TestApi } from "./api.js";
import { multipartUpload } from "./uploads.js";

export type MutationResult = { __typename: string; message?: string; from?: string; action?: string };

/** The result's type and message; an InvalidTransitionError's from and action, where the union holds it (a spread on a type it does not hold would not validate). */
function selection(field: string): string {
  const union = schema.getType(schema.getMutationType()!.getFields()[field]!.type.toString().replace(/!$/, ""));
  const transitions = isUnionType(union) && union.getTypes().some((member) => member.name === "InvalidTransitionError");
  return `{ __typename ... on Error { message }${transitions ? " ... on InvalidTransitionError { from action }" : ""} }`;
}

/** A mutation: its field, and arguments as GraphQL text; `file` sends the content of a File argument `file` as a multipart upload. */
export type Call = { field: string; args: string; file?: Uint8Array };

export async function mutate(api: TestApi, token: string, call: Call): Promise<MutationResult> {
  const fileVariable = call.file ? "($file: File!)" : "";
  const args = [call.args, call.file ? "file: $file" : ""].filter(Boolean).join(", ");
  const query = `mutation${fileVariable} { result: ${call.field}${args ? `(${args})` : ""} ${selection(call.field)} }`;
  let response: Response;
  if (call.file) {
    const { contentType, body } = multipartUpload({ query, variables: { file: null } }, call.file);
    response = await api.fetch(
      "/graphql",
      { method: "POST", headers: { "content-type": contentType, "graphql-preflight": "1" }, body, duplex: "half" } as RequestInit,
      { token },
    );
  } else {
    response = await api.fetch(
      "/graphql",
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) },
      { token },
    );
  }
  const body = (await response.json()) as { data?: { result: MutationResult } | null; errors?: unknown };
  expect(body.errors, `${call.field}(${call.args}) answered with errors`).toBeUndefined();
  return body.data!.result;
}

/** What a refusal must leave as it was: the job row (its version) and everything hanging off it. */
export async function jobState(db: Db, jobId: string) {
  return {
    job: await db.job.findUnique({ where: { id: jobId } }),
    events: await db.jobEvent.count({ where: { jobId } }),
    tasks: await db.task.findMany({ where: { jobId }, orderBy: { qsequence: "asc" } }),
    outputs: await db.jobOutput.count({ where: { jobId } }),
  };
}

export const FINISHED: readonly JobStatus[] = ["SUCCEEDED", "FAILED", "CANCELLED"];
export const IN_PLAY: readonly JobStatus[] = ["QUEUED", "ACQUIRED", "RUNNING"];
