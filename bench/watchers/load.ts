// The progress reports: reportJobProgress mutations sent at a steady rate (an open loop: on
// schedule, whatever the answers do) to one gateway, round-robin over the jobs, each as its job's
// worker node with its lease token. Each report carries its number and send time in `detail`,
// which subscribers receive.
import http from "node:http";
import { wallClock } from "./protocol.js";

export type HeldJob = { id: string; leaseToken: string; nodeToken: string };

/** One report: which job, when it was sent and when its answer (so its commit) had arrived. */
export type Sent = { seq: number; job: number; sentAt: number; answeredAt: number };

export type LoadResult = { sent: Sent[]; durationMs: number };

const REPORT = `mutation Report($id: ID!, $leaseToken: String!, $progress: Float!, $detail: JSON) {
  reportJobProgress(id: $id, leaseToken: $leaseToken, progress: $progress, detail: $detail) { __typename ... on Error { message } }
}`;

export class ProgressLoad {
  /** Kept-alive connections, as a worker fleet behind a proxy would hold them. */
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  /** Report numbers run on across phases, so a late delivery is never counted in the next phase. */
  private nextSeq = 0;

  constructor(
    private readonly port: number,
    private readonly jobs: HeldJob[],
    /** Reports in flight at most; beyond it the schedule slips, and the achieved rate shows it. */
    private readonly maxInFlight = 256,
  ) {}

  /** Sends `rate` reports a second for `durationMs`; resolves when every answer is in. Throws if a report is refused. */
  async run(rate: number, durationMs: number): Promise<LoadResult> {
    const total = Math.floor((rate * durationMs) / 1000);
    const sent: Sent[] = [];
    const inFlight = new Set<Promise<void>>();
    let failure: Error | undefined;
    const start = wallClock();
    for (let k = 0; k < total && !failure; ) {
      const due = Math.min(total, Math.floor(((wallClock() - start) * rate) / 1000) + 1);
      while (k < due && inFlight.size < this.maxInFlight) {
        const report = this.send(this.nextSeq++).then(
          (s) => void sent.push(s),
          (error: Error) => void (failure ??= error),
        );
        inFlight.add(report);
        void report.then(() => inFlight.delete(report));
        k++;
      }
      if (k >= total) break;
      const wait = start + ((k * 1000) / rate) - wallClock();
      // At the cap, wait for an answer rather than spin.
      await (inFlight.size >= this.maxInFlight ? Promise.race(inFlight) : new Promise((r) => setTimeout(r, Math.max(1, wait))));
    }
    await Promise.all(inFlight);
    if (failure) throw failure;
    return { sent: sent.sort((a, b) => a.seq - b.seq), durationMs: wallClock() - start };
  }

  /** The job a report goes to: round-robin, so each job gets the same share. */
  jobOf(seq: number): number {
    return seq % this.jobs.length;
  }

  close(): void {
    this.agent.destroy();
  }

  private async send(seq: number): Promise<Sent> {
    const job = this.jobOf(seq);
    const held = this.jobs[job]!;
    const sentAt = wallClock();
    const body = JSON.stringify({
      query: REPORT,
      variables: { id: held.id, leaseToken: held.leaseToken, progress: (seq % 100) / 100, detail: { seq, sentAt } },
    });
    const answer = await post(this.agent, this.port, held.nodeToken, body);
    const answeredAt = wallClock();
    const result = (JSON.parse(answer) as { data?: { reportJobProgress?: { __typename: string; message?: string } } }).data?.reportJobProgress;
    if (result?.__typename !== "LeasePayload") throw new Error(`report ${seq} was refused: ${answer}`);
    return { seq, job, sentAt, answeredAt };
  }
}

function post(agent: http.Agent, port: number, token: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: "127.0.0.1",
        port,
        path: "/graphql",
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), authorization: `Bearer ${token}` },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (piece: string) => (text += piece));
        response.on("end", () => resolve(text));
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}
