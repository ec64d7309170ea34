// Mutations requested together, sent as one document. GraphQL runs a mutation's root fields one
// after the other, in the order the document lists them, so a document that lists the requests'
// fields in the order they were made does what the requests one by one would have done, in one
// round trip. Each request keeps its own answer: its fields come back under aliases of its own
// (o0_startTask, o1_startTask, ...), and its variables go under names of its own (o0_id, ...).
import { Kind, print, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode, type VariableDefinitionNode } from "graphql";

/** One request of a batch: its document (a single mutation) and its variables. */
export type BatchedOperation = { document: DocumentNode; variables: Record<string, unknown> };

/** What the server answered about a request of a batch, under its own field names. */
export type OperationAnswer = {
  data: Record<string, unknown> | null;
  errors: Array<{ message: string; path?: ReadonlyArray<string | number>; extensions?: Record<string, unknown> }>;
};

/** At most this many requests share a document: each adds an alias, and gateways limit aliases (15 by default). */
export const MAX_BATCH = 10;

type Shape = { operation: OperationDefinitionNode; fields: FieldNode[]; fragments: FragmentDefinitionNode[] };

/**
 * Mutations that add tasks go alone: the tasks one request may add (10,000) are counted over all
 * its mutations, so two that pass alone could be refused together.
 */
const ALONE = new Set(["createJob", "addTasks", "createWorkflow"]);

const shapes = new WeakMap<DocumentNode, Shape | null>();

/**
 * A document's single mutation, when it can share a document with others: root fields only (no
 * fragments at the root), no directives on the operation, none of them ALONE. Null otherwise (it
 * is sent alone).
 */
function shapeOf(document: DocumentNode): Shape | null {
  let shape = shapes.get(document);
  if (shape !== undefined) return shape;
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operations[0];
  const fields = operation?.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD) ?? [];
  shape =
    operations.length === 1 &&
    operation!.operation === "mutation" &&
    !operation!.directives?.length &&
    fields.length === operation!.selectionSet.selections.length &&
    !fields.some((field) => ALONE.has(field.name.value))
      ? { operation: operation!, fields, fragments: document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION) }
      : null;
  shapes.set(document, shape);
  return shape;
}

/** Whether a document can go in a batch (a single mutation, fields at its root). */
export const batchable = (document: DocumentNode): boolean => shapeOf(document) !== null;

const prefix = (index: number) => `o${index}_`;

/** A copy of `node` with every variable $name renamed $o<index>_name. */
function renameVariables<T>(node: T, index: number): T {
  if (Array.isArray(node)) return node.map((item) => renameVariables(item, index)) as T;
  if (node === null || typeof node !== "object") return node;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) copy[key] = key === "loc" ? undefined : renameVariables(value, index);
  if ((node as { kind?: string }).kind === Kind.VARIABLE) {
    const name = (node as unknown as { name: { value: string } }).name;
    copy.name = { ...name, value: prefix(index) + name.value };
  }
  return copy as T;
}

const documentIds = new WeakMap<DocumentNode, number>();
let nextDocumentId = 0;
const texts = new Map<string, string>();

/**
 * The text of one mutation doing the operations' fields in order, and its variables; null when
 * they cannot share one (a document that is not a single mutation, or two fragments of one name
 * that differ).
 */
export function combine(operations: BatchedOperation[]): { query: string; variables: Record<string, unknown> } | null {
  const shapesOf = operations.map((o) => shapeOf(o.document));
  if (shapesOf.some((s) => s === null)) return null;
  const variables: Record<string, unknown> = {};
  operations.forEach((o, i) => {
    for (const [name, value] of Object.entries(o.variables)) variables[prefix(i) + name] = value;
  });
  // Workers send the same few combinations over and over: each is printed once.
  const key = operations.map((o) => documentIds.get(o.document) ?? documentIds.set(o.document, nextDocumentId++).get(o.document)).join(",");
  const known = texts.get(key);
  if (known !== undefined) return { query: known, variables };
  const definitions: VariableDefinitionNode[] = [];
  const fields: FieldNode[] = [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const [i, shape] of (shapesOf as Shape[]).entries()) {
    definitions.push(...renameVariables(shape.operation.variableDefinitions ?? [], i));
    for (const field of shape.fields) {
      const alias = prefix(i) + (field.alias?.value ?? field.name.value);
      fields.push({ ...renameVariables(field, i), alias: { kind: Kind.NAME, value: alias } });
    }
    for (const fragment of shape.fragments) {
      const same = fragments.get(fragment.name.value);
      if (same && same !== fragment && print(same) !== print(fragment)) return null;
      fragments.set(fragment.name.value, fragment);
    }
  }
  const document: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: "mutation" as OperationDefinitionNode["operation"],
        name: { kind: Kind.NAME, value: "SdkBatch" },
        variableDefinitions: definitions,
        directives: [],
        selectionSet: { kind: Kind.SELECTION_SET, selections: fields },
      },
      ...fragments.values(),
    ],
  };
  const query = print(document);
  if (texts.size > 1000) texts.clear();
  texts.set(key, query);
  return { query, variables };
}

/**
 * The combined answer split back into each operation's own: its fields under their own names, and
 * the errors whose path starts at one of its fields (with that path as it would have been).
 * Errors without a path concern every operation. An answer without data (a field failed that may
 * not be null, which ends the document) leaves every operation without data: each gets its own
 * errors, or every error when it has none of its own.
 */
export function split(operations: BatchedOperation[], answer: OperationAnswer): OperationAnswer[] {
  return operations.map((operation, i) => {
    const shape = shapeOf(operation.document)!;
    const mine = prefix(i);
    const errors = answer.errors.flatMap((error) => {
      const head = error.path?.[0];
      if (typeof head !== "string") return [error];
      if (!head.startsWith(mine)) return [];
      return [{ ...error, path: [head.slice(mine.length), ...error.path!.slice(1)] }];
    });
    if (!answer.data) return { data: null, errors: errors.length ? errors : answer.errors };
    const data: Record<string, unknown> = {};
    for (const field of shape.fields) {
      const name = field.alias?.value ?? field.name.value;
      data[name] = answer.data[mine + name];
    }
    return { data, errors };
  });
}
