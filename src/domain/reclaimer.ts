// Runs reclaimExpiredLeases on an interval in every gateway instance. Instances never fight over
// a job: the statement skips rows another instance has locked.
import type { Db } from "../db/client.js";
import { reclaimExpiredLeases, type ReclaimResult } from "./claiming.js";

export class Reclaimer {
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<unknown> | undefined;

  constructor(
    private readonly db: Db,
    private readonly intervalMs: number,
    /** Called after a pass that reclaimed something, with what it did: to announce the events it wrote, and count them. */
    private readonly onReclaimed: (result: ReclaimResult) => void = () => {},
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      // A pass still under way (a slow database) is not doubled up on; the next tick retries.
      if (this.pass) return;
      this.pass = reclaimExpiredLeases(this.db)
        .then((result) => {
          if (result.requeued + result.failed > 0) this.onReclaimed(result);
        })
        .catch(() => undefined)
        .finally(() => (this.pass = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops the interval and waits for a pass under way. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.pass;
  }
}
