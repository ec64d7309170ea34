// Defining templates and creating jobs from them: versions, validation of every value type,
// defaults, idempotency keys and Arvados' find-or-create.
import { beforeAll, describe, expect, it } from "vitest";
import { decodeGlobalId, encodeGlobalId } from "../../src/graphql/global-id.js";
import { graphql } from "../gql/index.js";
import type { CreateJobInput } from "../gql/graphql.js";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createTestNode, createTestUser, type TestUser } from "../helpers/principals.js";

const CreateTemplate = graphql(`
  mutation CreateTemplate($input: CreateJobTemplateInput!) {
    createJobTemplate(input: $input) {
      __typename
      ... on JobTemplatePayload { jobTemplate { id name version executor { name version } inputs { name types required default } } }
      ... on ValidationError { message fieldErrors { path message } }
      ... on Error { message }
    }
  }
`);

const DeleteTemplate = graphql(`
  mutation DeleteTemplate($id: ID!) {
    deleteJobTemplate(id: $id) { __typename ... on JobTemplatePayload { jobTemplate { deletedAt } } ... on Error { message } }
  }
`);

const ReinstateTemplate = graphql(`
  mutation ReinstateTemplate($id: ID!) {
    reinstateJobTemplate(id: $id) { __typename ... on JobTemplatePayload { jobTemplate { deletedAt } } ... on Error { message } }
  }
`);

const CreateJob = graphql(`
  mutation CreateJob($input: CreateJobInput!) {
    createJob(input: $input) {
      __typename
      ... on CreateJobPayload {
        outcome reused reason
        passedOver { reason job { id } }
        job {
          id status queue priority tags maxAttempts nondeterministic fingerprint version
          template { name version }
          parent { id }
          creator { name }
          inputValues { name type value }
          parameterValues { name type value }
          events { edges { node { kind toStatus jobVersion } } }
        }
      }
      ... on ValidationError { message fieldErrors { path message } }
      ... on Error { message }
    }
  }
`);

const declarations = {
  inputs: [
    { name: "text", types: ["string"], required: true, help: "Some text" },
    { name: "count", types: ["int"], required: true },
    { name: "ratio", types: ["float"] },
    { name: "flag", types: ["bool"] },
    { name: "config", types: ["json"] },
    { name: "model", types: ["output"] },
    { name: "either", types: ["int", "string"] },
    { name: "number", types: ["int", "float"] },
  ],
  parameters: [
    { name: "epochs", types: ["int"], default: 10 },
    { name: "lr", types: ["float"], default: 0.01 },
  ],
};

