// The playground as a newcomer meets it: the real server on a fresh embedded database with demo
// data, /graphql opened in headless Chromium (Debian's package, driven by playwright-core), the
// preloaded query run with the development token the page prefills, then a progress subscription
// whose updates must show up as a worker node reports them.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { chromium, type Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../src/db/migrate.js";
import { graphql, startServer, type ServerProcess } from "../helpers/server-process.js";

const chromiumPath = "/usr/bin/chromium";
const haveChromium = existsSync(chromiumPath);
if (!haveChromium) {
  // A skip must be seen: a machine without a browser has not shown that the playground works.
  console.warn(
    `SKIPPED test/browser/playground.test.ts: ${chromiumPath} is missing; install Debian's chromium package (.ci/run does when it may)`,
  );
}

const screenshot = path.join(projectRoot, "test-results", "playground.png");

let server: ServerProcess | undefined;

afterAll(async () => {
  await server?.dispose();
});

/**
 * Waits until GraphiQL's response pane shows `text`; on a timeout, the error says what it shows
 * instead (an error from the server, usually).
 */
async function paneShows(page: Page, text: string, timeout = 10_000): Promise<void> {
  const pane = page.locator(".graphiql-response");
  try {
    await pane.filter({ hasText: text }).waitFor({ timeout });
  } catch {
    const shown = (await pane.innerText().catch(() => "(no response pane)")).replace(/\s+/g, " ");
    throw new Error(`the response pane did not show ${JSON.stringify(text)} within ${timeout} ms; it shows: ${shown}`);
  }
}

type Reply = { __typename: string; message?: string };

/** A mutation's result union must be its payload; an Error member fails the test with its message. */
function payload<T extends Reply>(result: T, typename: string): T {
  expect(result, result.message).toMatchObject({ __typename: typename });
  return result;
}

describe("the playground in Chromium", () => {
  it.skipIf(!haveChromium)(
    "runs the preloaded query on the demo data, then shows a progress subscription's updates as they arrive",
    { timeout: 60_000 },
    async () => {
      // Without JOBGRAPH_ADMIN_TOKEN and outside production, the server makes the development
      // admin token and the playground prefills it: what `npm start` gives a newcomer.
      server = await startServer({ JOBGRAPH_DEMO_DATA: "true", JOBGRAPH_ADMIN_TOKEN: undefined, NODE_ENV: "development" });
      const token = readFileSync(path.join(server.dataDir, "admin-token"), "utf8").trim();

      const { jobs } = await graphql<{ jobs: { totalCount: number; edges: Array<{ node: { name: string } }> } }>(
        server,
        token,
        "{ jobs(first: 1) { totalCount edges { node { name } } } }",
      );
      expect(jobs.totalCount).toBeGreaterThan(0);

      // A worker node holds a running job, so that progress can be reported while the page watches.
      const { registerWorkerNode } = await graphql<{ registerWorkerNode: Reply & { secret: string } }>(
        server,
        token,
        `mutation { registerWorkerNode(input: { name: "playground-test-node" }) {
          __typename ... on RegisterWorkerNodePayload { secret } ... on Error { message } } }`,
      );
      const node = payload(registerWorkerNode, "RegisterWorkerNodePayload").secret;
      const { acquireNextJob } = await graphql<{ acquireNextJob: Reply & { job: { id: string }; lease: { token: string } } }>(
        server,
        node,
        `mutation { acquireNextJob {
          __typename ... on AcquireJobPayload { job { id } lease { token } } ... on Error { message } } }`,
      );
      const { job, lease } = payload(acquireNextJob, "AcquireJobPayload");
      const { startJob } = await graphql<{ startJob: Reply }>(
        server,
        node,
        `mutation ($id: ID!, $lease: String!) { startJob(id: $id, leaseToken: $lease) { __typename ... on Error { message } } }`,
        { id: job.id, lease: lease.token },
      );
      payload(startJob, "LeasePayload");

      const browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      try {
        await page.goto(server.graphqlUrl);
        const editor = page.locator(".graphiql-query-editor");
        await editor.filter({ hasText: "query RecentJobs" }).waitFor({ timeout: 20_000 });
        const run = page.getByRole("button", { name: /^Execute query/ });

        await run.click();
        await paneShows(page, `"jobs": { "totalCount": ${jobs.totalCount},`);
        await paneShows(page, `"name": "${jobs.edges[0]!.node.name}"`);

        await page.getByRole("button", { name: "New tab" }).click();
        await editor.locator(".view-lines").click();
        await page.keyboard.press("Control+A");
        // insertText, not type: the editor would close each bracket typed a second time.
        await page.keyboard.insertText(`subscription Progress { jobProgress(id: "${job.id}") { kind progress detail } }`);
        // GraphiQL reads the operation from the editor a moment after an edit; run before that, it
        // looks for the previous tab's operation. The tab is named after the operation once read.
        await page.locator(".graphiql-tab-button", { hasText: "Progress" }).waitFor();
        await run.click();
        // The first message is the state at subscription time.
        await paneShows(page, `"jobProgress"`);

        for (const step of [1, 2, 3]) {
          const progress = step / 4;
          const { reportJobProgress } = await graphql<{ reportJobProgress: Reply }>(
            server,
            node,
            `mutation ($id: ID!, $lease: String!, $progress: Float!, $detail: JSON) {
              reportJobProgress(id: $id, leaseToken: $lease, progress: $progress, detail: $detail) { __typename ... on Error { message } } }`,
            { id: job.id, lease: lease.token, progress, detail: { step } },
          );
          payload(reportJobProgress, "LeasePayload");
          // Each report must reach the page before the next is sent: updates arriving, one by one.
          await paneShows(page, `"progress": ${progress}`);
          await paneShows(page, `"step": ${step}`);
        }
      } finally {
        // Taken whatever happened: on a failure it shows what the page showed.
        mkdirSync(path.dirname(screenshot), { recursive: true });
        await page.screenshot({ path: screenshot });
        await browser.close();
      }
    },
  );
});
