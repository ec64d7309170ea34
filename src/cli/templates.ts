// `jobgraph templates apply <file>`: defines templates from a JSON file, idempotently. A template
// whose latest version already has the file's definition is left as it is; any other gets a new
// version (templates are versioned, never changed in place), so applying a file twice changes
// nothing the second time.
import { readFile } from "node:fs/promises";
import type { ResultOf } from "@graphql-typed-document-node/core";
import type { Command } from "commander";
import type { CreateJobTemplateInput } from "../sdk/gql/graphql.js";
import { withClient, withConnection, type ConnectionOptions } from "./connection.js";
import { action, CliError, EXIT, fieldErrorLines } from "./errors.js";
import { note, print, printJson } from "./format.js";
import { CreateJobTemplate, LatestTemplate } from "./operations.js";

type Latest = NonNullable<ResultOf<typeof LatestTemplate>["jobTemplate"]>;

type Outcome = { name: string; outcome: "created" | "unchanged" | "would-create" | "failed"; version?: number; id?: string; error?: string; fieldErrors?: string[] };

const FIELDS = {
  template: ["name", "description", "executor", "inputs", "parameters"],
  executor: ["name", "version"],
  declaration: ["name", "types", "required", "default", "help"],
} as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** What is wrong with the shape of the file's templates, before anything is sent. */
function shapeProblems(items: unknown[]): string[] {
  const problems: string[] = [];
  const unknownFields = (value: Record<string, unknown>, allowed: readonly string[], at: string) => {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) problems.push(`${at}: unknown field "${key}" (expected ${allowed.join(", ")})`);
    }
  };
  items.forEach((item, i) => {
    const at = `[${i}]`;
    if (!isObject(item)) return problems.push(`${at}: a template must be an object`);
    unknownFields(item, FIELDS.template, at);
    if (typeof item.name !== "string" || !item.name.trim()) problems.push(`${at}.name: must be a non-empty string`);
    if (!isObject(item.executor) || typeof item.executor.name !== "string") problems.push(`${at}.executor: must be an object with a "name"`);
    else unknownFields(item.executor, FIELDS.executor, `${at}.executor`);
    for (const list of ["inputs", "parameters"] as const) {
      const declarations = item[list];
      if (declarations === undefined) continue;
      if (!Array.isArray(declarations)) {
        problems.push(`${at}.${list}: must be an array of declarations`);
        continue;
      }
      declarations.forEach((d, j) => {
        if (!isObject(d)) problems.push(`${at}.${list}[${j}]: a declaration must be an object`);
        else unknownFields(d, FIELDS.declaration, `${at}.${list}[${j}]`);
      });
    }
    return undefined;
  });
  return problems;
}

/** JSON with sorted keys, so that equal values compare equal whatever order their keys came in. */
function canonical(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : isObject(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])])) : v;
  return JSON.stringify(sort(value));
}

type DeclarationLike = { name: string; types: readonly string[]; required?: boolean | null; default?: unknown; help?: string | null };

/** A definition as the gateway stores it: what was left out takes the value the gateway gives it. */
function normalized(t: {
  name: string;
  description?: string | null;
  executor: { name: string; version?: string | null };
  inputs?: readonly DeclarationLike[] | null;
  parameters?: readonly DeclarationLike[] | null;
}) {
  const declaration = (d: DeclarationLike) => ({ name: d.name, types: d.types, required: d.required ?? false, default: d.default ?? null, help: d.help ?? "" });
  return {
    name: t.name.trim(),
    description: t.description ?? "",
    executor: { name: t.executor.name.trim(), version: t.executor.version ?? null },
    inputs: (t.inputs ?? []).map(declaration),
    parameters: (t.parameters ?? []).map(declaration),
  };
}

function unchanged(wanted: CreateJobTemplateInput, latest: Latest): boolean {
  return canonical(normalized(wanted as Parameters<typeof normalized>[0])) === canonical(normalized(latest));
}

