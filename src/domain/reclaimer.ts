// Runs the gateway's housekeeping on an interval in every gateway instance: reclaimExpiredLeases
// (attempts past their time limit included), failPastDeadlines, timeOutTasks, the stall sweep
// (stalls.ts), the sweep of abandoned uploads, the deletion of removed outputs' content, and of content a crash
// left that nothing names. Instances never
// fight over a job: the statement skips rows another instance has locked; uploads and removed
// outputs may be cleared by two at once, which does no harm.
import type { Db } from "../db/client.js";
import { failPastDeadlines, reclaimExpiredLeases, type ReclaimResult } from "./claiming.js";
import { Periodic } from "./periodic.js";
import { sweepStalls } from "./stalls.js";
import { timeOutTasks } from "./task-lifecycle.js";
import { removeContentOfRemovedOutputs, sweepAbandonedUploads, sweepLeftoverContent, type OutputStorage } from "./outputs.js";

/**
 * What a pass did: leases reclaimed (attempts timed out among them), jobs failed at their deadline,
 * task runs ended by their time limit, jobs found stalled and stalled jobs that reported again.
 */
export type HousekeepingResult = ReclaimResult & { deadlinesPassed: number; tasksTimedOut: number; stalled: number; recovered: number };

export class Reclaimer {
  private readonly periodic: Periodic;

  constructor(
    private readonly db: Db,
    intervalMs: number,
    /** Called after a pass that changed jobs or tasks, with what it did: to announce the events it wrote, and count them. */
    private readonly onReclaimed: (result: HousekeepingResult) => void = () => {},
    /** Where output content is written, to clear what nobody can reach any more; none: no clearing. */
    private readonly outputs?: OutputStorage,
  ) {
    this.periodic = new Periodic(intervalMs, () => this.once());
  }

  start(): void {
    this.periodic.start();
  }

  private async once(): Promise<void> {
    const result = {
      ...(await reclaimExpiredLeases(this.db)),
      deadlinesPassed: await failPastDeadlines(this.db),
      tasksTimedOut: await timeOutTasks(this.db),
      ...(await sweepStalls(this.db)),
    };
    if (result.requeued + result.failed + result.deadlinesPassed + result.tasksTimedOut + result.stalled + result.recovered > 0) this.onReclaimed(result);
    if (this.outputs) {
      await sweepAbandonedUploads(this.outputs);
      await removeContentOfRemovedOutputs(this.outputs);
      await sweepLeftoverContent(this.outputs);
    }
  }

  /** Stops the interval and waits for a pass under way. */
  stop(): Promise<void> {
    return this.periodic.stop();
  }
}
