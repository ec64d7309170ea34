// The commands an operator starts with: migrate, tokens for users and nodes, templates from a file;
// and how every client command fails when it cannot talk to the gateway.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestUser } from "../helpers/principals.js";
import { cli, startGateway, type Gateway } from "./cli.js";

let gateway: Gateway;
const folder = mkdtempSync(path.join(os.tmpdir(), "jobgraph-cli-admin-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

beforeAll(async () => {
  gateway = await startGateway();
});

const asAdmin = () => ({ JOBGRAPH_URL: gateway.url, JOBGRAPH_TOKEN: gateway.api.admin.secret });

describe("jobgraph migrate", () => {
  it("applies the migrations to DATABASE_URL: an up-to-date database stays as it is", async () => {
    const { code, stdout } = await cli(["migrate", "--no-generate"], { DATABASE_URL: gateway.database.url });
    expect(stdout).toContain("jobgraph: the database is up to date");
    expect(code).toBe(0);
  });
});

describe("jobgraph token create", () => {
  it("creates a user's token whose secret, printed alone on stdout, works", async () => {
    const alice = await createTestUser(gateway.database.db, "USER");
    const created = await cli(["token", "create", "--user", encodeGlobalId("User", alice.id), "--name", "laptop", "--expires", "30d"], asAdmin());
    expect(created.code).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^jgu_\S+$/);
    expect(created.stderr).toContain(`for user ${alice.name}`);
    const token = await gateway.database.db.apiToken.findFirstOrThrow({ where: { userId: alice.id, name: "laptop" } });
    expect(token.expiresAt!.getTime() - Date.now()).toBeGreaterThan(29 * 86_400_000);

    const listed = await cli(["jobs", "list"], { JOBGRAPH_URL: gateway.url, JOBGRAPH_TOKEN: secret });
    expect(listed.code).toBe(0);
  });

  it("finds the user a --user names", async () => {
    const carol = await createTestUser(gateway.database.db, "USER", "carol-cli");
    const { code, stdout, stderr } = await cli(["token", "create", "--user", "carol-cli", "--name", "ci"], asAdmin());
    expect(code).toBe(0);
    expect(stderr).toContain("for user carol-cli");
    const token = await gateway.database.db.apiToken.findFirstOrThrow({ where: { userId: carol.id, name: "ci" } });
    expect(token.prefix).toBe(stdout.trim().slice(0, 12));
  });

  it("takes the caller's own name for --user, and prints the whole payload with --json", async () => {
    const { code, stdout } = await cli(["token", "create", "--user", gateway.api.admin.name, "--json"], asAdmin());
    expect(code).toBe(0);
    const payload = JSON.parse(stdout) as { secret: string; token: { name: string; expiresAt: string | null; user: { name: string } } };
    expect(payload.secret).toMatch(/^jgu_/);
    expect(payload.token).toMatchObject({ name: "created with jobgraph token create", expiresAt: null, user: { name: gateway.api.admin.name } });
  });

  it("registers a worker node whose token works", async () => {
    const { code, stdout } = await cli(["token", "create", "--node", "cli-gpu-01", "--executor", "pytorch", "--cpu", "8"], asAdmin());
    expect(code).toBe(0);
    const secret = stdout.trim();
    expect(secret).toMatch(/^jgn_\S+$/);
    expect(await gateway.database.db.workerNode.findUniqueOrThrow({ where: { name: "cli-gpu-01" } })).toMatchObject({ executors: ["pytorch"], cpu: 8 });
    const listed = await cli(["jobs", "list", "--json"], { JOBGRAPH_URL: gateway.url, JOBGRAPH_TOKEN: secret });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([]);
  });

  it("prints the refusal's typename and message: a user may not create tokens", async () => {
    const bob = await createTestUser(gateway.database.db, "USER");
    const { code, stdout, stderr } = await cli(["token", "create", "--node", "not-allowed"], { JOBGRAPH_URL: gateway.url, JOBGRAPH_TOKEN: bob.secret });
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^jobgraph: the worker node was not registered: ForbiddenError: .+\n$/);
  });

  it("says so when no user has the name, and tells a non-admin that names are looked up by admins", async () => {
    const missing = await cli(["token", "create", "--user", "nobody-by-that-name"], asAdmin());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('jobgraph: there is no user named "nobody-by-that-name" (names match exactly, case included)\n');
    const dave = await createTestUser(gateway.database.db, "USER");
    const refused = await cli(["token", "create", "--user", dave.name], { JOBGRAPH_URL: gateway.url, JOBGRAPH_TOKEN: dave.secret });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe("jobgraph: only an admin may look users up by name, and create their tokens\n");
  });
});