async function readTemplates(file: string): Promise<CreateJobTemplateInput[]> {
  let text: string;
  try {
    text = file === "-" ? await readStdin() : await readFile(file, "utf8");
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  const problems = shapeProblems(items);
  if (problems.length) throw new CliError(`${file} does not hold templates as \`jobgraph templates apply --help\` describes`, EXIT.FAILED, problems);
  return items as CreateJobTemplateInput[];
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function apply(file: string, options: ConnectionOptions & { dryRun?: boolean; json?: boolean }): Promise<number> {
  const templates = await readTemplates(file);
  return withClient(options, async (client) => {
    const outcomes: Outcome[] = [];
    for (const template of templates) {
      const name = template.name.trim();
      const { jobTemplate: latest } = await client.request(LatestTemplate, { name });
      let outcome: Outcome;
      if (latest && unchanged(template, latest)) {
        outcome = { name, outcome: "unchanged", version: latest.version, id: latest.id };
      } else if (options.dryRun) {
        outcome = { name, outcome: "would-create", version: (latest?.version ?? 0) + 1 };
      } else {
        const { createJobTemplate: result } = await client.request(CreateJobTemplate, { input: template });
        outcome =
          result.__typename === "JobTemplatePayload"
            ? { name, outcome: "created", version: result.jobTemplate.version, id: result.jobTemplate.id }
            : {
                name,
                outcome: "failed",
                error: `${result.__typename}: ${"message" in result ? result.message : "refused"}`,
                fieldErrors: fieldErrorLines("fieldErrors" in result ? result.fieldErrors : undefined),
              };
      }
      outcomes.push(outcome);
      if (options.json) continue;
      if (outcome.outcome === "failed") {
        note(`${name}: ${outcome.error}`);
        for (const line of outcome.fieldErrors ?? []) note(`  ${line}`);
      } else {
        const said = { created: "created version", unchanged: "unchanged, version", "would-create": "would create version" }[outcome.outcome];
        print(`${name}: ${said} ${outcome.version}`);
      }
    }
    if (options.json) printJson(outcomes);
    return outcomes.some((o) => o.outcome === "failed") ? EXIT.FAILED : EXIT.OK;
  });
}

export function registerTemplates(program: Command): void {
  const templates = program.command("templates").description("define job templates");
  withConnection(
    templates
      .command("apply")
      .description("create the templates a JSON file defines, unless their latest version already has that definition")
      .argument("<file>", 'a JSON file holding one template or an array of them ("-" reads standard input)')
      .option("--dry-run", "say what would be created, and create nothing")
      .option("--json", "print each template's outcome as JSON"),
  )
    .addHelpText(
      "after",
      `
A template is an object with these fields (as createJobTemplate's input, see schema.graphql):
  name         the template's name; applying it again makes its next version
  description  what its jobs do (optional)
  executor     {"name": "...", "version": "..."}: what runs its jobs (version optional)
  inputs       declarations of the values each job supplies (optional)
  parameters   declarations of the values a job may set (optional)
A declaration is {"name", "types", "required", "default", "help"}: types are any of string,
int, float, bool, json, output; a required value has no default.

For each template: if the latest version of its name already has the same definition, it
prints "unchanged" and creates nothing; otherwise it creates a new version. So applying a file
again is safe. Exit code 1 if any template was refused (each refusal is printed with the path of
every problem).

Example file (templates.json):
  [{"name": "train", "description": "Trains a model",
    "executor": {"name": "pytorch", "version": "2.3"},
    "inputs": [{"name": "dataset", "types": ["string"], "required": true, "help": "Dataset URI"}],
    "parameters": [{"name": "epochs", "types": ["int"], "default": 10}]}]

Examples:
  $ jobgraph templates apply templates.json
  $ jobgraph templates apply templates.json --dry-run
  $ generate-templates | jobgraph templates apply -`,
    )
    .action(action(apply));
}
