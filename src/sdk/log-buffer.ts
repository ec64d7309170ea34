// A held job's log as the worker SDK sends it: lines are kept in memory and sent in batches (every
// FLUSH_MS, or at once when BATCH_LINES are waiting), one request at a time and in order, so that a
// chatty handler costs the gateway a request every half second rather than one per line, and never
// waits for the network. If the job stops being the worker's, what is waiting is dropped.

export type LogStreamName = "STDOUT" | "STDERR";
type Pending = { stream: LogStreamName; line: string; at: string };

export const FLUSH_MS = 500;
export const BATCH_LINES = 500;
/** Lines kept while the gateway is slow or away; past this the oldest go, and the drop is told once. */
const MAX_WAITING = 20_000;

export type SendLines = (taskId: string | null, lines: Pending[]) => Promise<"sent" | "gone">;

export class LogBuffer {
  private readonly waiting = new Map<string | null, Pending[]>();
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  private gone = false;
  private dropped = 0;

  constructor(
    private readonly send: SendLines,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Queues a line (a text with line breaks is several lines); returns at once. */
  add(text: string, stream: LogStreamName = "STDOUT", taskId: string | null = null): void {
    if (this.gone) return;
    const at = new Date().toISOString();
    const lines = this.waiting.get(taskId) ?? [];
    for (const line of text.replace(/\r?\n$/, "").split(/\r?\n/)) lines.push({ stream, line, at });
    this.waiting.set(taskId, lines);
    this.count = [...this.waiting.values()].reduce((n, l) => n + l.length, 0);
    while (this.count > MAX_WAITING) {
      const [key, oldest] = [...this.waiting.entries()].find(([, l]) => l.length > 0)!;
      oldest.shift();
      if (!oldest.length) this.waiting.delete(key);
      this.count--;
      if (this.dropped++ === 0) this.onError(new Error(`the job's log is not being sent fast enough: its oldest unsent lines are being dropped`));
    }
    if (this.count >= BATCH_LINES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Sends what is waiting (after what is being sent); resolves once it has gone. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batches = [...this.waiting.entries()];
    this.waiting.clear();
    this.count = 0;
    this.sending = this.sending.then(async () => {
      for (const [taskId, lines] of batches) {
        for (let i = 0; i < lines.length && !this.gone; i += 1000) {
          try {
            if ((await this.send(taskId, lines.slice(i, i + 1000))) === "gone") this.gone = true;
          } catch (error) {
            // A batch the gateway did not take is lost; the next ones are still tried.
            this.onError(error);
          }
        }
      }
    });
    return this.sending;
  }

  /** Sends the rest, and takes no more lines. */
  async close(): Promise<void> {
    await this.flush();
    this.gone = true;
  }
}
