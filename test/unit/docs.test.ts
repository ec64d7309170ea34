// The docs must say what the code does. Every operation in the ```graphql blocks of README.md and
// docs/*.md, and every GraphQL document a shell example sends (curl's -d or a multipart
// `operations`), parses and validates against the schema; a block may list several operations,
// anonymous ones included, each checked on its own with the block's fragments. Beyond what the
// schema's types can tell, the values the docs name are checked against the code's own lists:
// template value types (src/domain/values.ts) in operations, JSON, shell examples and prose; the
// `--status` and `name:type=` values shell examples give the CLI; the fields and arguments that
// prose tables name (`cancelJob(reason)`, `job.tasks`); the error and payload types, enum values,
// error codes and settings that prose names in backticks.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import {
  Kind,
  TypeInfo,
  coerceInputValue,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isObjectType,
  parse,
  validate,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLEnumType,
  type GraphQLInputType,
} from "graphql";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../src/db/migrate.js";
import { VALUE_TYPES } from "../../src/domain/values.js";
import { schema } from "../../src/graphql/schema.js";
import { allCodeBlocks, assigned, codeBlocks, docFiles, isShell, prose, type CodeBlock } from "../helpers/doc-blocks.js";

const valueTypes: readonly string[] = VALUE_TYPES;

/** A shell example's GraphQL requests: the JSON bodies of curl's -d and of multipart `operations`. */
function shellRequests(block: CodeBlock): Array<{ query: string }> {
  const requests: Array<{ query: string }> = [];
  // A single-quoted shell word, with '"$VAR"' splices (a variable dropped into the JSON) allowed.
  for (const match of block.source.matchAll(/(?:(?:^|\s)(?:-d|--data(?:-raw|-binary)?)\s+|operations=)'((?:[^']|'"\$\w+"')*)'/g)) {
    const json = match[1]!.replace(/'"\$(\w+)"'/g, "$1");
    const body = JSON.parse(json) as { query?: unknown };
    if (typeof body.query === "string") requests.push({ query: body.query });
  }
  return requests;
}

/** Every GraphQL document the docs show: the graphql blocks, and what shell examples send. */
function documents(file: string): Array<{ at: string; source: string }> {
  return codeBlocks(file).flatMap((block) => {
    const at = `${block.file}:${block.line}`;
    if (block.language === "graphql") return [{ at, source: block.source }];
    if (isShell(block)) return shellRequests(block).map((r) => ({ at, source: r.query }));
    return [];
  });
}

/** Each operation of a document with the document's fragments, so that each validates alone. */
function operations(document: DocumentNode): DocumentNode[] {
  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  return document.definitions
    .filter((d) => d.kind === Kind.OPERATION_DEFINITION)
    .map((operation) => ({ kind: Kind.DOCUMENT, definitions: [operation, ...fragments] }));
}

/** Input fields whose strings are template value types (the schema can only say String). */
const VALUE_TYPED_FIELDS = new Set(["ValueDeclarationInput.types", "ValueInput.type"]);

/** The template value types an operation gives as literals, each with where it is. */
function valueTypesIn(document: DocumentNode): string[] {
  const found: string[] = [];
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      ObjectField(node) {
        const parent = getNamedType(typeInfo.getParentInputType());
        if (!parent || !VALUE_TYPED_FIELDS.has(`${parent.name}.${node.name.value}`)) return;
        const values = node.value.kind === Kind.LIST ? node.value.values : [node.value];
        for (const value of values) if (value.kind === Kind.STRING) found.push(value.value);
      },
    }),
  );
  return found;
}