describe("templates and job creation", () => {
  let database: TestDatabase;
  let api: TestApi;
  let alice: TestUser;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    alice = await createTestUser(database.db, "USER", "alice");
  });

  const define = (name: string, extra: object = {}, token = alice.secret) =>
    api.query(CreateTemplate, { input: { name, executor: { name: "python", version: "3.12" }, ...declarations, ...extra } }, { token });

  const create = async (input: CreateJobInput, token = alice.secret) => (await api.query(CreateJob, { input }, { token })).createJob;

  async function created(input: CreateJobInput, token = alice.secret) {
    const result = await create(input, token);
    if (result.__typename !== "CreateJobPayload") throw new Error(JSON.stringify(result));
    return result;
  }

  const valid = { text: "hi", count: 3 };
  const values = (v: Record<string, unknown>) => Object.entries(v).map(([name, value]) => ({ name, value }));

  describe("templates", () => {
    it("gives a name its next version on every definition", async () => {
      const v1 = await define("train");
      const v2 = await define("train", { executor: { name: "python", version: "3.13" } });
      expect(v1.createJobTemplate).toMatchObject({ jobTemplate: { name: "train", version: 1 } });
      expect(v2.createJobTemplate).toMatchObject({ jobTemplate: { name: "train", version: 2, executor: { version: "3.13" } } });
    });

    it("gives concurrent definitions of one name distinct versions, however many race", async () => {
      for (const [name, racing] of [["race", 8], ["crowd", 30]] as const) {
        const results = await Promise.all(Array.from({ length: racing }, () => define(name)));
        const versions = results.map((r) => (r.createJobTemplate.__typename === "JobTemplatePayload" ? r.createJobTemplate.jobTemplate.version : r.createJobTemplate.__typename));
        expect(versions.sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: racing }, (_, i) => i + 1));
      }
    });

    it("has its versions defined by the creator of its first, or an admin: another user cannot replace what jobs by name run", async () => {
      await define("owned");
      const bob = await createTestUser(database.db);
      const taken = await define("owned", { executor: { name: "bobs-executor" } }, bob.secret);
      expect(taken.createJobTemplate).toMatchObject({ __typename: "ForbiddenError", message: expect.stringContaining("another user's") });
      expect(await database.db.jobTemplate.count({ where: { name: "owned" } })).toBe(1);
      // Neither after the name's first version was deleted: its versions are still the name's.
      const first = await database.db.jobTemplate.findFirstOrThrow({ where: { name: "owned" } });
      await database.db.jobTemplate.update({ where: { id: first.id }, data: { deletedAt: new Date() } });
      expect((await define("owned", {}, bob.secret)).createJobTemplate.__typename).toBe("ForbiddenError");
      expect((await define("owned", {}, api.admin.secret)).createJobTemplate).toMatchObject({ jobTemplate: { version: 2 } });
      expect((await define("owned")).createJobTemplate).toMatchObject({ jobTemplate: { version: 3 } });
      expect((await define("bobs-own", {}, bob.secret)).createJobTemplate).toMatchObject({ jobTemplate: { version: 1 } });
    });

    it("reports every problem of a definition at once", async () => {
      const { createJobTemplate } = await api.query(CreateTemplate, {
        input: {
          name: "",
          executor: { name: "" },
          inputs: [
            { name: "1bad", types: ["string"] },
            { name: "dup", types: ["float"], default: "nope" },
            { name: "dup", types: ["complex"] },
            { name: "req", types: ["int"], required: true, default: 1 },
            { name: "odd", types: ["constructor", "int"], default: "x" },
          ],
          parameters: [{ name: "none", types: [] }],
        },
      });
      expect(createJobTemplate.__typename).toBe("ValidationError");
      if (createJobTemplate.__typename !== "ValidationError") return;
      expect(createJobTemplate.fieldErrors.map((e) => e.path.join("."))).toEqual([
        "name",
        "executor.name",
        "inputs.0.name",
        "inputs.1.default",
        "inputs.2.name",
        "inputs.2.types",
        "inputs.3.default",
        "inputs.4.types",
        "inputs.4.default",
        "parameters.0.types",
      ]);
      // A type that is none of the value types is named as it was given, whatever its name.
      expect(createJobTemplate.fieldErrors.find((e) => e.path.join(".") === "inputs.4.default")?.message).toBe("must be constructor or an integer");
    });

    it("takes at most 100 inputs and 100 parameters, help of 1,000 characters and defaults of 64 KiB as JSON, each job storing its defaults", async () => {
      const declared = (n: number, extra: object = {}) => Array.from({ length: n }, (_, i) => ({ name: `v${i}`, types: ["string"], ...extra }));
      const refused = await api.query(CreateTemplate, {
        input: {
          name: "too-many",
          executor: { name: "python" },
          inputs: declared(101),
          parameters: [
            { name: "long_help", types: ["string"], help: "h".repeat(1001) },
            { name: "big_default", types: ["json"], default: { blob: "x".repeat(65_536) } },
          ],
        },
      });
      expect(refused.createJobTemplate).toMatchObject({
        __typename: "ValidationError",
        fieldErrors: [
          { path: ["inputs"], message: "at most 100 inputs" },
          { path: ["parameters", "0", "help"], message: "must be at most 1000 characters" },
          { path: ["parameters", "1", "default"], message: "must be at most 65536 characters as JSON" },
        ],
      });
      expect(await database.db.jobTemplate.count({ where: { name: "too-many" } })).toBe(0);
      const most = await api.query(CreateTemplate, {
        input: {
          name: "the-most",
          executor: { name: "python" },
          inputs: declared(100),
          parameters: [{ name: "p", types: ["string"], help: "h".repeat(1000), default: "d".repeat(65_534) }],
        },
      });
      expect(most.createJobTemplate).toMatchObject({ __typename: "JobTemplatePayload" });
    });

    it("is defined by users and admins, not by worker nodes", async () => {
      const node = await createTestNode(database.db);
      expect((await define("by-node", {}, node.secret)).createJobTemplate.__typename).toBe("ForbiddenError");
      expect((await define("by-admin", {}, api.admin.secret)).createJobTemplate.__typename).toBe("JobTemplatePayload");
    });

    it("is soft-deleted and reinstated by its creator or an admin; a deleted version makes no new jobs", async () => {
      const { createJobTemplate } = await define("retire");
      if (createJobTemplate.__typename !== "JobTemplatePayload") throw new Error();
      const id = createJobTemplate.jobTemplate.id;
      const bob = await createTestUser(database.db);
      expect((await api.query(DeleteTemplate, { id }, { token: bob.secret })).deleteJobTemplate.__typename).toBe("ForbiddenError");
      expect((await api.query(DeleteTemplate, { id }, { token: alice.secret })).deleteJobTemplate).toMatchObject({
        jobTemplate: { deletedAt: expect.any(String) },
      });
      const refused = await create({ template: id, inputs: values(valid) });
      expect(refused).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ path: ["template"], message: 'version 1 of "retire" is deleted' }] });
      expect((await api.query(ReinstateTemplate, { id })).reinstateJobTemplate).toMatchObject({ jobTemplate: { deletedAt: null } });
      expect((await create({ template: id, inputs: values(valid) })).__typename).toBe("CreateJobPayload");
    });
  });

  describe("createJob", () => {
    beforeAll(async () => {
      await define("calc");
    });

    it("creates a job from the latest version by name, with defaults applied and a CREATED event", async () => {
      const { job, outcome, reused } = await created({
        templateName: "calc",
        inputs: values({ ...valid, ratio: 0.5, flag: true, config: { a: [1] }, either: "x" }),
        parameters: [{ name: "epochs", value: 3 }],
        queue: "gpu",
        priority: 5,
        tags: ["nightly"],
        maxAttempts: 2,
      });
      expect(outcome).toBe("CREATED");
      expect(reused).toBe(false);
      expect(job).toMatchObject({
        status: "QUEUED",
        queue: "gpu",
        priority: 5,
        tags: ["nightly"],
        maxAttempts: 2,
        version: 1,
        template: { name: "calc", version: 1 },
        creator: { name: "alice" },
        events: { edges: [{ node: { kind: "CREATED", toStatus: "QUEUED", jobVersion: 1 } }] },
      });
      expect(job.inputValues).toEqual([
        { name: "config", type: "json", value: { a: [1] } },
        { name: "count", type: "int", value: 3 },
        { name: "either", type: "string", value: "x" },
        { name: "flag", type: "bool", value: true },
        { name: "ratio", type: "float", value: 0.5 },
        { name: "text", type: "string", value: "hi" },
      ]);
      expect(job.parameterValues).toEqual([
        { name: "epochs", type: "int", value: 3 },
        { name: "lr", type: "float", value: 0.01 },
      ]);
      expect(job.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    });

    it("takes values named as every object's own names are (__proto__, constructor, toString), and refuses one given twice", async () => {
      // Names an object inherits, or takes as its prototype when assigned: any text is a name.
      const names = ["__proto__", "constructor", "toString", "hasOwnProperty"];
      const defined = await define("inherited", {
        inputs: names.map((name) => ({ name, types: ["string"], required: name !== "hasOwnProperty" })),
        parameters: [{ name: "valueOf", types: ["int"], default: 7 }, { name: "isPrototypeOf", types: ["json"] }],
      });
      expect(defined.createJobTemplate).toMatchObject({ __typename: "JobTemplatePayload" });
      const given = [
        { name: "__proto__", value: "a" },
        { name: "constructor", value: "b" },
        { name: "toString", value: "c" },
      ];
      const { job } = await created({ templateName: "inherited", inputs: given, parameters: [{ name: "isPrototypeOf", value: { nested: true } }] });
      expect(job.inputValues).toEqual(given.map((v) => ({ ...v, type: "string" })));
      expect(job.parameterValues).toEqual([
        { name: "isPrototypeOf", type: "json", value: { nested: true } },
        { name: "valueOf", type: "int", value: 7 },
      ]);
      // Stored as given: the same values again make the same fingerprint, other values another.
      const again = await created({ templateName: "inherited", inputs: [...given].reverse(), parameters: [{ name: "isPrototypeOf", value: { nested: true } }] });
      expect(again.job.fingerprint).toBe(job.fingerprint);
      const other = await created({ templateName: "inherited", inputs: [{ ...given[0]!, value: "z" }, ...given.slice(1)], parameters: [{ name: "isPrototypeOf", value: { nested: true } }] });
      expect(other.job.fingerprint).not.toBe(job.fingerprint);
      // Missing and repeated names are still found.
      expect(await create({ templateName: "inherited", inputs: [given[1]!, given[1]!] })).toMatchObject({
        __typename: "ValidationError",
        fieldErrors: [
          { path: ["inputs", "1", "name"], message: '"constructor" is given twice' },
          { path: ["inputs"], message: '"__proto__" is required' },
          { path: ["inputs"], message: '"toString" is required' },
        ],
      });
    });

    it("reports every invalid value at once, for every type, and writes nothing", async () => {
      const before = await database.db.job.count();
      const result = await create({
        templateName: "calc",
        inputs: [
          { name: "text", value: 1 },
          { name: "count", value: 1.5 },
          { name: "ratio", value: "x" },
          { name: "flag", value: "yes" },
          { name: "model", value: { job: "not-a-uuid", name: "m", type: "onnx" } },
          { name: "either", value: true },
          { name: "number", value: 2 },
          { name: "unknown", value: 1 },
          { name: "config", type: "int", value: 1 },
        ],
        parameters: [{ name: "epochs", value: "ten" }],
        queue: "",
        maxAttempts: 0,
        tags: [""],
      });
      expect(result.__typename).toBe("ValidationError");
      if (result.__typename !== "ValidationError") return;
      expect(result.fieldErrors.map((e) => `${e.path.join(".")}: ${e.message}`)).toEqual([
        "queue: must be 1 to 200 printable characters",
        "maxAttempts: must be between 1 and 100",
        "tags.0: must be 1 to 100 printable characters",
        "inputs.0.value: must be a string",
        "inputs.1.value: must be an integer",
        "inputs.2.value: must be a number",
        "inputs.3.value: must be true or false",
        'inputs.4.value: must be an output reference: {"output": <output id>}, {"job": <job id>, "name": ..., "type": ...}, or in a workflow {"after": <key>, "name": ..., "type": ...}',
        "inputs.5.value: must be an integer or a string",
        "inputs.6.type: say which of int, float the value is",
        'inputs.7.name: "unknown" is not declared by the template',
        "inputs.8.type: must be one of json",
        "parameters.0.value: must be an integer",
      ]);
      expect(await database.db.job.count()).toBe(before);
      const missing = await create({ templateName: "calc", inputs: values({ text: "x" }) });
      expect(missing).toMatchObject({ fieldErrors: [{ path: ["inputs"], message: '"count" is required' }] });
    });

    it("accepts an output reference only to an output that exists, by the IDs the API shows, and shows it by them", async () => {
      const { job } = await created({ templateName: "calc", inputs: values(valid) });
      const producer = job.id;
      const producerId = Buffer.from(producer, "base64").toString().split(":")[1]!;
      const byKey = { job: producer, name: "model.onnx", type: "onnx" };
      const missing = await create({ templateName: "calc", inputs: [...values(valid), { name: "model", value: byKey }] });
      expect(missing).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ path: ["inputs", "model"], message: 'the job has no output "model.onnx" of type "onnx" (to wait for it, put the job in dependsOn)' }] });
      const output = await database.db.jobOutput.create({ data: { jobId: producerId, name: "model.onnx", type: "onnx", sha256: "0".repeat(64) } });
      const outputId = Buffer.from(`JobOutput:${output.id}`).toString("base64");
      const shown = { job: producer, name: "model.onnx", type: "onnx", output: outputId };

      // By the job's global ID, name and type; by the output's global ID alone; by raw UUIDs, as before.
      for (const value of [byKey, { output: outputId }, { job: producerId, name: "model.onnx", type: "onnx" }, { output: output.id }]) {
        const ok = await created({ templateName: "calc", inputs: [...values(valid), { name: "model", value }] });
        expect(ok.job.inputValues, JSON.stringify(value)).toContainEqual({ name: "model", type: "output", value: shown });
      }
      // However given, the same reference makes the same job for reuse.
      const first = await created({ templateName: "calc", inputs: [...values(valid), { name: "model", value: byKey }], findOrCreate: true });
      const again = await created({ templateName: "calc", inputs: [...values(valid), { name: "model", value: { output: outputId } }], findOrCreate: true });
      expect(again.job.id).toBe(first.job.id);

      // Another type's ID, an ID of nothing, a job and an output that disagree: refused, naming the input.
      const task = Buffer.from(`Task:${output.id}`).toString("base64");
      const nobody = Buffer.from("JobOutput:00000000-0000-4000-8000-000000000000").toString("base64");
      for (const [value, message] of [
        [{ output: task }, 'must be an output reference: {"output": <output id>}, {"job": <job id>, "name": ..., "type": ...}, or in a workflow {"after": <key>, "name": ..., "type": ...}'],
        [{ output: nobody }, "no such output"],
        [{ ...byKey, output: nobody }, 'the job has no output "model.onnx" of type "onnx" with that id'],
      ] as const) {
        const refused = await create({ templateName: "calc", inputs: [...values(valid), { name: "model", value }] });
        expect(refused, JSON.stringify(value)).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ message }] });
      }
    });

    it("leaves a JSON value that looks like an output reference as it was given", async () => {
      const config = { job: Buffer.from("Job:00000000-0000-4000-8000-000000000000").toString("base64"), name: "x", type: "y" };
      const ok = await created({ templateName: "calc", inputs: [...values(valid), { name: "config", value: config }] });
      expect(ok.job.inputValues).toContainEqual({ name: "config", type: "json", value: config });
    });

    it("needs a template that exists, and a parent that exists", async () => {
      expect(await create({ templateName: "nope" })).toMatchObject({ fieldErrors: [{ path: ["template"], message: "no such template" }] });
      expect(await create({})).toMatchObject({ fieldErrors: [{ path: ["template"] }] });
      const orphan = await create({ templateName: "calc", inputs: values(valid), parent: encodeGlobalId("Job", "00000000-0000-4000-8000-000000000000") });
      expect(orphan).toMatchObject({ fieldErrors: [{ path: ["parent"], message: "no such job" }] });
    });

    it("is made under a parent its creator may change: not another user's job, nor a deleted one", async () => {
      const parent = await created({ templateName: "calc", inputs: values(valid) });
      const under = { templateName: "calc", inputs: values(valid), parent: parent.job.id };
      expect((await created(under)).job.id).toBeDefined();
      const bob = await createTestUser(database.db);
      const before = await database.db.job.count();
      expect(await create(under, bob.secret)).toMatchObject({
        __typename: "ValidationError",
        fieldErrors: [{ path: ["parent"], message: expect.stringContaining("is another user's: only its creator or an admin may create jobs under it") }],
      });
      expect((await created(under, api.admin.secret)).job.id).toBeDefined();
      await database.db.job.update({ where: { id: decodeGlobalId(parent.job.id).id }, data: { deletedAt: new Date() } });
      expect(await create(under)).toMatchObject({ fieldErrors: [{ path: ["parent"], message: expect.stringContaining("is deleted: reinstate it, or leave it out") }] });
      expect(await database.db.job.count()).toBe(before + 1);
    });

    it("is refused to worker nodes", async () => {
      const node = await createTestNode(database.db);
      expect((await create({ templateName: "calc", inputs: values(valid) }, node.secret)).__typename).toBe("ForbiddenError");
    });

    it("returns the same job for a retried idempotency key, also when retries race", async () => {
      const input = { templateName: "calc", inputs: values(valid), idempotencyKey: "order-42" };
      const first = await created(input);
      const retry = await created(input);
      expect(retry.job.id).toBe(first.job.id);
      expect(retry.outcome).toBe("IDEMPOTENT_REPLAY");
      const racing = await Promise.all(Array.from({ length: 6 }, () => created({ ...input, idempotencyKey: "order-43" })));
      expect(new Set(racing.map((r) => r.job.id)).size).toBe(1);
      // Keys belong to their creator: another user's same key makes another job.
      const bob = await createTestUser(database.db);
      expect((await created(input, bob.secret)).job.id).not.toBe(first.job.id);
    });

    it("refuses an empty idempotency key, every time, writing nothing", async () => {
      const before = await database.db.job.count();
      for (let i = 0; i < 2; i++) {
        expect(await create({ templateName: "calc", inputs: values(valid), idempotencyKey: "" })).toMatchObject({
          __typename: "ValidationError",
          fieldErrors: [{ path: ["idempotencyKey"], message: "must be 1 to 200 characters" }],
        });
      }
      expect(await database.db.job.count()).toBe(before);
    });

    describe("findOrCreate (Arvados' reuse rules)", () => {
      const reuseInput = (text: string, extra: Partial<CreateJobInput> = {}): CreateJobInput => ({
        templateName: "calc",
        inputs: values({ text, count: 1 }),
        findOrCreate: true,
        ...extra,
      });
      const idOf = (gid: string) => Buffer.from(gid, "base64").toString().split(":")[1]!;

      it("reuses an equivalent earlier job, whatever order the values came in", async () => {
        const first = await created(reuseInput("same"));
        expect(first.outcome).toBe("CREATED");
        const again = await created({ ...reuseInput("same"), inputs: [...values({ text: "same", count: 1 })].reverse() });
        expect(again).toMatchObject({ outcome: "REUSED", reused: true, job: { id: first.job.id } });
        expect(again.reason).toMatch(/is queued/);
      });

      it("makes one job of equivalent requests sent at once, the others reusing it", async () => {
        const racing = await Promise.all(Array.from({ length: 10 }, () => created(reuseInput("at once"))));
        expect(new Set(racing.map((r) => r.job.id)).size).toBe(1);
        expect(racing.filter((r) => r.outcome === "CREATED")).toHaveLength(1);
        expect(racing.filter((r) => r.outcome === "REUSED")).toHaveLength(9);
      });

      it("prefers a succeeded job, and passes over failed, cancelled, deleted and nondeterministic ones, saying why", async () => {
        const ids = [];
        for (let i = 0; i < 5; i++) ids.push(idOf((await created(reuseInput("pick", { findOrCreate: false }))).job.id));
        const [failed, cancelled, deleted, succeeded, queued] = ids as [string, string, string, string, string];
        await database.db.job.update({ where: { id: failed }, data: { status: "FAILED" } });
        await database.db.job.update({ where: { id: cancelled }, data: { status: "CANCELLED" } });
        await database.db.job.update({ where: { id: deleted }, data: { deletedAt: new Date() } });
        await database.db.job.update({ where: { id: succeeded }, data: { status: "SUCCEEDED" } });
        const nondeterministic = await created(reuseInput("pick", { findOrCreate: false, nondeterministic: true }));
        expect(nondeterministic.job.nondeterministic).toBe(true);

        const result = await created(reuseInput("pick"));
        expect(result.outcome).toBe("REUSED");
        expect(idOf(result.job.id)).toBe(succeeded);
        expect(result.reason).toMatch(/succeeded/);
        const reasons = Object.fromEntries(result.passedOver.map((p) => [idOf(p.job!.id), p.reason]));
        expect(reasons).toMatchObject({
          [failed]: "failed",
          [cancelled]: "cancelled",
          [deleted]: "deleted",
          [queued]: "a succeeded job was preferred",
        });
      });

      it("never reuses for a nondeterministic job, and creates when nothing qualifies", async () => {
        await created(reuseInput("solo"));
        const fresh = await created(reuseInput("solo", { nondeterministic: true }));
        expect(fresh.outcome).toBe("CREATED");
        const failedOnly = await created(reuseInput("lonely", { findOrCreate: false }));
        await database.db.job.update({ where: { id: idOf(failedOnly.job.id) }, data: { status: "FAILED" } });
        const result = await created(reuseInput("lonely"));
        expect(result.outcome).toBe("CREATED");
        expect(result.job.id).not.toBe(failedOnly.job.id);
      });

      it("treats another template version as another job", async () => {
        const v1 = await created(reuseInput("versioned", { templateVersion: 1 }));
        await define("calc");
        const latest = await created(reuseInput("versioned"));
        expect(latest.outcome).toBe("CREATED");
        expect(latest.job.id).not.toBe(v1.job.id);
        expect(latest.job.template.version).toBe(2);
        // The version 1 job is passed over, and said so.
        expect(latest.passedOver).toEqual([{ job: { id: v1.job.id }, reason: "made from version 1 of the template, not 2" }]);
      });

      it("reuses a job of another template version when asked, and names the versions it ruled out", async () => {
        // Three versions of the template, and "ranged" jobs made from versions 1 and 2.
        while ((await database.db.jobTemplate.count({ where: { name: "calc" } })) < 3) await define("calc");
        const v1 = await created(reuseInput("ranged", { templateVersion: 1, findOrCreate: false }));
        const v2 = await created(reuseInput("ranged", { templateVersion: 2, findOrCreate: false }));
        await database.db.job.update({ where: { id: idOf(v1.job.id) }, data: { status: "SUCCEEDED" } });
        const v3 = { templateVersion: 3 };

        // Nothing given: only version 3's jobs, and there are none; the others are named.
        const own = await created(reuseInput("ranged", v3));
        expect(own.outcome).toBe("CREATED");
        expect(Object.fromEntries(own.passedOver.map((p) => [idOf(p.job!.id), p.reason]))).toEqual({
          [idOf(v1.job.id)]: "made from version 1 of the template, not 3",
          [idOf(v2.job.id)]: "made from version 2 of the template, not 3",
        });
        await database.db.job.update({ where: { id: idOf(own.job.id) }, data: { status: "FAILED" } });

        const any = await created(reuseInput("ranged", { ...v3, reuse: { anyVersion: true } }));
        expect(any).toMatchObject({ outcome: "REUSED", job: { id: v1.job.id }, reason: "an earlier job made from version 1 of the template, inputs and parameters succeeded" });

        const minimum = await created(reuseInput("ranged", { ...v3, reuse: { minimumVersion: 2 } }));
        expect(minimum).toMatchObject({ outcome: "REUSED", job: { id: v2.job.id } });
        expect(Object.fromEntries(minimum.passedOver.map((p) => [idOf(p.job!.id), p.reason]))).toEqual({
          [idOf(v1.job.id)]: "made from version 1 of the template, below the minimum 2",
          [idOf(own.job.id)]: "failed",
        });

        const excluded = await created(reuseInput("ranged", { ...v3, reuse: { anyVersion: true, excludedVersions: [1] } }));
        expect(excluded).toMatchObject({ outcome: "REUSED", job: { id: v2.job.id } });
        expect(excluded.passedOver).toContainEqual({ job: { id: v1.job.id }, reason: "made from version 1 of the template, which is excluded" });
      });

      it.each([
        [{ reuse: { anyVersion: true }, findOrCreate: false }, ["reuse"], "applies to findOrCreate: set findOrCreate too"],
        [{ reuse: { minimumVersion: 0 } }, ["reuse", "minimumVersion"], "must be a version, 1 or more"],
        [{ reuse: { excludedVersions: [1, -2] } }, ["reuse", "excludedVersions"], "must be versions, 1 or more"],
        [{ reuse: { excludedVersions: Array.from({ length: 101 }, (_, i) => i + 1) } }, ["reuse", "excludedVersions"], "at most 100 versions"],
      ])("refuses reuse constraints that make no sense (%j), naming them", async (extra, path, message) => {
        const before = await database.db.job.count();
        expect(await create(reuseInput("bad", extra as Partial<CreateJobInput>))).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ path, message }] });
        expect(await database.db.job.count()).toBe(before);
      });
    });
  });
});
