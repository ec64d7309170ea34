// `jobgraph queues`: see every queue and steer one (pause, resume, limit); `jobgraph nodes`: see the
// worker nodes and drain one; `jobgraph jobs why`: why a job is not running, and when it may start.
import type { ResultOf } from "@graphql-typed-document-node/core";
import type { Command } from "commander";
import type { JobgraphClient } from "../sdk/index.js";
import { graphql } from "../sdk/gql/index.js";
import { withClient, withConnection, type ConnectionOptions } from "./connection.js";
import { action, CliError, refused } from "./errors.js";
import { age, print, printJson, table } from "./format.js";
import { PAGE_SIZE, resolveJobId } from "./lookup.js";

const Queues = graphql(`
  query CliQueues($first: Int!, $after: String) {
    queues(first: $first, after: $after) {
      name
      paused
      concurrencyLimit
      counts { claimable scheduled held succeeded failed }
      oldestWaitingSince
      last5Minutes { completed jobsPerMinute meanRunSeconds }
      nodes { name }
    }
  }
`);

const PauseQueue = graphql(`
  mutation CliPauseQueue($name: String!) {
    pauseQueue(name: $name) { __typename ... on Queue { name paused concurrencyLimit } ... on Error { message } ... on ValidationError { fieldErrors { path message } } }
  }
`);

const ResumeQueue = graphql(`
  mutation CliResumeQueue($name: String!) {
    resumeQueue(name: $name) { __typename ... on Queue { name paused concurrencyLimit } ... on Error { message } ... on ValidationError { fieldErrors { path message } } }
  }
`);

const LimitQueue = graphql(`
  mutation CliLimitQueue($name: String!, $limit: Int) {
    updateQueue(input: { name: $name, concurrencyLimit: $limit }) {
      __typename ... on Queue { name paused concurrencyLimit } ... on Error { message } ... on ValidationError { fieldErrors { path message } }
    }
  }
`);

const Nodes = graphql(`
  query CliNodes($first: Int!, $after: String) {
    workerNodes(first: $first, after: $after) {
      edges { node { id name executors online draining lastSeenAt currentJobs { totalCount } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const DrainNode = graphql(`
  mutation CliDrainNode($id: ID!) {
    drainNode(id: $id) { __typename ... on WorkerNode { name draining currentJobs { totalCount } } ... on Error { message } }
  }
`);

const UndrainNode = graphql(`
  mutation CliUndrainNode($id: ID!) {
    undrainNode(id: $id) { __typename ... on WorkerNode { name draining currentJobs { totalCount } } ... on Error { message } }
  }
`);

const WhyNotRunning = graphql(`
  query CliWhyNotRunning($id: ID!) {
    job(id: $id) {
      number
      status
      queue
      queuePosition
      whyNotRunning { code message }
      estimatedStartTime { time earliest latest basis }
    }
  }
`);

type QueueAnswer = { __typename: string; name?: string; paused?: boolean; concurrencyLimit?: number | null; message?: string };

function queueSaid(result: QueueAnswer, what: string): QueueAnswer {
  if (result.__typename !== "Queue") throw refused(result as Parameters<typeof refused>[0], what);
  return result;
}

function showQueue(queue: QueueAnswer, json: boolean | undefined): void {
  if (json) return printJson(queue);
  print(`${queue.name}: ${queue.paused ? "paused" : "handing out jobs"}, ${queue.concurrencyLimit == null ? "no concurrency limit" : `at most ${queue.concurrencyLimit} held at once`}`);
}

const seconds = (n: number | null | undefined) => (n == null ? "-" : `${n < 10 ? n.toFixed(1) : Math.round(n)}s`);

async function listQueues(options: ConnectionOptions & { json?: boolean }): Promise<void> {
  await withClient(options, async (client) => {
    const queues: ResultOf<typeof Queues>["queues"] = [];
    for (let after: string | null = null; ; ) {
      const page: ResultOf<typeof Queues> = await client.request(Queues, { first: PAGE_SIZE, after });
      queues.push(...page.queues);
      if (page.queues.length < PAGE_SIZE) break;
      after = page.queues[page.queues.length - 1]!.name;
    }
    if (options.json) return printJson(queues);
    print(
      table(
        ["queue", "state", "limit", "claimable", "later", "held", "oldest waiting", "done 5m", "per min", "mean run", "nodes"],
        queues.map((q) => [
          q.name,
          q.paused ? "paused" : "open",
          q.concurrencyLimit == null ? "-" : String(q.concurrencyLimit),
          String(q.counts.claimable),
          String(q.counts.scheduled),
          String(q.counts.held),
          q.oldestWaitingSince ? age(q.oldestWaitingSince) : "-",
          String(q.last5Minutes.completed),
          q.last5Minutes.jobsPerMinute.toFixed(1),
          seconds(q.last5Minutes.meanRunSeconds),
          String(q.nodes.length),
        ]),
      ),
    );
  });
}

/** A node's global ID from its name (or its global ID as given). */
async function nodeId(client: JobgraphClient, ref: string): Promise<string> {
  let after: string | null = null;
  do {
    const page: ResultOf<typeof Nodes> = await client.request(Nodes, { first: PAGE_SIZE, after });
    const found = page.workerNodes.edges.find((e) => e.node.name === ref || e.node.id === ref);
    if (found) return found.node.id;
    after = page.workerNodes.pageInfo.hasNextPage ? (page.workerNodes.pageInfo.endCursor ?? null) : null;
  } while (after);
  throw new CliError(`there is no worker node ${ref}`);
}

async function listNodes(options: ConnectionOptions & { json?: boolean }): Promise<void> {
  await withClient(options, async (client) => {
    const nodes = [];
    let after: string | null = null;
    do {
      const page: ResultOf<typeof Nodes> = await client.request(Nodes, { first: PAGE_SIZE, after });
      nodes.push(...page.workerNodes.edges.map((e) => e.node));
      after = page.workerNodes.pageInfo.hasNextPage ? (page.workerNodes.pageInfo.endCursor ?? null) : null;
    } while (after);
    if (options.json) return printJson(nodes);
    print(
      table(
        ["node", "state", "jobs", "last seen", "executors"],
        nodes.map((n) => [
          n.name,
          `${n.online ? "online" : "offline"}${n.draining ? ", draining" : ""}`,
          String(n.currentJobs.totalCount),
          n.lastSeenAt ? age(n.lastSeenAt) : "never",
          n.executors.join(", ") || "any",
        ]),
      ),
    );
  });
}

async function why(ref: string, options: ConnectionOptions & { json?: boolean }): Promise<void> {
  await withClient(options, async (client) => {
    const { job } = await client.request(WhyNotRunning, { id: await resolveJobId(client, ref) });
    if (!job) throw new CliError(`there is no job ${ref}`);
    if (options.json) return printJson(job);
    print(`Job #${job.number} is ${job.status} in queue ${job.queue}${job.queuePosition == null ? "" : `, ${job.queuePosition} ahead of it`}.`);
    if (job.status === "RUNNING") print("It is running.");
    for (const reason of job.whyNotRunning) print(`  ${reason.code}: ${reason.message}`);
    const start = job.estimatedStartTime;
    if (start) print(`Likely to start at ${start.time} (between ${start.earliest} and ${start.latest}; ${start.basis}).`);
  });
}

