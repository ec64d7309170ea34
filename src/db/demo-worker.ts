// The demo worker: with demo data on, the gateway itself acts as the demo's worker nodes, so that
// the demo never goes stale. Without it, the seed's running jobs kept the leases the seed gave them
// (a quarter of an hour, last renewed a few minutes before the seed's "now"): about twelve minutes
// after the first start the reclaimer took them back to QUEUED with their progress frozen, and a
// newcomer's progress subscription never showed anything. On every tick it:
// - moves the demo jobs the demo nodes hold: starts an acquired one, runs its tasks in sequence
//   order (a MAP task as its children, as a worker would), reports its progress (which renews the
//   lease) and finishes it once its tasks are done;
// - has the demo nodes take queued demo jobs while they hold fewer than HELD, and keeps them
//   online (seen), as a real node's requests would;
// - creates a small demo job when they found none to take, so that something always moves (a
//   seeded job queued to run later, or for other nodes, is not one), and removes the oldest of the
//   jobs it created beyond KEEP_CREATED.
// It touches only jobs tagged DEMO_TAG (the seed tags all of its jobs so). Every change goes
// through the domain functions a worker's mutations call, with their events, and is announced as a
// mutation's is, so every instance's subscribers see it. One instance at a time runs it: it holds a
// session advisory lock while it works, and an instance that does not get it waits.
import pg from "pg";
import { acquireNextJob } from "../domain/claiming.js";
import { createJob } from "../domain/create-job.js";
import { DomainError } from "../domain/errors.js";
import type { NodePrincipal, UserPrincipal } from "../domain/principal.js";
import { finishTask, reportTaskProgress, startTask } from "../domain/task-lifecycle.js";
import { finishJob, hardDeleteJob, reportJobProgress, startJob, type LeaseSettings } from "../domain/transitions.js";
import type { Logger } from "../observability/logger.js";
import { passFailures } from "../observability/request-log.js";
import type { Db } from "./client.js";
import { DEMO_NODE_NAMES, DEMO_TAG } from "./seed.js";

/** The jobs the demo nodes keep in hand. */
const HELD = 3;
/** How far a running task gets each tick. */
const TASK_STEP = 0.1;
/** A tag of the jobs the demo worker created itself, which it alone removes. */
export const CREATED_TAG = "demo-worker";
/** How many finished jobs of its own the demo worker keeps. */
const KEEP_CREATED = 10;
/** How often the demo nodes are marked seen: a token's use marks its node so at most once a minute. */
const SEEN_EVERY_MS = 60_000;
/** The advisory lock that lets one instance run the demo worker (pg_advisory_lock takes a bigint). */
const LOCK_KEY = "7105793616537198444";

type HeldTask = { id: string; name: string; type: string; sequence: number; qsequence: number; status: string; progress: number };
type HeldJob = { id: string; status: string; progress: number; leaseToken: string | null; nodeId: string | null; tasks: HeldTask[] };

export type DemoWorkerOptions = {
  db: Db;
  /** For the connection that holds the advisory lock. */
  databaseUrl: string;
  settings: LeaseSettings;
  /** How often it moves the demo along. */
  intervalMs?: number;
  /** Called after a tick that changed something: announces the events it wrote. */
  onWritten: () => void;
  logger?: Logger;
};

export class DemoWorker {
  private readonly options: Required<Omit<DemoWorkerOptions, "logger">> & { logger?: Logger };
  private timer: NodeJS.Timeout | undefined;
  private tick: Promise<void> | undefined;
  private lock: pg.Client | undefined;
  private stopped = false;
  /** Which demo node takes work first, in turn. */
  private turn = 0;
  private readonly tickFailed: ((error: unknown) => void) | undefined;

  constructor(options: DemoWorkerOptions) {
    this.options = { intervalMs: 2000, ...options };
    this.tickFailed = options.logger ? passFailures(options.logger, "demo worker: a tick") : undefined;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      // A tick still under way (a slow database) is not doubled up on.
      if (this.tick) return;
      this.tick = this.work()
        .catch((error: unknown) => this.tickFailed?.(error))
        .finally(() => (this.tick = undefined));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops ticking, waits for a tick under way, and lets another instance take over. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.tick;
    await this.lock?.end().catch(() => undefined);
    this.lock = undefined;
  }

