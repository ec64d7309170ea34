// A worker in a process of its own, for tests that kill it: it takes a job of the queue it is given,
// prints the job's id, and then works on it forever (until the process is killed).
import { runWorker } from "../../src/sdk/index.js";

const [url, token, queue] = process.argv.slice(2) as [string, string, string];
runWorker({
  url,
  token,
  filter: { queues: [queue] },
  handler: (job) => {
    console.log(`working on ${job.id}`);
    return new Promise(() => undefined);
  },
});
