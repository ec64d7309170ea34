// The dashboard (web/) as a person uses it, in headless Chromium (Debian's package, driven by
// playwright-core), against a listening gateway that trusts the dashboard's manifest as `npm
// start` does: the token entered once, a job created through the API appearing in the table
// without a reload, its progress bar moving as a worker node reports, its log tailing and its
// output saved as a file, a cancel from the job's page reaching the worker, a bulk cancel by
// filter driven by keyboard, and the page in a narrow window. Screenshots go to test-results/.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../src/db/migrate.js";
import { schema } from "../../src/graphql/schema.js";
import { DASHBOARD_MANIFEST, manifestsToTrust, TrustedDocuments } from "../../src/graphql/trusted-documents.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";
import { createTestNode, type TestNode } from "../helpers/principals.js";
import { AddJobOutput, multipartUpload, uploadVariables } from "../helpers/uploads.js";

const chromiumPath = "/usr/bin/chromium";
const haveChromium = existsSync(chromiumPath);
if (!haveChromium) {
  // A skip must be seen: a machine without a browser has not shown that the dashboard works.
  console.warn(`SKIPPED test/browser/dashboard.test.ts: ${chromiumPath} is missing; install Debian's chromium package (.ci/run does when it may)`);
}

const results = path.join(projectRoot, "test-results");

let database: TestDatabase;
let api: TestApi;
let base: string;
let node: TestNode;
let templateId: string;
let browser: Browser | undefined;
let context: BrowserContext | undefined;
/** Console errors and page errors: a policy violation or a failed request shows up here. */
const problems: string[] = [];

beforeAll(async () => {
  if (!haveChromium) return;
  expect(existsSync(DASHBOARD_MANIFEST), "the dashboard is built (npm test builds it)").toBe(true);
  database = await createTestDatabase();
  api = await createTestApi(database, { trustedDocuments: await TrustedDocuments.load(manifestsToTrust([]), schema, false) });
  base = `http://127.0.0.1:${(await api.app.start(0, "127.0.0.1")).port}`;
  node = await createTestNode(database.db);
  templateId = (await createTemplate(database.db, "render")).id;
  mkdirSync(results, { recursive: true });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await api?.app.stop();
});

/** A worker node's call, failing the test on a transport or GraphQL error. */
async function asNode(query: string, variables: Record<string, unknown>) {
  return sendText(api, query, variables, node.secret);
}

/** A page in the one browser context of the run, which keeps the token entered in the first. */
async function openPage(width = 1280): Promise<Page> {
  context ??= await browser!.newContext();
  const page = await context.newPage();
  await page.setViewportSize({ width, height: 900 });
  page.on("console", (message) => message.type() === "error" && problems.push(`console: ${message.text()}`));
  page.on("pageerror", (error) => problems.push(`page: ${error.message}`));
  return page;
}