  /** Whether this instance holds the lock, taking it if it is free. */
  private async locked(): Promise<boolean> {
    if (this.lock) return true;
    const client = new pg.Client({ connectionString: this.options.databaseUrl });
    client.on("error", () => {
      // The connection broke (the database restarted): the lock went with it; the next tick asks again.
      if (this.lock === client) this.lock = undefined;
    });
    await client.connect();
    const { rows } = await client.query<{ locked: boolean }>("/* demoWorkerLock */ select pg_try_advisory_lock($1::bigint) as locked", [LOCK_KEY]);
    if (!rows[0]?.locked || this.stopped) {
      await client.end();
      return false;
    }
    this.lock = client;
    this.options.logger?.info("demo worker: moving the demo jobs along (JOBGRAPH_DEMO_WORKER=false turns it off)");
    return true;
  }

  private async work(): Promise<void> {
    if (!(await this.locked())) return;
    const { db } = this.options;
    const nodes = await db.workerNode.findMany({ where: { name: { in: [...DEMO_NODE_NAMES] } }, select: { id: true, name: true } });
    if (!nodes.length) return;
    // The demo nodes act in this process, without tokens.
    const asNode = new Map(nodes.map((n): [string, NodePrincipal] => [n.id, { kind: "NODE", nodeId: n.id, name: n.name, tokenId: "" }]));
    let changed = false;
    // Seen as a node's requests see it (at most once a minute), so that they show online.
    await db.workerNode.updateMany({
      where: { id: { in: [...asNode.keys()] }, OR: [{ lastSeenAt: null }, { lastSeenAt: { lt: new Date(Date.now() - SEEN_EVERY_MS) } }] },
      data: { lastSeenAt: new Date() },
    });

    // The leases of held jobs are the demo nodes' own, which is why they are read here.
    const held: HeldJob[] = await db.job.findMany({
      where: { tags: { has: DEMO_TAG }, deletedAt: null, status: { in: ["ACQUIRED", "RUNNING"] }, nodeId: { in: [...asNode.keys()] } },
      select: {
        id: true,
        status: true,
        progress: true,
        leaseToken: true,
        nodeId: true,
        tasks: { select: { id: true, name: true, type: true, sequence: true, qsequence: true, status: true, progress: true } },
      },
      orderBy: { number: "asc" },
    });
    for (const job of held) {
      changed = (await this.attempt(() => this.advance(job, asNode.get(job.nodeId!)!))) || changed;
    }

    let holding = held.length;
    for (let i = 0; holding < HELD && i < nodes.length; i++) {
      const node = asNode.get(nodes[this.turn++ % nodes.length]!.id)!;
      const taken = await acquireNextJob(db, node, { tags: [DEMO_TAG] }, this.options.settings);
      if (taken) {
        holding++;
        changed = true;
      }
    }
    // They took what they could: the demo jobs still queued run later, or on other nodes.
    if (holding < HELD) changed = (await this.attempt(() => this.createWork())) || changed;
    changed = (await this.attempt(() => this.prune())) || changed;
    if (changed) this.options.onWritten();
  }

  /**
   * Runs one change; a domain error (someone cancelled the job meanwhile, its lease expired) skips
   * it for this tick. Resolves to whether something was written.
   */
  private async attempt(change: () => Promise<boolean>): Promise<boolean> {
    try {
      return await change();
    } catch (error) {
      if (error instanceof DomainError) return false;
      throw error;
    }
  }

