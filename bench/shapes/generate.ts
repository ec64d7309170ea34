// Random read documents from schema.graphql: an entry point among Query's fields, a random subset
// of each type's fields, relations nested at random down to the gateway's depth limit, and
// arguments where they make sense (page sizes, filters and orderings from the schema's enums and
// the seeded data's values, ids of seeded rows). Every document is priced while it is built, as
// the gateway's complexity plugin prices it (src/graphql/builder.ts fieldComplexity), and kept
// within the cost, depth and token limits: a document the gateway refuses is a bug here.
//
// A document depends only on the seed, its index and the pool of values, so any one of them can
// be generated (and measured) again alone.
import {
  getNamedType,
  getNullableType,
  isAbstractType,
  isEnumType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  Lexer,
  parse,
  Source,
  TokenKind,
  validate,
  type DocumentNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
} from "graphql";

/** The types that Query.node and Query.nodes may return, read by global id. */
export const NODE_TYPES = ["Job", "Task", "JobOutput", "JobTemplate", "JobEvent", "User", "WorkerNode", "Workflow", "Schedule", "ApiToken"] as const;
export type NodeType = (typeof NODE_TYPES)[number];

/** Values from the seeded data that arguments take; every list is in a stable order. */
export type Pool = {
  /** Global ids by type. */
  ids: Record<NodeType, string[]>;
  jobNumbers: number[];
  workflowNumbers: number[];
  queues: string[];
  tags: string[];
  templates: Array<{ name: string; version: number }>;
  executors: string[];
  outputs: Array<{ jobId: string; name: string; type: string }>;
  scheduleNames: string[];
  userNames: string[];
  taskNames: string[];
};

/** The gateway's limits that a document must stay within (src/config.ts defaults). */
export type Limits = { maxCost: number; maxDepth: number; maxTokens: number; defaultPageSize: number; maxPageSize: number };

export type Shape = {
  index: number;
  /** The entry point and the relations read, with their page sizes: `jobs[50]{template,tasks[20]}`. */
  summary: string;
  text: string;
  cost: number;
  depth: number;
  tokens: number;
};

/** A generator of 32-bit random numbers (mulberry32): small, fast and the same everywhere. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Roots and how often each is drawn: lists of jobs are what clients read most. */
const ENTRY_WEIGHTS: Record<string, number> = {
  jobs: 5,
  job: 2,
  jobByNumber: 1,
  node: 2,
  nodes: 1.5,
  task: 1,
  jobOutput: 0.5,
  jobTemplate: 1,
  jobTemplates: 1,
  queue: 1,
  queues: 1,
  schedule: 0.5,
  schedules: 1,
  users: 1,
  viewer: 0.5,
  workerNodes: 1,
  workflow: 0.5,
  workflowByNumber: 0.5,
};

const PAGE_SIZES = [1, 2, 3, 5, 10, 20, 25, 50, 100];

/** What a field costs per row below it: builder.ts fieldComplexity, for the arguments given here. */
function multiplier(field: GraphQLField<unknown, unknown>, args: Record<string, unknown>, limits: Limits): number {
  const named = getNamedType(field.type).name;
  const size = args.first ?? args.last;
  if (typeof size === "number") return Math.max(size, 1);
  if (named.endsWith("Connection")) return limits.defaultPageSize;
  if (Array.isArray(args.ids)) return Math.max(args.ids.length, 1);
  // `queues` lists the maximum page size of them unless told (src/graphql/types/queue.ts).
  if (field.name === "queues") return limits.maxPageSize;
  // A plain list that takes `first` or `last` (a job's dependencies, dependents and attempts) is a page of it (builder.ts listComplexity).
  if (field.args.some((arg) => arg.name === "first" || arg.name === "last")) return limits.defaultPageSize;
  if (isListType(getNullableType(field.type)) && !named.endsWith("Edge")) return 10;
  return 1;
}

/** Whether `field` needs an argument that is not among `given`; such a field is left out. */
const hasRequiredArguments = (field: GraphQLField<unknown, unknown>, given: Record<string, unknown>) =>
  field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined && !(a.name in given));

const isConnection = (type: GraphQLNamedType): boolean => isObjectType(type) && "edges" in type.getFields() && "pageInfo" in type.getFields();

