// Map tasks (Flow Compute's MapTask): a MAP task carries a task template and a list of values, and
// adding it adds one child task per value, in the same sequence, each with its mapIndex and
// mapValue and the template's text bound to them. Workers run the children; the MAP task is what
// they are (the tasks_map_rollup trigger keeps its status, progress and success), and a map over
// an empty list (or given no map at all) has succeeded when it is added.
import { randomUUID } from "node:crypto";
import type { FieldError } from "./errors.js";
import type { NewTask } from "./task-lifecycle.js";

/** The most children one MAP task may fan out to. */
export const MAX_MAP_SIZE = 1000;
/** The most tasks one request may add, children included. */
export const MAX_TASKS_PER_REQUEST = 10_000;
/** The largest element of a map's list, as JSON. */
const MAX_VALUE_BYTES = 64 * 1024;
/**
 * The most characters a MAP task's children may take once bound to their values: a template
 * naming {{value}} 250 times over 200 values of 4 KB made a request of 800 KB write 200 MB.
 */
export const MAX_MAP_BOUND_CHARS = 4 * 1024 * 1024;

/** What every child of a map is made from: a task without its name, type, sequence or map. */
export type MapTemplate = Omit<NewTask, "name" | "type" | "sequence" | "map" | "createdByTaskId">;

export type MapSpec = { task: MapTemplate; values: unknown[] };

/** A child's name: its map's, with the index of its value. */
export const childName = (mapName: string, index: number) => `${mapName}[${index}]`;

const PLACEHOLDER = /\{\{\s*(index|value)(?:\.([A-Za-z0-9_-]+))?\s*\}\}/g;

function asText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value) ?? "";
}

/**
 * `template` with every {{index}}, {{value}} and {{value.<key>}} in its strings (at any depth)
 * replaced by the child's index, its value, or a key of its value (as text: a string as it is,
 * anything else as JSON; a missing key as nothing).
 */
export function bind<T>(template: T, value: unknown, index: number): T {
  if (typeof template === "string") {
    return template.replace(PLACEHOLDER, (_all, what: string, key: string | undefined) => {
      if (what === "index") return String(index);
      if (key === undefined) return asText(value);
      const field = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
      return field === undefined ? "" : asText(field);
    }) as T;
  }
  if (Array.isArray(template)) return template.map((item) => bind(item, value, index)) as T;
  if (template !== null && typeof template === "object") {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, bind(v, value, index)])) as T;
  }
  return template;
}

/** The placeholders of a template's strings, counted, and the characters around them (see boundLength). */
type Placeholders = { chars: number; index: number; value: number; keys: Map<string, number> };

function placeholdersOf(template: unknown, into: Placeholders = { chars: 0, index: 0, value: 0, keys: new Map() }): Placeholders {
  if (typeof template === "string") {
    let chars = template.length;
    for (const [all, what, key] of template.matchAll(PLACEHOLDER)) {
      chars -= all.length;
      if (what === "index") into.index++;
      else if (key === undefined) into.value++;
      else into.keys.set(key, (into.keys.get(key) ?? 0) + 1);
    }
    into.chars += chars;
  } else if (Array.isArray(template)) {
    for (const item of template) placeholdersOf(item, into);
  } else if (template !== null && typeof template === "object") {
    for (const [key, item] of Object.entries(template)) {
      into.chars += key.length;
      placeholdersOf(item, into);
    }
  }
  return into;
}

/** How many characters the strings (and keys) of a template take bound to `value` (see bind), counted without binding it. */
function boundLength(placeholders: Placeholders, value: unknown, index: number): number {
  let length = placeholders.chars + placeholders.index * String(index).length;
  if (placeholders.value) length += placeholders.value * asText(value).length;
  for (const [key, count] of placeholders.keys) {
    const field = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
    if (field !== undefined) length += count * asText(field).length;
  }
  return length;
}

/** The children of a MAP task, as new tasks of its sequence. */
export function childrenOf(map: NewTask & { map: MapSpec }): Array<NewTask & { mapIndex: number; mapValue: unknown }> {
  return map.map.values.map((value, index) => ({
    ...bind(map.map.task, value, index),
    name: childName(map.name, index),
    type: "TASK" as const,
    sequence: map.sequence ?? 0,
    mapIndex: index,
    mapValue: value,
  }));
}