  /** One step of a held job. */
  private async advance(job: HeldJob, node: NodePrincipal): Promise<boolean> {
    const { db, settings } = this.options;
    const lease = job.leaseToken;
    if (job.status === "ACQUIRED") {
      await startJob(db, node, job.id, lease, settings);
      return true;
    }
    const tasks = [...job.tasks].sort((a, b) => a.sequence - b.sequence || a.qsequence - b.qsequence);
    const failed = tasks.find((t) => t.status === "FAILED" || t.status === "CANCELLED");
    if (failed) {
      await finishJob(db, node, job.id, { leaseToken: lease, error: `task ${failed.name} did not succeed` });
      return true;
    }
    // A MAP task runs as its children, which the job's tasks hold: no worker starts or reports it.
    let running = tasks.filter((t) => t.status === "RUNNING" && t.type !== "MAP");
    if (!running.length) {
      const next = tasks.find((t) => t.status === "QUEUED" && t.type !== "MAP");
      if (next) {
        await startTask(db, node, next.id, lease);
        next.status = "RUNNING";
        running = [next];
      }
    }
    for (const task of running) {
      task.progress = Math.min(1, task.progress + TASK_STEP);
      if (task.progress >= 1) {
        await finishTask(db, node, task.id, lease, { success: true });
        task.status = "SUCCEEDED";
      } else {
        await reportTaskProgress(db, node, task.id, lease, task.progress);
      }
    }
    // The share of its tasks' work done; never less than before (the seed's figures are its own),
    // and a little more on every tick, so that a watcher always sees it move.
    const done = tasks.length ? tasks.reduce((sum, t) => sum + (t.status === "SUCCEEDED" ? 1 : t.progress), 0) / tasks.length : 0;
    const progress = Math.max(done, Math.min(tasks.length ? 0.99 : 1, job.progress + TASK_STEP / 10));
    if (tasks.every((t) => t.status === "SUCCEEDED") && (tasks.length > 0 || progress >= 1)) {
      await finishJob(db, node, job.id, { leaseToken: lease });
    } else {
      const current = running[0];
      const detail = current ? { task: current.name, taskProgress: current.progress } : { step: progress };
      await reportJobProgress(db, node, job.id, { leaseToken: lease, progress, detail }, settings);
    }
    return true;
  }

  /** The admin user, whom the demo worker creates and removes its own jobs as. */
  private async admin(): Promise<UserPrincipal | undefined> {
    const admin = await this.options.db.user.findFirst({ where: { name: "admin", role: "ADMIN", disabledAt: null }, select: { id: true, name: true } });
    return admin ? { kind: "USER", userId: admin.id, name: admin.name, role: "ADMIN", tokenId: "" } : undefined;
  }

  /** A small job for the demo nodes (hash-files over the demo's uploads), created when no demo job is left to take. */
  private async createWork(): Promise<boolean> {
    const { db } = this.options;
    const actor = await this.admin();
    const template = await db.jobTemplate.findFirst({ where: { name: "hash-files", deletedAt: null }, select: { id: true } });
    if (!actor || !template) return false;
    const task = (name: string, sequence: number) => ({ name, sequence, executorName: "python", cpu: 1, memory: 1024, payload: { script: "hash.py", args: [name] } });
    await createJob(db, actor, {
      templateId: template.id,
      name: "hash uploads (demo worker)",
      description: "Made by the demo worker so that the demo always has something running.",
      inputs: [{ name: "input", value: "c1bad4b39ca5a924e481008009d94e32+210" }],
      parameters: [{ name: "parts", value: 2 }],
      tags: [DEMO_TAG, CREATED_TAG],
      tasks: [task("split", 0), task("hash-part-0", 1), task("hash-part-1", 1), task("merge", 2)],
    });
    return true;
  }

  /** Removes the oldest finished jobs the demo worker created, beyond KEEP_CREATED. */
  private async prune(): Promise<boolean> {
    const { db } = this.options;
    const old = await db.job.findMany({
      where: { tags: { has: CREATED_TAG }, status: { in: ["SUCCEEDED", "FAILED", "CANCELLED"] } },
      orderBy: { number: "desc" },
      skip: KEEP_CREATED,
      select: { id: true },
    });
    const actor = old.length ? await this.admin() : undefined;
    if (!actor) return false;
    for (const job of old) await hardDeleteJob(db, actor, job.id);
    return true;
  }
}