/** An argument's value as GraphQL text. */
function literal(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(literal).join(", ")}]`;
  if (value instanceof Enum) return value.name;
  if (value && typeof value === "object") return `{ ${Object.entries(value).map(([k, v]) => `${k}: ${literal(v)}`).join(", ")} }`;
  return JSON.stringify(value);
}

/** An enum value, written bare. */
class Enum {
  constructor(readonly name: string) {}
}

type Built = { text: string; cost: number; depth: number; summary: string };

class Generator {
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly pool: Pool,
    private readonly limits: Limits,
    private readonly rng: () => number,
  ) {}

  private chance(p: number) {
    return this.rng() < p;
  }
  private int(min: number, max: number) {
    return min + Math.floor(this.rng() * (max - min + 1));
  }
  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rng() * items.length)]!;
  }
  private some<T>(items: readonly T[], most: number): T[] {
    const chosen = new Set<T>();
    const n = this.int(1, Math.min(most, items.length));
    while (chosen.size < n) chosen.add(this.pick(items));
    return [...chosen];
  }
  private enumValues(type: string): string[] {
    const t = this.schema.getType(type);
    if (!isEnumType(t)) throw new Error(`${type} is not an enum`);
    return t.getValues().map((v) => v.name);
  }

  /** A budget drawn log-uniformly, so that small documents are as common as large ones. */
  budget(): number {
    return Math.round(Math.exp(Math.log(30) + this.rng() * (Math.log(this.limits.maxCost) - Math.log(30))));
  }

  entry(): GraphQLField<unknown, unknown> {
    const fields = this.schema.getQueryType()!.getFields();
    const weighted = Object.entries(ENTRY_WEIGHTS).filter(([name]) => name in fields);
    let r = this.rng() * weighted.reduce((sum, [, w]) => sum + w, 0);
    for (const [name, w] of weighted) if ((r -= w) < 0) return fields[name]!;
    return fields[weighted[0]![0]]!;
  }

  /** Arguments a root field needs (ids, names) and the type it then reads, when that is known. */
  private rootArguments(field: string): { args: Record<string, unknown>; as?: NodeType[] } {
    const p = this.pool;
    switch (field) {
      case "job":
        return { args: { id: this.pick(p.ids.Job) } };
      case "jobByNumber":
        return { args: { number: this.pick(p.jobNumbers) } };
      case "task":
        return { args: { id: this.pick(p.ids.Task) } };
      case "workflow":
        return { args: { id: this.pick(p.ids.Workflow) } };
      case "workflowByNumber":
        return { args: { number: this.pick(p.workflowNumbers) } };
      case "queue":
        return { args: { name: this.pick(p.queues) } };
      case "jobOutput": {
        const output = this.pick(p.outputs);
        return { args: { jobId: output.jobId, name: output.name, type: output.type } };
      }
      case "jobTemplate": {
        if (this.chance(0.4)) return { args: { id: this.pick(p.ids.JobTemplate) } };
        const template = this.pick(p.templates);
        return { args: this.chance(0.5) ? { name: template.name, version: template.version } : { name: template.name } };
      }
      case "schedule":
        return { args: this.chance(0.5) ? { id: this.pick(p.ids.Schedule) } : { name: this.pick(p.scheduleNames) } };
      case "node": {
        const type = this.pick(NODE_TYPES.filter((t) => p.ids[t].length));
        return { args: { id: this.pick(p.ids[type]) }, as: [type] };
      }
      case "nodes": {
        const types = Array.from({ length: this.int(1, 20) }, () => this.pick(NODE_TYPES.filter((t) => p.ids[t].length)));
        return { args: { ids: types.map((t) => this.pick(p.ids[t])) }, as: [...new Set(types)] };
      }
      default:
        return { args: {} };
    }
  }

  /** Optional arguments of a relation or list, drawn where they make sense. */
  private optionalArguments(field: GraphQLField<unknown, unknown>, maxSize: number): Record<string, unknown> {
    const args: Record<string, unknown> = {};
    const names = new Set(field.args.map((a) => a.name));
    if (names.has("first")) {
      const sizes = PAGE_SIZES.filter((s) => s <= Math.min(maxSize, this.limits.maxPageSize));
      const r = this.rng();
      // A quarter take the default page size (when it fits), some read the last page.
      if (sizes.length && (r < 0.6 || maxSize < this.limits.defaultPageSize)) args.first = this.pick(sizes);
      else if (sizes.length && r < 0.75 && names.has("last")) args.last = this.pick(sizes);
    }
    for (const arg of field.args) {
      const type = getNamedType(arg.type).name;
      if (arg.name === "filter" && this.chance(0.5)) {
        const filter = this.filter(type);
        if (Object.keys(filter).length) args.filter = filter;
      } else if (arg.name === "orderBy" && this.chance(0.5)) {
        const fields = this.enumValues(`${type}Field`);
        args.orderBy = { field: new Enum(this.pick(fields)), ...(this.chance(0.7) ? { direction: new Enum(this.pick(["ASC", "DESC"])) } : {}) };
      } else if (arg.name === "includeDeleted" && this.chance(0.2)) {
        args.includeDeleted = true;
      } else if (arg.name === "count" && this.chance(0.7)) {
        args.count = this.int(1, 5);
      }
    }
    return args;
  }

  /** A filter of the given input type, from one to three of its conditions. */
  private filter(type: string): Record<string, unknown> {
    const p = this.pool;
    const statuses = (enumType: string) => this.some(this.enumValues(enumType), 3).map((s) => new Enum(s));
    const conditions: Record<string, Array<() => unknown>> = {
      JobFilter: [
        () => ({ status: statuses("JobStatus") }),
        () => ({ queue: this.some(p.queues, 2) }),
        () => ({ tags: [this.pick(p.tags)] }),
        () => ({ template: this.chance(0.5) ? { name: this.pick(p.templates).name } : this.pick(p.templates) }),
        () => ({ creator: this.pick(p.ids.User) }),
        () => ({ node: this.pick(p.ids.WorkerNode) }),
        () => ({ search: `job-${this.int(1, 99)}` }),
        () => ({ topLevel: this.chance(0.5) }),
        () => ({ stalled: false }),
        () => ({ includeDeleted: true }),
        () => ({ createdAt: { from: new Date(Date.UTC(2020, 0, 1)).toISOString() } }),
        () => (p.ids.Workflow.length ? { workflow: this.pick(p.ids.Workflow) } : {}),
      ],
      TaskFilter: [
        () => ({ status: statuses("TaskStatus") }),
        () => ({ name: this.pick(p.taskNames) }),
        () => ({ sequence: this.int(0, 3) }),
      ],
      JobTemplateFilter: [
        () => ({ name: this.pick(p.templates).name }),
        () => ({ executor: this.pick(p.executors) }),
        () => ({ latestOnly: this.chance(0.5) }),
        () => ({ includeDeleted: true }),
      ],
      UserFilter: [() => ({ nameContains: this.pick(p.userNames).slice(0, 6) }), () => ({ name: this.pick(p.userNames) })],
      ScheduleFilter: [() => ({ paused: this.chance(0.5) })],
    };
    const options = conditions[type];
    if (!options) return {};
    return Object.assign({}, ...this.some(options, 3).map((make) => make()));
  }

  /**
   * A selection of `type` whose cost stays within `budget`, its fields at `depth` (the root's
   * fields are at depth 1, as graphql-armor counts).
   */
  selection(type: GraphQLNamedType, budget: number, depth: number): Built {
    if (isAbstractType(type)) return this.abstractSelection(type, budget, depth, undefined);
    if (!isObjectType(type)) throw new Error(`cannot select on ${type.name}`);
    if (isConnection(type)) return this.connectionSelection(type, budget, depth);
    const fields = Object.values(type.getFields());
    const leaves = fields.filter((f) => isLeafType(getNamedType(f.type)));
    const relations = fields.filter((f) => !isLeafType(getNamedType(f.type)));
    const parts: string[] = [];
    const summaries: string[] = [];
    let cost = 0;
    let deepest = depth;
    // Some selections read a field or two, others nearly all of them.
    const wanted = 0.1 + this.rng() * 0.8;
    for (const leaf of leaves) {
      if (cost + 1 > budget || !this.chance(wanted) || hasRequiredArguments(leaf, {})) continue;
      const args = this.optionalArguments(leaf, 0);
      parts.push(`${leaf.name}${this.argumentText(args)}`);
      cost += 1;
    }
    // Deeper levels nest less often; each relation takes a random share of what is left.
    const nesting = Math.max(0.08, 0.55 - 0.08 * depth);
    for (const relation of this.shuffled(relations)) {
      if (!this.chance(nesting)) continue;
      const left = budget - cost;
      const share = Math.floor(left * (0.3 + this.rng() * 0.7));
      const built = this.relation(relation, share, depth);
      if (!built) continue;
      parts.push(built.text);
      summaries.push(built.summary);
      cost += built.cost;
      deepest = Math.max(deepest, built.depth);
    }
    if (!parts.length) {
      parts.push("__typename");
      cost += 1;
    }
    return { text: parts.join(" "), cost, depth: deepest, summary: summaries.join(",") };
  }

  /** A relation of the current type, or nothing when it does not fit in `budget` or the depth left. */
  relation(field: GraphQLField<unknown, unknown>, budget: number, depth: number, given: Record<string, unknown> = {}, as?: readonly string[]): Built | undefined {
    const target = getNamedType(field.type);
    if (hasRequiredArguments(field, given)) return undefined;
    // A connection's rows are read two levels down (edges, node), another relation's one level down.
    const levels = isConnection(target) ? 3 : 1;
    if (depth + levels > this.limits.maxDepth || budget < 2) return undefined;
    const args = { ...this.optionalArguments(field, Math.floor((budget - 1) / 3)), ...given };
    const m = multiplier(field, args, this.limits);
    const childBudget = Math.floor((budget - 1) / m);
    if (childBudget < 1) return undefined;
    const child = as ? this.abstractSelection(target, childBudget, depth + 1, as) : this.selection(target, childBudget, depth + 1);
    const size = args.first ?? args.last ?? (Array.isArray(args.ids) ? args.ids.length : undefined);
    return {
      text: `${field.name}${this.argumentText(args)} { ${child.text} }`,
      cost: 1 + m * child.cost,
      depth: child.depth,
      summary: `${field.name}${size !== undefined ? `[${String(size)}]` : ""}${child.summary ? `{${child.summary}}` : ""}`,
    };
  }

  /** A connection: its rows (edges and nodes) most of the time, its count and page info now and then. */
  private connectionSelection(type: GraphQLObjectType, budget: number, depth: number): Built {
    const fields = type.getFields();
    const parts: string[] = [];
    let cost = 0;
    let deepest = depth;
    let summary = "";
    if (fields.totalCount && this.chance(0.35)) {
      parts.push("totalCount");
      cost += 1;
    }
    if (this.chance(0.25) && budget - cost >= 3) {
      const info = this.some(["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"], 4);
      parts.push(`pageInfo { ${info.join(" ")} }`);
      cost += 1 + info.length;
    }
    // edges { [cursor] node { ... } }: edges and node cost 1 each (builder.ts counts neither as a list).
    const edgeBudget = budget - cost;
    if ((!parts.length || this.chance(0.9)) && edgeBudget >= 3 && depth + 2 <= this.limits.maxDepth) {
      const edge = getNamedType(fields.edges!.type) as GraphQLObjectType;
      const cursor = this.chance(0.3) && edgeBudget >= 4;
      const node = this.selection(getNamedType(edge.getFields().node!.type), edgeBudget - 2 - (cursor ? 1 : 0), depth + 2);
      parts.push(`edges { ${cursor ? "cursor " : ""}node { ${node.text} } }`);
      cost += 2 + (cursor ? 1 : 0) + node.cost;
      deepest = Math.max(deepest, node.depth);
      summary = node.summary;
    }
    if (!parts.length) {
      parts.push("__typename");
      cost += 1;
    }
    return { text: parts.join(" "), cost, depth: deepest, summary };
  }

  /**
   * A selection on an interface: its own fields, and fragments on one to three of its members
   * (on `as` alone when the type of what is read is known).
   */
  private abstractSelection(type: GraphQLNamedType, budget: number, depth: number, as: readonly string[] | undefined): Built {
    if (!isAbstractType(type)) return this.selection(type, budget, depth);
    const parts = ["__typename"];
    let cost = 1;
    if (isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (isLeafType(getNamedType(field.type)) && cost + 1 <= budget && this.chance(0.5)) {
          parts.push(field.name);
          cost += 1;
        }
      }
    }
    const members = this.schema.getPossibleTypes(type).filter((m) => !as || as.includes(m.name));
    const chosen = as ? members : this.some(members, 3);
    let deepest = depth;
    const summaries: string[] = [];
    for (const member of chosen) {
      const left = budget - cost;
      if (left < 1) break;
      const built = this.selection(member, Math.max(1, Math.floor(left / (chosen.length > 1 ? 1.5 : 1))), depth);
      parts.push(`... on ${member.name} { ${built.text} }`);
      cost += built.cost;
      deepest = Math.max(deepest, built.depth);
      if (built.summary) summaries.push(`${member.name}{${built.summary}}`);
      else summaries.push(member.name);
    }
    return { text: parts.join(" "), cost, depth: deepest, summary: summaries.join(",") };
  }

  private argumentText(args: Record<string, unknown>): string {
    const entries = Object.entries(args);
    return entries.length ? `(${entries.map(([k, v]) => `${k}: ${literal(v)}`).join(", ")})` : "";
  }

  private shuffled<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.rng() * (i + 1));
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  }

  /** A whole document: one root field, sometimes two, within `budget`. */
  document(budget: number): Built {
    const roots: Built[] = [];
    const seen = new Set<string>();
    const count = this.chance(0.2) ? 2 : 1;
    let left = budget;
    for (let i = 0; i < count; i++) {
      const field = this.entry();
      if (seen.has(field.name)) continue;
      seen.add(field.name);
      const { args, as } = this.rootArguments(field.name);
      const share = i === count - 1 ? left : Math.floor(left * (0.3 + this.rng() * 0.4));
      const built = isLeafType(getNamedType(field.type))
        ? { text: field.name, cost: 1, depth: 1, summary: field.name }
        : this.relation(field, share, 1, args, as);
      if (!built) continue;
      roots.push(built);
      left -= built.cost;
    }
    return {
      text: `query Shape { ${roots.map((r) => r.text).join(" ")} }`,
      cost: roots.reduce((sum, r) => sum + r.cost, 0),
      depth: Math.max(...roots.map((r) => r.depth)),
      summary: roots.map((r) => r.summary).join(" + "),
    };
  }
}

/** Lexical tokens of a document, as graphql-armor's max-tokens counts them (the end of file included). */
export function tokens(text: string): number {
  const lexer = new Lexer(new Source(text));
  let n = 0;
  for (let token = lexer.advance(); ; token = lexer.advance()) {
    n++;
    if (token.kind === TokenKind.EOF) return n;
  }
}

/** Depth as graphql-armor's max-depth counts it with fragments flattened: a root field is at depth 1. */
export function depth(document: DocumentNode): number {
  const of = (set: SelectionSetNode | undefined, parent: number): number => {
    if (!set) return parent;
    let deepest = parent;
    for (const s of set.selections) deepest = Math.max(deepest, s.kind === Kind.FIELD ? of(s.selectionSet, parent + 1) : s.kind === Kind.INLINE_FRAGMENT ? of(s.selectionSet, parent) : parent);
    return deepest;
  };
  return Math.max(0, ...document.definitions.map((d) => (d.kind === Kind.OPERATION_DEFINITION ? of(d.selectionSet, 0) : 0)));
}

/** Tries per document before the generator gives up on its limits and validity (each try draws anew). */
const TRIES = 50;

/** The document of index `index` for `seed`. */
export function generateShape(schema: GraphQLSchema, pool: Pool, limits: Limits, seed: number, index: number): Shape {
  // Each document has a stream of its own, so that it does not depend on the ones before it.
  const rng = random((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  const generator = new Generator(schema, pool, limits, rng);
  for (let attempt = 0; attempt < TRIES; attempt++) {
    const built = generator.document(generator.budget());
    if (built.cost > limits.maxCost || built.depth > limits.maxDepth) throw new Error(`document ${index} was built over the limits: ${built.text}`);
    const count = tokens(built.text);
    if (count > limits.maxTokens) continue;
    // A draw whose budget let no field in (a page of 100 queues takes most of one) selects nothing.
    if (/\{\s*\}/.test(built.text)) continue;
    // Fragments on different members may select fields of one name and different types (a job's
    // status and a task's); GraphQL refuses such a document, and another is drawn.
    const document = parse(built.text);
    if (validate(schema, document).length) continue;
    return { index, summary: built.summary, text: built.text, cost: built.cost, depth: depth(document), tokens: count };
  }
  throw new Error(`no document ${index} within ${limits.maxTokens} tokens after ${TRIES} tries`);
}

/** Documents 0 to count - 1 of `seed`. */
export function generateShapes(schema: GraphQLSchema, pool: Pool, limits: Limits, seed: number, count: number): Shape[] {
  return Array.from({ length: count }, (_, i) => generateShape(schema, pool, limits, seed, i));
}
