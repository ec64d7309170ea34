// The frontend example (examples/frontend) as its README says to use it: its documents compiled by
// GraphQL Code Generator's client preset into typed documents and a trusted-documents manifest,
// type-checked, and its program run against a gateway that loads the manifest and runs trusted
// documents only, with the token of a user who is not an admin. So every operation it sends
// (a mutation, a page of jobs through the JobConnection fragment, a detail with deferred parts,
// a subscription over graphql-ws) went by hash: the gateway would refuse the text from this user.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../src/db/migrate.js";
import { schema } from "../../src/graphql/schema.js";
import { TrustedDocuments } from "../../src/graphql/trusted-documents.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createTemplate } from "../helpers/fixtures.js";
import { createTestUser, type TestUser } from "../helpers/principals.js";

const example = path.join(projectRoot, "examples", "frontend");
const bin = (name: string) => path.join(projectRoot, "node_modules", ".bin", name);

/** Runs a command in the example's folder; resolves with its output, rejects with it when it fails. */
function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: example });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.on("exit", (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${output}`))));
  });
}

let database: TestDatabase;
let api: TestApi;
let url: string;
let user: TestUser;
let manifest: Record<string, string>;

beforeAll(async () => {
  await run(bin("graphql-codegen"), ["--config", "codegen.ts"]);
  await run(bin("tsc"), ["-p", "tsconfig.json"]);
  const manifestFile = path.join(example, "src", "gql", "persisted-documents.json");
  manifest = JSON.parse(await readFile(manifestFile, "utf8")) as Record<string, string>;
  database = await createTestDatabase();
  api = await createTestApi(database, { trustedDocuments: await TrustedDocuments.load([manifestFile], schema, true) });
  url = `http://127.0.0.1:${(await api.app.start(0, "127.0.0.1")).port}/graphql`;
  user = await createTestUser(database.db);
  // A template that needs no inputs, so that the example's job is valid as it stands.
  const template = await createTemplate(database.db, "example");
  await database.db.jobTemplate.update({ where: { id: template.id }, data: { inputs: [] } });
}, 120_000);

afterAll(async () => {
  await api.app.stop();
});

describe("the frontend example", () => {
  it("compiles its four operations into the manifest", () => {
    const names = Object.values(manifest).map((text) => /(?:query|mutation|subscription) (\w+)/.exec(text)![1]);
    expect(names.sort()).toEqual(["CreateJob", "JobDetail", "JobProgress", "JobsPage"]);
    for (const hash of Object.keys(manifest)) expect(hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("runs against a gateway of trusted documents only, sending each by hash", async () => {
    const output = await run(process.execPath, ["--import", "tsx", "src/main.ts", url, user.secret, "example"]);
    const lines = Object.fromEntries(
      output
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { what: string; value: unknown })
        .map(({ what, value }) => [what, value]),
    ) as {
      created: { id: string; status: string };
      jobs: { totalCount: number; edges: Array<{ node: { id: string } }> };
      detail: { parts: number; first: { job: Record<string, unknown> }; last: { job: { id: string; tasks: { totalCount: number }; events: { edges: Array<{ node: { kind: string } }> } } } };
      progress: { jobProgress: { progress: number; status: string } };
    };
    expect(lines.created.status).toBe("QUEUED");
    expect(lines.jobs.totalCount).toBe(1);
    expect(lines.jobs.edges.map((e) => e.node.id)).toEqual([lines.created.id]);
    // The job came first, its tasks and events in later parts.
    expect(lines.detail.parts).toBeGreaterThanOrEqual(2);
    expect(lines.detail.first.job).not.toHaveProperty("tasks");
    expect(lines.detail.last.job).toMatchObject({ id: lines.created.id, tasks: { totalCount: 0 } });
    expect(lines.detail.last.job.events.edges.map((e) => e.node.kind)).toEqual(["CREATED"]);
    expect(lines.progress).toEqual({ jobProgress: { progress: 0, status: "QUEUED" } });
  }, 60_000);
});