describe.runIf(haveChromium)("the dashboard", () => {
  let page: Page;

  it("asks for a token once, then shows the jobs", async () => {
    page = await openPage();
    const response = await page.goto(`${base}/`);
    expect(response!.headers()["content-security-policy"]).toContain("script-src 'self'");
    await page.getByLabel("API token").fill(api.admin.secret);
    await page.getByRole("button", { name: "Open the dashboard" }).click();
    await page.getByRole("heading", { name: /^Jobs/ }).waitFor();
    // Kept in the browser: a reload opens the dashboard without asking again.
    await page.reload();
    await page.getByRole("heading", { name: /^Jobs/ }).waitFor();
    await expect(page.getByLabel("API token").count()).resolves.toBe(0);
  }, 30_000);

  it("shows a job created through the API without a reload, and moves its progress bar as the worker reports", async () => {
    const answer = await sendText(api, 'mutation { createJob(input: { templateName: "render", name: "frames 1-8", inputs: [{ name: "dataset", value: "s3://frames" }] }) { __typename ... on CreateJobPayload { job { id } } } }');
    const id = (answer.createJob as unknown as { job: { id: string } }).job.id;
    const row = page.locator(`tr[data-job="${id}"]`);
    await row.waitFor({ timeout: 10_000 });
    await row.getByText("queued").waitFor();
    const acquired = await asNode("mutation($id: ID!) { acquireJob(id: $id) { __typename ... on AcquireJobPayload { lease { token } } } }", { id });
    const lease = (acquired.acquireJob as unknown as { lease: { token: string } }).lease.token;
    await row.getByText("acquired").waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(results, "dashboard-jobs.png") });

    await asNode("mutation($id: ID!, $lease: String!) { startJob(id: $id, leaseToken: $lease) { __typename } }", { id, lease });
    const report = (progress: number) =>
      asNode("mutation($id: ID!, $lease: String!, $p: Float!) { reportJobProgress(id: $id, leaseToken: $lease, progress: $p) { __typename } }", { id, lease, p: progress });
    const bar = row.getByRole("progressbar");
    for (const progress of [0.25, 0.6]) {
      expect((await report(progress)).reportJobProgress!.__typename).toBe("LeasePayload");
      await expect.poll(() => bar.getAttribute("value"), { timeout: 10_000 }).toBe(String(progress));
    }
    await row.getByText("running").waitFor();

    // An output, to download from the job's page.
    const content = "frame,checksum\n1,abc\n";
    const upload = multipartUpload({ query: AddJobOutput, variables: uploadVariables({ jobId: id, name: "frames", type: "csv", leaseToken: lease, contentType: "text/csv" }) }, Buffer.from(content));
    const uploaded = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { authorization: `Bearer ${node.secret}`, "content-type": upload.contentType, "graphql-preflight": "1" },
      body: upload.body,
      duplex: "half",
    } as RequestInit);
    expect(((await uploaded.json()) as { data: { addJobOutput: { __typename: string } } }).data.addJobOutput.__typename).toBe("AddJobOutputPayload");

    // The job's page: its fields at once, its history after, and a cancel that reaches the worker.
    await row.getByRole("link", { name: /^#\d+$/ }).click();
    await page.getByRole("heading", { name: /^Job #/ }).waitFor();
    await page.getByRole("heading", { name: "Events" }).waitFor();
    await page.getByText("60%").first().waitFor();
    // Its log, as the worker writes it.
    const logged = await asNode("mutation($input: AppendJobLogInput!) { appendJobLog(input: $input) { __typename } }", {
      input: { job: id, leaseToken: lease, lines: [{ line: "rendering frame 1", stream: "STDOUT" }, { line: "frame 1 done", stream: "STDOUT" }] },
    });
    expect(logged.appendJobLog!.__typename).toBe("AppendJobLogPayload");
    await page.locator("pre.log").filter({ hasText: "frame 1 done" }).waitFor({ timeout: 10_000 });
    // Its output, saved as a file with the content the worker uploaded.
    const saving = page.waitForEvent("download");
    await page.getByRole("button", { name: "frames.csv" }).click();
    const saved = await saving;
    expect(saved.suggestedFilename()).toBe("frames.csv");
    expect(readFileSync((await saved.path())!, "utf8")).toBe(content);
    await page.locator(".actions").getByRole("button", { name: "Cancel", exact: true }).click();
    await page.locator(".summary .status-cancelled").waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(results, "dashboard-job.png"), fullPage: true });
    // Every action button is enabled exactly when the API's viewerCan* flag says so, before and
    // after a soft delete from the page.
    const buttonsMatchFlags = async () => {
      const flags = (await sendText(api, "query($id: ID!) { job(id: $id) { viewerCanCancel viewerCanReset viewerCanDelete viewerCanReinstate } }", { id })).job as unknown as Record<string, boolean>;
      for (const action of ["Cancel", "Reset", "Delete", "Reinstate"]) {
        await expect.poll(() => page.locator(".actions").getByRole("button", { name: action, exact: true }).isEnabled(), { timeout: 10_000 }).toBe(flags[`viewerCan${action}`]);
      }
      return flags;
    };
    expect(await buttonsMatchFlags()).toMatchObject({ viewerCanCancel: false, viewerCanDelete: true, viewerCanReinstate: false });
    await page.locator(".actions").getByRole("button", { name: "Delete", exact: true }).click();
    await page.getByText(/^Deleted/).waitFor({ timeout: 10_000 });
    expect(await buttonsMatchFlags()).toMatchObject({ viewerCanDelete: false, viewerCanReinstate: true });
    await page.locator(".actions").getByRole("button", { name: "Reinstate", exact: true }).click();
    await expect.poll(async () => (await buttonsMatchFlags()).viewerCanDelete, { timeout: 10_000 }).toBe(true);
    // The worker learns it at its next report: its lease is gone.
    expect((await report(0.7)).reportJobProgress!.__typename).not.toBe("LeasePayload");
    expect((await sendText(api, "query($id: ID!) { job(id: $id) { status } }", { id })).job).toEqual({ status: "CANCELLED" });
  }, 60_000);

  it("cancels every job a filter matches after a dry run says how many", async () => {
    await createJobs(database.db, templateId, 3);
    await page.goto(`${base}/#/jobs`);
    // By keyboard: the filter's checkbox focused and ticked with the space bar.
    await page.getByRole("checkbox", { name: "queued" }).focus();
    await page.keyboard.press("Space");
    await expect.poll(() => page.locator("table.jobs tbody tr[data-job]").count(), { timeout: 10_000 }).toBe(3);
    await page.getByRole("button", { name: "Cancel all matching…" }).click();
    await page.getByRole("button", { name: "Yes, cancel 3" }).click();
    await page.getByRole("status").filter({ hasText: "Cancelled 3 jobs." }).waitFor();
    await expect.poll(() => page.locator("table.jobs tbody tr[data-job]").count(), { timeout: 10_000 }).toBe(0);
    expect(await database.db.job.count({ where: { status: "QUEUED" } })).toBe(0);
  }, 30_000);

  it("every control has a name, and the page fits a narrow screen", async () => {
    const unnamed = await page.evaluate(() =>
      [...document.querySelectorAll("input, select, button, a")]
        .filter((element) => {
          const labelled = (element as HTMLInputElement).labels?.length || element.getAttribute("aria-label") || element.textContent?.trim();
          return !labelled;
        })
        .map((element) => element.outerHTML),
    );
    expect(unnamed).toEqual([]);
    const narrow = await openPage(390);
    await narrow.goto(`${base}/#/jobs`);
    await narrow.getByRole("heading", { name: /^Jobs/ }).waitFor();
    // The status and the progress of each row stay in view without scrolling sideways.
    const progress = narrow.locator("table.jobs tbody tr[data-job] progress").first();
    await progress.waitFor();
    const box = await progress.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    await narrow.screenshot({ path: path.join(results, "dashboard-narrow.png") });
    for (const view of ["queues", "nodes", "templates"]) {
      await narrow.goto(`${base}/#/${view}`);
      await narrow.locator("table tbody tr").first().waitFor();
    }
    expect(problems).toEqual([]);
  }, 30_000);
});
