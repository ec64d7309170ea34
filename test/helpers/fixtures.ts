// Rows for tests, written with bulk inserts so that large fixtures stay fast.
import { createHash, randomUUID } from "node:crypto";
import type { Db } from "../../src/db/client.js";
import type { JobStatus } from "../../src/db/generated/prisma/enums.js";

export async function createTemplate(db: Db, name = "train", version = 1) {
  return db.jobTemplate.create({
    data: {
      name,
      version,
      description: `${name} v${version}`,
      executorName: "python",
      executorVersion: "3.11",
      inputs: [{ name: "dataset", types: ["string"], required: true, help: "Dataset URI" }],
      parameters: [{ name: "epochs", types: ["int"], required: false, default: 10, help: "Epochs" }],
    },
  });
}

export type JobSpec = {
  status?: JobStatus;
  queue?: string;
  parentId?: string;
  tags?: string[];
  description?: string;
  priority?: number;
  createdAt?: Date;
  deletedAt?: Date;
};

/** Inserts jobs, each with `tasks` tasks and `outputs` outputs; returns the job ids in order. */
export async function createJobs(
  db: Db,
  templateId: string,
  count: number,
  { tasks = 0, outputs = 0, spec = () => ({}) }: { tasks?: number; outputs?: number; spec?: (i: number) => JobSpec } = {},
): Promise<string[]> {
  const base = Date.UTC(2026, 0, 1);
  const jobs = Array.from({ length: count }, (_, i) => {
    const s = spec(i);
    return {
      id: randomUUID(),
      templateId,
      name: `job ${i}`,
      description: s.description ?? `job number ${i}`,
      status: s.status ?? "QUEUED",
      queue: s.queue ?? "default",
      parentId: s.parentId ?? null,
      tags: s.tags ?? [],
      priority: s.priority ?? 0,
      createdAt: s.createdAt ?? new Date(base + i * 1000),
      deletedAt: s.deletedAt ?? null,
      inputValues: { dataset: { type: "string", value: `s3://data/${i}` } },
    };
  });
  await inBatches(jobs, (data) => db.job.createMany({ data }));
  if (tasks) {
    await inBatches(
      jobs.flatMap((job) =>
        Array.from({ length: tasks }, (_, q) => ({
          jobId: job.id,
          name: `task ${q}`,
          qsequence: q,
          sequence: Math.floor(q / 3),
        })),
      ),
      (data) => db.task.createMany({ data }),
    );
  }
  if (outputs) {
    await inBatches(
      jobs.flatMap((job) =>
        Array.from({ length: outputs }, (_, o) => ({
          jobId: job.id,
          name: `output-${o}`,
          type: "json",
          size: 100n + BigInt(o),
          sha256: createHash("sha256").update(`${job.id}/${o}`).digest("hex"),
        })),
      ),
      (data) => db.jobOutput.createMany({ data }),
    );
  }
  return jobs.map((j) => j.id);
}

/**
 * How many rows one insert of the fixtures takes. Past PostgreSQL's limit of bind parameters,
 * Prisma splits a createMany into statements that it sends at once on one connection, which
 * node-postgres warns it will refuse from pg 9 on (prisma/orm#29979); the API inserts tasks in one
 * statement of its own (insertTasks in src/domain/task-lifecycle.ts).
 */
const ROWS_PER_INSERT = 1000;

/** Inserts `rows` in batches, one after the other. */
async function inBatches<T>(rows: T[], insert: (batch: T[]) => Promise<unknown>): Promise<void> {
  for (let at = 0; at < rows.length; at += ROWS_PER_INSERT) await insert(rows.slice(at, at + ROWS_PER_INSERT));
}
