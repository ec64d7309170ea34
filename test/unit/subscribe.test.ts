// The subscription path of src/graphql/subscribe.ts on a schema of its own: an event that reaches
// several subscriptions of one selection, for one viewer, is executed once for all of them; the
// observer hears of each stream's start, results and end exactly once.
import { buildSchema, parse, type ExecutionArgs, type ExecutionResult } from "graphql";
import { describe, expect, it } from "vitest";
import { observedSubscribe, OpenStreams, subscribe, type StreamObserver } from "../../src/graphql/subscribe.js";

/** One source of events per job, with any number of waiting readers, each getting every event object. */
class Feed {
  private readonly readers = new Set<(event: IteratorResult<object>) => void>();
  private readonly pending = new Map<object, Array<IteratorResult<object>>>();

  stream(): AsyncIterableIterator<object> {
    const key = {};
    const queue: Array<IteratorResult<object>> = [];
    this.pending.set(key, queue);
    const feed = this;
    let waiting: ((event: IteratorResult<object>) => void) | undefined;
    const deliver = (event: IteratorResult<object>) => {
      if (waiting) {
        const resolve = waiting;
        waiting = undefined;
        resolve(event);
      } else queue.push(event);
    };
    this.readers.add(deliver);
    return {
      next: () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((resolve) => (waiting = resolve))),
      return: () => {
        feed.readers.delete(deliver);
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  emit(event: object): void {
    for (const deliver of this.readers) deliver({ value: event, done: false });
  }
}

const schema = buildSchema(`
  type Tick { n: Int! }
  type Query { ok: Boolean }
  type Subscription { tick(job: ID!): Tick }
`);
const document = parse("subscription Watch($job: ID!) { tick(job: $job) { n } }");

function setUp() {
  const feed = new Feed();
  let executions = 0;
  const tick = schema.getSubscriptionType()!.getFields().tick!;
  tick.subscribe = () => feed.stream();
  tick.resolve = (event: { n: number }) => {
    executions++;
    return event;
  };
  const args = (viewer: object, job = "1"): ExecutionArgs => ({ schema, document, variableValues: { job }, contextValue: { viewer } });
  return { feed, args, executions: () => executions };
}

const alice = { kind: "USER", userId: "u1", role: "USER", tokenId: "t1" };
const bob = { kind: "USER", userId: "u2", role: "USER", tokenId: "t2" };

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("subscribe", () => {
  it("executes an event once for the subscriptions of one selection, variables and viewer, and apart for others", async () => {
    const { feed, args, executions } = setUp();
    const same = await Promise.all([1, 2, 3].map(() => subscribe(args(alice)) as Promise<AsyncIterableIterator<ExecutionResult>>));
    const other = (await subscribe(args(bob))) as AsyncIterableIterator<ExecutionResult>;
    const reads = [...same, other].map((stream) => stream.next());
    feed.emit({ n: 7 });
    const results = await Promise.all(reads);
    expect(results.map((r) => r.value)).toEqual(Array(4).fill({ data: { tick: { n: 7 } } }));
    expect(executions()).toBe(2);

    // The next event is executed again, not taken from the last one's.
    await settle();
    const again = same.map((stream) => stream.next());
    feed.emit({ n: 8 });
    expect((await Promise.all(again)).map((r) => r.value)).toEqual(Array(3).fill({ data: { tick: { n: 8 } } }));
    expect(executions()).toBe(3);
    for (const stream of [...same, other]) await stream.return!();
  });

  it("tells the observer of a stream's start, each result and its end, once", async () => {
    const { feed, args } = setUp();
    const heard: string[] = [];
    const observer: StreamObserver = {
      started: () => void heard.push("started"),
      result: (_args, result) => {
        heard.push("result");
        return result;
      },
      failed: (_args, error) => error,
      ended: (_args, seconds, streamed) => void heard.push(`ended ${streamed} ${seconds >= 0}`),
    };
    const stream = (await observedSubscribe(args(alice), observer)) as AsyncIterableIterator<ExecutionResult>;
    const read = stream.next();
    feed.emit({ n: 1 });
    expect((await read).value).toEqual({ data: { tick: { n: 1 } } });
    await stream.return!();
    await stream.return!();
    expect(heard).toEqual(["started", "result", "ended true true"]);
  });
});

describe("OpenStreams", () => {
  it("ends the streams of a token found no longer valid, with UNAUTHENTICATED then done, and none opened while it checked", async () => {
    const { feed, args } = setUp();
    const streams = new OpenStreams();
    const open = async (viewer: object) => (await subscribe({ ...args(viewer), contextValue: { viewer, streams } })) as AsyncIterableIterator<ExecutionResult>;
    const alices = await open(alice);
    const waiting = alices.next();
    let late: AsyncIterableIterator<ExecutionResult> | undefined;
    // The check runs while bob subscribes: bob's token is none it was asked about.
    const ended = await streams.sweep(async (tokenIds) => {
      expect(tokenIds).toEqual(["t1"]);
      late = await open(bob);
      return new Map();
    });
    expect(ended).toBe(1);
    expect((await waiting).value).toMatchObject({ errors: [{ extensions: { code: "UNAUTHENTICATED" } }] });
    expect(await alices.next()).toEqual({ value: undefined, done: true });
    expect(streams.size).toBe(1);
    const bobs = late!.next();
    feed.emit({ n: 1 });
    expect((await bobs).value).toEqual({ data: { tick: { n: 1 } } });
    await late!.return!();
    expect(streams.size).toBe(0);
  });
});
