// Runs the frontend's operations against a gateway and prints what came back, a JSON line each:
//   node --import tsx src/main.ts <gateway URL> <token> <template name>
// It creates a job from the template, reads the first page of jobs and the job's detail (its
// tasks and events deferred), and takes the first message of the job's progress.
import { WebSocket } from "ws";
import { jobgraphClient } from "./client.js";
import { CreateJob, JobDetail, JobProgress, JobsPage } from "./documents.js";

const [url, token, templateName] = process.argv.slice(2);
if (!url || !token || !templateName) throw new Error("usage: main.ts <gateway URL> <token> <template name>");
const { client, close } = jobgraphClient(url, token, WebSocket);
const print = (what: string, value: unknown) => console.log(JSON.stringify({ what, value }));

try {
  const created = await client.mutation(CreateJob, { input: { templateName, name: "from the frontend example" } }).toPromise();
  if (created.error) throw created.error;
  if (created.data?.createJob.__typename !== "CreateJobPayload") throw new Error(JSON.stringify(created.data));
  const job = created.data.createJob.job;
  print("created", job);

  const page = await client.query(JobsPage, {}).toPromise();
  if (page.error) throw page.error;
  print("jobs", page.data!.jobs);

  // Each part as it comes; the last holds the whole detail.
  const parts: unknown[] = [];
  await new Promise<void>((resolve, reject) => {
    client.query(JobDetail, { id: job.id }).subscribe((result) => {
      if (result.error) reject(result.error);
      parts.push(result.data);
      if (!result.hasNext) resolve();
    });
  });
  print("detail", { parts: parts.length, first: parts[0], last: parts.at(-1) });

  const progress = await new Promise((resolve, reject) => {
    const { unsubscribe } = client.subscription(JobProgress, { id: job.id }).subscribe((result) => {
      unsubscribe();
      if (result.error) reject(result.error);
      else resolve(result.data);
    });
  });
  print("progress", progress);
} finally {
  await close();
}