export function registerQueues(program: Command): void {
  const queues = program.command("queues").description("see the queues, and pause, resume or limit one (admins)");
  withConnection(queues.command("list", { isDefault: true }).description("every queue: what it holds, how fast it drains, the nodes serving it").option("--json", "print the queues as JSON"))
    .addHelpText("after", "\nExample:\n  $ jobgraph queues")
    .action(action(listQueues));
  withConnection(queues.command("pause").description("stop a queue handing out jobs (jobs already held go on)").argument("<queue>", "the queue's name").option("--json", "print the queue as JSON"))
    .action(
      action(async (name: string, options: ConnectionOptions & { json?: boolean }) =>
        withClient(options, async (client) => showQueue(queueSaid((await client.request(PauseQueue, { name })).pauseQueue, `queue ${name} was not paused`), options.json)),
      ),
    );
  withConnection(queues.command("resume").description("let a paused queue hand out jobs again").argument("<queue>", "the queue's name").option("--json", "print the queue as JSON"))
    .action(
      action(async (name: string, options: ConnectionOptions & { json?: boolean }) =>
        withClient(options, async (client) => showQueue(queueSaid((await client.request(ResumeQueue, { name })).resumeQueue, `queue ${name} was not resumed`), options.json)),
      ),
    );
  withConnection(
    queues
      .command("limit")
      .description("set how many of a queue's jobs may be held at once")
      .argument("<queue>", "the queue's name")
      .argument("<limit>", 'a whole number from 1, or "none" to lift the limit')
      .option("--json", "print the queue as JSON"),
  )
    .addHelpText("after", "\nExamples:\n  $ jobgraph queues limit gpu 4\n  $ jobgraph queues limit gpu none")
    .action(
      action(async (name: string, limit: string, options: ConnectionOptions & { json?: boolean }) => {
        if (limit !== "none" && !/^\d+$/.test(limit)) throw new CliError(`<limit>: "${limit}" is not a whole number or "none"`, 2);
        const value = limit === "none" ? null : Number(limit);
        await withClient(options, async (client) =>
          showQueue(queueSaid((await client.request(LimitQueue, { name, limit: value })).updateQueue, `queue ${name} was not changed`), options.json),
        );
      }),
    );

  const nodes = program.command("nodes").description("see the worker nodes, and drain or undrain one (admins)");
  withConnection(nodes.command("list", { isDefault: true }).description("every worker node: online or not, draining, its jobs").option("--json", "print the nodes as JSON")).action(action(listNodes));
  for (const [verb, description] of [
    ["drain", "give a node no new work; it finishes what it holds"],
    ["undrain", "give a drained node work again"],
  ] as const) {
    withConnection(nodes.command(verb).description(description).argument("<node>", "the node's name or global ID").option("--json", "print the node as JSON")).action(
      action(async (ref: string, options: ConnectionOptions & { json?: boolean }) =>
        withClient(options, async (client) => {
          const id = await nodeId(client, ref);
          const result = verb === "drain" ? (await client.request(DrainNode, { id })).drainNode : (await client.request(UndrainNode, { id })).undrainNode;
          if (result.__typename !== "WorkerNode") throw refused(result, `node ${ref} was not changed`);
          if (options.json) return printJson(result);
          print(`${result.name}: ${result.draining ? "draining" : "takes new work"}, holding ${result.currentJobs.totalCount} jobs`);
        }),
      ),
    );
  }

  const jobs = program.commands.find((c) => c.name() === "jobs");
  if (!jobs) throw new Error("register the jobs command first");
  withConnection(jobs.command("why").description("why a job is not running, where it stands in its queue and when it may start").argument("<job>", "the job's number or global ID").option("--json", "print the answer as JSON"))
    .addHelpText("after", "\nExample:\n  $ jobgraph jobs why 12")
    .action(action(why));
}
