// The Prisma-backed object types of jobs, tasks, tokens and ticks, by model name, for the fields of other types
// that lead to them and back (a task's job, whose tasks...): TypeScript cannot infer a type's ref
// from an initializer that names it again, while a ref by model name is the same ref without that.
import { getRefFromModel } from "@pothos/plugin-prisma";
import { builder } from "./builder.js";

export const JobRef = getRefFromModel("Job", builder);
export const TaskRef = getRefFromModel("Task", builder);
export const ApiTokenRef = getRefFromModel("ApiToken", builder);
export const ScheduleTickRef = getRefFromModel("ScheduleTick", builder);
