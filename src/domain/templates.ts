// Reading job templates, by id or by name and version.
import type { Db } from "../db/client.js";
import type { Prisma } from "../db/generated/prisma/client.js";

export type TemplateFilter = {
  name?: string | null;
  executorName?: string | null;
  /** Only the highest version of each name. */
  latestOnly?: boolean | null;
  includeDeleted?: boolean | null;
};

type Selection = Pick<Prisma.JobTemplateFindFirstArgs, "include" | "select">;
type FindManyTemplates = Pick<Prisma.JobTemplateFindManyArgs, "include" | "select" | "take" | "skip" | "cursor">;

export function getTemplate(db: Db, id: string, query: Selection = {}) {
  return db.jobTemplate.findUnique({ ...query, where: { id } } as Prisma.JobTemplateFindUniqueArgs);
}

/**
 * A template by name: the given version, or else the latest one that is not deleted (a deleted
 * version can still be fetched by number, as jobs created from it refer to it).
 */
export function getTemplateByName(db: Db, name: string, version: number | null | undefined, query: Selection = {}) {
  if (version != null) {
    return db.jobTemplate.findUnique({
      ...query,
      where: { name_version: { name, version } },
    } as Prisma.JobTemplateFindUniqueArgs);
  }
  return db.jobTemplate.findFirst({
    ...query,
    where: { name, deletedAt: null },
    orderBy: { version: "desc" },
  } as Prisma.JobTemplateFindFirstArgs);
}

export function templateWhere(filter: TemplateFilter = {}): Prisma.JobTemplateWhereInput {
  const where: Prisma.JobTemplateWhereInput = {};
  if (!filter.includeDeleted) where.deletedAt = null;
  if (filter.name != null) where.name = filter.name;
  if (filter.executorName != null) where.executorName = filter.executorName;
  return where;
}

export async function listTemplates(db: Db, args: { filter?: TemplateFilter; query: FindManyTemplates }) {
  const where = templateWhere(args.filter);
  if (args.filter?.latestOnly) {
    // The newest version of each name among those the filter admits.
    const latest = await db.jobTemplate.groupBy({ by: ["name"], where, _max: { version: true } });
    where.OR = latest.map((l) => ({ name: l.name, version: l._max.version ?? 0 }));
    if (!latest.length) return [];
  }
  return db.jobTemplate.findMany({
    ...args.query,
    where,
    orderBy: [{ name: "asc" }, { version: "desc" }, { id: "asc" }],
  } as Prisma.JobTemplateFindManyArgs);
}

export async function countTemplates(db: Db, filter?: TemplateFilter): Promise<number> {
  const where = templateWhere(filter);
  if (filter?.latestOnly) {
    const names = await db.jobTemplate.groupBy({ by: ["name"], where });
    return names.length;
  }
  return db.jobTemplate.count({ where });
}