/** JSON a doc shows: ```json blocks, and here-documents of shell examples (`cat > x <<'EOF'`). */
function jsonShown(file: string): Array<{ at: string; value: unknown }> {
  return codeBlocks(file).flatMap((block) => {
    const at = `${block.file}:${block.line}`;
    const texts =
      block.language === "json" ? [block.source] : isShell(block) ? [...block.source.matchAll(/<<'?(\w+)'?\n([\s\S]*?)\n\1\n/g)].map((m) => m[2]!) : [];
    return texts.flatMap((text) => {
      try {
        return [{ at, value: JSON.parse(text) as unknown }];
      } catch {
        return [];
      }
    });
  });
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** Templates as `jobgraph templates apply` reads them: an object with a name and an executor. */
function templatesIn(value: unknown): Array<Record<string, unknown>> {
  return (Array.isArray(value) ? value : [value]).filter((t): t is Record<string, unknown> => isRecord(t) && "executor" in t && "name" in t);
}

/** Backticked runs in prose like "`string`, `int` and `output`": lists of words named together. */
function backtickedLists(text: string): string[][] {
  return [...text.matchAll(/`[\w-]+`(?:(?:,\s+(?:and\s+|or\s+)?|\s+(?:and|or)\s+)`[\w-]+`)+/g)].map((m) => [...m[0].matchAll(/`([\w-]+)`/g)].map((w) => w[1]!));
}

function readSources(dir: string): string {
  return readdirSync(dir, { withFileTypes: true })
    .map((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === "generated" ? "" : readSources(full);
      return /\.(ts|mjs)$/.test(entry.name) ? readFileSync(full, "utf8") : "";
    })
    .join("\n");
}

/** The project's code, and the test set-up's (which reads TEST_DATABASE_URL), to find names in. */
const sourceText = readSources(path.join(projectRoot, "src")) + readSources(path.join(projectRoot, "test", "helpers"));

const enumValues = new Set(
  Object.values(schema.getTypeMap())
    .filter(isEnumType)
    .flatMap((t) => t.getValues().map((v) => v.name)),
);

/**
 * Upper-case names the docs use that are neither the schema's nor this project's code's: SQL and
 * HTTP words, settings that OpenTelemetry's exporter reads itself, and the worker variable that
 * cli.md derives from a parameter named learning-rate.
 */
// OPERATION_RESOLUTION_FAILURE is a code graphql-yoga gives itself (test/unit/error-codes.test.ts
// holds docs/api.md's table of codes to yoga's and ours).
const OUTSIDE_NAMES = new Set(["LISTEN", "NOTIFY", "VACUUM", "HEAD", "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TIMEOUT", "JOBGRAPH_PARAM_LEARNING_RATE", "OPERATION_RESOLUTION_FAILURE"]);

/** `field(arg, arg)` or `type.field(...)` as prose names them; `arg: value` and `arg?` allowed. */
function namedFields(text: string): Array<{ owner?: string; field: string; args: string[] }> {
  return [...text.matchAll(/`(?:(\w+)\.)?(\w+)(?:\(([^)`]*)\))?`/g)].map((m) => ({
    ...(m[1] ? { owner: m[1] } : {}),
    field: m[2]!,
    args: m[3] === undefined ? [] : m[3].split(",").map((a) => a.trim().replace(/[?:].*$/, "")).filter(Boolean),
  }));
}

const rootTypes = [schema.getQueryType()!, schema.getMutationType()!, schema.getSubscriptionType()!];

/** Problems with one `field(args)` prose names: an owner type without the field, an unknown argument. */
function fieldProblems(reference: { owner?: string; field: string; args: string[] }): string[] {
  const ownerType = reference.owner ? schema.getType(reference.owner[0]!.toUpperCase() + reference.owner.slice(1)) : undefined;
  if (reference.owner && !isObjectType(ownerType)) return [];
  const candidates = ownerType && isObjectType(ownerType) ? [ownerType] : rootTypes;
  const fields = candidates.map((t) => t.getFields()[reference.field]).filter((f) => f !== undefined);
  if (!fields.length) return reference.owner ? [`${reference.owner}.${reference.field}: ${ownerType!.name} has no field ${reference.field}`] : [];
  // An argument may also be a field of an input-object argument: `updateJob(priority, tags)`.
  const known = new Set(
    fields.flatMap((f) =>
      f.args.flatMap((a) => {
        const type = getNamedType(a.type);
        return [a.name, ...(isInputObjectType(type) ? Object.keys(type.getFields()) : [])];
      }),
    ),
  );
  return reference.args.filter((a) => !known.has(a)).map((a) => `${reference.field}(${reference.args.join(", ")}): no argument ${a}`);
}

describe("the GraphQL in the docs", () => {
  it("has examples to check", () => {
    expect(docFiles.flatMap((f) => documents(f)).length).toBeGreaterThan(20);
    expect(docFiles.flatMap((f) => documents(f)).filter((d) => !d.at.includes("graphql")).length).toBeGreaterThan(0);
  });

  it.each(docFiles)("validates against the schema in %s", (file) => {
    const problems = documents(file).flatMap(({ at, source }) => {
      try {
        return operations(parse(source)).flatMap((operation) => validate(schema, operation).map((e) => `${at}: ${e.message}`));
      } catch (error) {
        return [`${at}: ${(error as Error).message}`];
      }
    });
    expect(problems).toEqual([]);
  });
});

describe("the values the docs name", () => {
  it.each(docFiles)("gives templates only the value types there are in %s's operations", (file) => {
    const shown = documents(file).flatMap(({ at, source }) => valueTypesIn(parse(source)).map((type) => ({ at, type })));
    expect(shown.filter(({ type }) => !valueTypes.includes(type))).toEqual([]);
  });

  it.each(docFiles)("shows templates in JSON that createJobTemplate takes, in %s", (file) => {
    const inputType = schema.getMutationType()!.getFields().createJobTemplate!.args.find((a) => a.name === "input")!.type as GraphQLInputType;
    const problems = jsonShown(file).flatMap(({ at, value }) =>
      templatesIn(value).flatMap((template) => {
        const errors: string[] = [];
        coerceInputValue(template, inputType, (p, _v, error) => errors.push(`${at}: ${[template.name, ...p].join(".")}: ${error.message}`));
        const declarations = [template.inputs, template.parameters].flatMap((d) => (Array.isArray(d) ? (d as unknown[]) : []));
        const types = declarations.flatMap((d) => (isRecord(d) && Array.isArray(d.types) ? (d.types as unknown[]) : []));
        return [...errors, ...types.filter((t) => !valueTypes.includes(String(t))).map((t) => `${at}: value type ${String(t)}`)];
      }),
    );
    expect(problems).toEqual([]);
  });

  it.each(docFiles)("gives the CLI statuses and value types there are, in %s's shell examples", (file) => {
    const statuses = (schema.getType("JobStatus") as GraphQLEnumType).getValues().map((v) => v.name);
    const problems = codeBlocks(file)
      .filter(isShell)
      .flatMap((block) => {
        const at = `${block.file}:${block.line}`;
        const given = [...block.source.matchAll(/--status[ =]([\w,]+)/g)].flatMap((m) => m[1]!.split(","));
        const typed = [...block.source.matchAll(/--(?:input|param)[ =]'?[\w.-]+:([\w-]+)=/g)].map((m) => m[1]!);
        return [
          ...given.filter((s) => !statuses.includes(s.toUpperCase())).map((s) => `${at}: status ${s}`),
          ...typed.filter((t) => !valueTypes.includes(t)).map((t) => `${at}: value type ${t}`),
        ];
      });
    expect(problems).toEqual([]);
  });

  it.each(docFiles)("lists only value types there are where %s lists them in prose", (file) => {
    const lists = backtickedLists(prose(file)).filter((words) => words.includes("string") && words.includes("int"));
    expect(lists.flatMap((words) => words.filter((w) => !valueTypes.includes(w)))).toEqual([]);
  });

  it("finds the value types listed in prose", () => {
    const lists = docFiles.flatMap((f) => backtickedLists(prose(f))).filter((words) => words.includes("string") && words.includes("int"));
    expect(lists.length).toBeGreaterThanOrEqual(2);
  });

  it.each(docFiles)("names only fields and arguments there are in %s's prose", (file) => {
    expect(namedFields(prose(file)).flatMap(fieldProblems)).toEqual([]);
  });

  it.each(docFiles)("names only error, payload and input types there are in %s's prose", (file) => {
    const names = [...prose(file).matchAll(/`([A-Z][A-Za-z]*(?:Error|Payload|Input|Filter|Result|Order|Connection|Edge))`/g)].map((m) => m[1]!);
    // The SDK's own error classes, not schema types.
    const sdk = (name: string) => ["JobAbortedError", "RefusedError", "RetryableError"].includes(name) && sourceText.includes(`export class ${name}`);
    expect(names.filter((n) => !schema.getType(n) && !sdk(n))).toEqual([]);
  });

  it.each(docFiles)("names only enum values, error codes and settings there are in %s's prose", (file) => {
    const names = new Set([...prose(file).matchAll(/`([A-Z][A-Z0-9_]*[A-Z0-9])`/g)].map((m) => m[1]!));
    // The shell variables the docs' own examples set (TOKEN, SECRET...) may be named too.
    const examples = new Set(allCodeBlocks().filter(isShell).flatMap((b) => assigned(b.source)));
    const unknown = [...names].filter((n) => !enumValues.has(n) && !OUTSIDE_NAMES.has(n) && !examples.has(n) && !new RegExp(`\\b${n}\\b`).test(sourceText));
    expect(unknown).toEqual([]);
  });

  it("checks every kind of value on real examples", () => {
    const all = allCodeBlocks();
    expect(all.filter(isShell).length).toBeGreaterThan(10);
    expect(docFiles.flatMap((f) => jsonShown(f)).flatMap(({ value }) => templatesIn(value)).length).toBeGreaterThan(0);
    expect(docFiles.flatMap((f) => namedFields(prose(f))).filter((r) => r.args.length).length).toBeGreaterThan(10);
  });
});
