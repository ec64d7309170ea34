// The subscriber processes, seen from bench/watchers.ts: started, told to open their share of the
// subscriptions, asked for what they received, measured, and stopped.
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { cpuMs, root } from "../lib.js";
import type { FromSubscribers, PlannedSubscription, ToSubscribers } from "./protocol.js";

export type Receipts = { subscription: number[]; seq: number[]; at: number[]; eventAt: number[]; problems: string[] };

export class SubscriberProcesses {
  private constructor(private readonly children: ChildProcess[]) {}

  /** Starts `count` subscriber processes; `track` learns each pid, so that a deadline can kill it. */
  static async start(count: number, track: (pid: number) => void): Promise<SubscriberProcesses> {
    const children = Array.from({ length: count }, () => {
      const child = fork(path.join(root, "bench/watchers/subscribers.ts"), [], {
        cwd: root,
        execArgv: ["--import", "tsx"],
        // Typed arrays cross as they are, not as JSON objects keyed by index.
        serialization: "advanced",
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      track(child.pid!);
      return child;
    });
    await Promise.all(children.map((child) => new Promise<void>((resolve, reject) => child.once("spawn", resolve).once("error", reject))));
    return new SubscriberProcesses(children);
  }

  get pids(): number[] {
    return this.children.map((child) => child.pid!);
  }

  /**
   * Opens the sockets (each a list of subscriptions), dealt out to the processes in turn; resolves
   * once every subscription has sent its initial state.
   */
  async open(url: string, token: string, query: string, sockets: PlannedSubscription[][], concurrency: number): Promise<void> {
    const shares = this.children.map((_, i) => sockets.filter((_, s) => s % this.children.length === i));
    await Promise.all(
      this.children.map(async (child, i) => {
        if (!shares[i]!.length) return;
        const answer = await ask(child, { type: "open", url, token, query, sockets: shares[i]!, concurrency: Math.max(1, Math.round(concurrency / this.children.length)) });
        if (answer.type === "failed") throw new Error(`a subscriber could not open its subscriptions: ${answer.message}`);
      }),
    );
  }

  /** How many reports have arrived in all processes since the last collect. */
  async count(): Promise<number> {
    const answers = await Promise.all(this.children.map((child) => ask(child, { type: "count" })));
    return answers.reduce((sum, a) => sum + (a.type === "count" ? a.receipts : 0), 0);
  }

  /** Every report received since the last collect, from all processes. */
  async collect(): Promise<Receipts> {
    const all: Receipts = { subscription: [], seq: [], at: [], eventAt: [], problems: [] };
    for (const child of this.children) {
      const answer = await ask(child, { type: "collect" });
      if (answer.type !== "receipts") continue;
      for (let i = 0; i < answer.at.length; i++) {
        all.subscription.push(answer.subscription[i]!);
        all.seq.push(answer.seq[i]!);
        all.at.push(answer.at[i]!);
        all.eventAt.push(answer.eventAt[i]!);
      }
      all.problems.push(...answer.problems);
    }
    return all;
  }

  /** CPU time all subscriber processes have used so far. */
  async cpuMs(): Promise<number> {
    return (await Promise.all(this.pids.map((pid) => cpuMs(pid)))).reduce((a, b) => a + b, 0);
  }

  /** Closes every socket; the processes stay, ready to open others. */
  async closeSockets(): Promise<void> {
    await Promise.all(this.children.map((child) => ask(child, { type: "close" })));
  }

  /** Closes every socket (so the gateway sees clients leave), then ends the processes. */
  async stop(): Promise<void> {
    await this.closeSockets().catch(() => undefined);
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.disconnect();
          }),
      ),
    );
  }
}

/** Sends one request to a subscriber process and waits for its one answer. */
function ask(child: ChildProcess, request: ToSubscribers): Promise<FromSubscribers> {
  return new Promise((resolve, reject) => {
    const onExit = () => reject(new Error(`a subscriber process exited while asked to ${request.type}`));
    child.once("exit", onExit);
    child.once("message", (answer: FromSubscribers) => {
      child.off("exit", onExit);
      resolve(answer);
    });
    child.send(request);
  });
}