describe("jobgraph templates apply", () => {
  const file = path.join(folder, "templates.json");
  const template = {
    name: "cli-train",
    description: "Trains a model",
    executor: { name: "pytorch", version: "2.3" },
    inputs: [{ name: "dataset", types: ["string"], required: true, help: "Dataset URI" }],
    parameters: [{ name: "epochs", types: ["int"], default: 10 }],
  };
  const other = { name: "cli-report", executor: { name: "sh" } };

  it("creates the templates, then finds them unchanged, then makes a new version of the one that changed", async () => {
    writeFileSync(file, JSON.stringify([template, other]));
    const first = await cli(["templates", "apply", file], asAdmin());
    expect(first.code).toBe(0);
    expect(first.stdout).toBe("cli-train: created version 1\ncli-report: created version 1\n");

    const again = await cli(["templates", "apply", file], asAdmin());
    expect(again.code).toBe(0);
    expect(again.stdout).toBe("cli-train: unchanged, version 1\ncli-report: unchanged, version 1\n");
    expect(await gateway.database.db.jobTemplate.count({ where: { name: { in: ["cli-train", "cli-report"] } } })).toBe(2);

    writeFileSync(file, JSON.stringify([{ ...template, parameters: [{ name: "epochs", types: ["int"], default: 20 }] }, other]));
    const changed = await cli(["templates", "apply", file, "--json"], asAdmin());
    expect(changed.code).toBe(0);
    expect(JSON.parse(changed.stdout)).toMatchObject([
      { name: "cli-train", outcome: "created", version: 2 },
      { name: "cli-report", outcome: "unchanged", version: 1 },
    ]);
    const latest = await gateway.database.db.jobTemplate.findFirstOrThrow({ where: { name: "cli-train" }, orderBy: { version: "desc" } });
    expect(latest).toMatchObject({ version: 2, parameters: [{ name: "epochs", types: ["int"], default: 20 }] });
  });

  it("reports each refused template with the path of every problem, and exits with 1", async () => {
    const bad = path.join(folder, "bad.json");
    writeFileSync(bad, JSON.stringify({ name: "cli-bad", executor: { name: "sh" }, inputs: [{ name: "9lives", types: ["colour"] }] }));
    const { code, stdout, stderr } = await cli(["templates", "apply", bad], asAdmin());
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain("cli-bad: ValidationError:");
    expect(stderr).toContain("inputs.0.name:");
    expect(stderr).toContain("inputs.0.types:");
  });

  it("refuses a file that does not hold templates before sending anything", async () => {
    const wrong = path.join(folder, "wrong.json");
    writeFileSync(wrong, JSON.stringify([{ name: "cli-wrong", executor: { name: "sh" }, input: [] }]));
    const { code, stderr } = await cli(["templates", "apply", wrong], asAdmin());
    expect(code).toBe(1);
    expect(stderr).toContain('[0]: unknown field "input"');
    expect(await gateway.database.db.jobTemplate.count({ where: { name: "cli-wrong" } })).toBe(0);
  });
});

describe("connecting", () => {
  it("says in one line that the gateway cannot be reached, with exit code 3", async () => {
    const { code, stdout, stderr } = await cli(["jobs", "list"], { JOBGRAPH_URL: "http://127.0.0.1:9/graphql", JOBGRAPH_TOKEN: "jgu_whatever" });
    expect(code).toBe(3);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^jobgraph: cannot reach http:\/\/127\.0\.0\.1:9\/graphql \(.+\)\n$/);
  });

  it("says in one line that the token was refused, with exit code 3", async () => {
    const { code, stderr } = await cli(["jobs", "list", "--token", "jgu_not-a-token"], { JOBGRAPH_URL: gateway.url });
    expect(code).toBe(3);
    expect(stderr).toMatch(/^jobgraph: the server refused the token \(HTTP 401\): .+\n$/);
  });

  it("uses the development admin token for a gateway on localhost, and asks for a token when there is none", async () => {
    const dataDir = mkdtempSync(path.join(folder, "data-"));
    chmodSync(dataDir, 0o700);
    const env = { JOBGRAPH_URL: gateway.url, JOBGRAPH_DATA_DIR: dataDir };
    const without = await cli(["jobs", "list"], env);
    expect(without.code).toBe(2);
    expect(without.stderr).toContain("no token: pass --token or set JOBGRAPH_TOKEN");

    writeFileSync(path.join(dataDir, "admin-token"), `${gateway.api.admin.secret}\n`);
    const withFile = await cli(["token", "create", "--user", gateway.api.admin.name], env);
    expect(withFile.code).toBe(0);
    expect(withFile.stdout).toMatch(/^jgu_/);
  });
});