/**
 * A MAP task's own problems: it needs a map (and only it may have one), a list within the fan-out
 * limit, values of a storable size; and its children's, once bound (`checkChildren` is the check
 * of any task list).
 */
export function checkMap(task: NewTask, at: string[], checkChildren: (tasks: NewTask[], path: string[]) => FieldError[]): FieldError[] {
  const errors: FieldError[] = [];
  const isMap = task.type === "MAP";
  if (!isMap) {
    if (task.map) errors.push({ path: [...at, "map"], message: "only a MAP task maps over a list: give type MAP, or leave map out" });
    return errors;
  }
  // A MAP task given no map maps over nothing (as tasks of type MAP were labels before they fanned out).
  if (!task.map) return errors;
  const { values } = task.map;
  if (values.length > MAX_MAP_SIZE) {
    return [{ path: [...at, "map", "values"], message: `at most ${MAX_MAP_SIZE} values: a map fans out to one task per value (${values.length} given)` }];
  }
  values.forEach((value, i) => {
    if ((JSON.stringify(value) ?? "").length > MAX_VALUE_BYTES) errors.push({ path: [...at, "map", "values", String(i)], message: `must be at most ${MAX_VALUE_BYTES} bytes of JSON` });
  });
  if (task.name && task.name.length + String(Math.max(values.length - 1, 0)).length + 2 > 1000) {
    errors.push({ path: [...at, "name"], message: "too long for its children's names (name[index]) to fit in 1000 characters" });
  }
  if (errors.length) return errors;
  // Counted before a child is bound: binding them first is what the limit keeps from happening.
  const placeholders = placeholdersOf(task.map.task);
  let bound = 0;
  for (let i = 0; i < values.length && bound <= MAX_MAP_BOUND_CHARS; i++) bound += boundLength(placeholders, values[i], i);
  if (bound > MAX_MAP_BOUND_CHARS) {
    return [
      {
        path: [...at, "map", "task"],
        message: `its children, bound to their values, would take more than ${MAX_MAP_BOUND_CHARS} characters: name fewer {{value}} in the template, or give smaller values`,
      },
    ];
  }
  // The template as a task of its own, then each child as bound, its problems under its value.
  const template = checkChildren([{ ...task.map.task, name: "template" }], [...at, "map"]).map((e) => ({ ...e, path: [...at, "map", "task", ...e.path.slice(at.length + 2)] }));
  if (template.length) return template;
  childrenOf(task as NewTask & { map: MapSpec }).forEach((child, i) => {
    for (const problem of checkChildren([child], ["x"])) {
      errors.push({ path: [...at, "map", "values", String(i)], message: `${problem.path.slice(2).join(".")} of the task it makes ${problem.message}` });
    }
  });
  return errors;
}

/** The tasks to insert for `tasks`, each MAP task followed by its children (with the id they refer to it by). */
type Expanded = NewTask & { id?: string; mapTaskId?: string; mapIndex?: number; mapValue?: unknown };

export function expandMaps(tasks: NewTask[]): Expanded[] {
  return tasks.flatMap((task): Expanded[] => {
    if (task.type !== "MAP" || !task.map) return [task];
    const id = randomUUID();
    return [{ ...task, id }, ...childrenOf(task as NewTask & { map: MapSpec }).map((child) => ({ ...child, mapTaskId: id }))];
  });
}

/** How many tasks `tasks` adds, children included. */
export const tasksAdded = (tasks: NewTask[]) => tasks.reduce((n, t) => n + 1 + (t.type === "MAP" ? (t.map?.values.length ?? 0) : 0), 0);

/**
 * The tasks a request has added so far. The limit is the request's, however many of its
 * mutations add tasks: aliases of createJob that share one variable of tasks would otherwise
 * multiply it (a document of 2 KiB adding over a million rows). The GraphQL context is one; a
 * caller outside a request (the schedule ticker, the demo) starts a tally of its own.
 */
export type TaskTally = { tasksAdded: number };

/** The refusal of tasks past the request's limit: `given` says how many, `before` how many the request added already. */
export function tooManyTasks(given: string, before: number): string {
  const earlier = before ? `, after ${before} added by the request's earlier mutations` : "";
  return `at most ${MAX_TASKS_PER_REQUEST} tasks at once, the children of MAP tasks included (${given}${earlier})`;
}
