// The interval the gateway's background work runs on (the reclaimer, the schedule ticker): one
// pass at a time, however slow the database, and a stop that waits for the pass under way.

export class Periodic {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly pass: () => Promise<unknown>,
    /** Told of a pass that failed; the next one tries again. */
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** Starts the interval (nothing when it is 0 or less, or already started); `atOnce`: a first pass now. */
  start(atOnce = false): void {
    if (this.intervalMs <= 0 || this.timer) return;
    const run = () => {
      // A pass still under way (a slow database) is not doubled up on; the next tick retries.
      if (this.running) return;
      this.running = this.pass()
        .catch(this.onError)
        .finally(() => (this.running = undefined));
    };
    if (atOnce) run();
    this.timer = setInterval(run, this.intervalMs);
    this.timer.unref();
  }

  /** Stops the interval and waits for a pass under way. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
