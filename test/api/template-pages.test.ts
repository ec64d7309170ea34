// A page of templates with each one's creator, newest jobs and how many it has: the answer, and how
// PostgreSQL reads it. One statement: the templates with their counts, creators and first jobs.
// Each template's jobs and count come from jobs_template_page_idx (not deleted jobs, in the page's
// order), so the count reads no table page and the page of jobs reads five rows (and the one that
// says whether more follow) rather than every job of the template.
import { beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { createTestApi, sendText, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";

const TEMPLATES = 4;
const JOBS_PER_TEMPLATE = 1500;
const DELETED_EVERY = 7;

const TemplatesWithJobs = `{
  jobTemplates(first: 10, filter: { executor: "python" }) {
    totalCount
    edges { node { name creator { name } jobs(first: 5) { totalCount edges { node { id name } } } } }
  }
}`;

type Answer = { jobTemplates: { totalCount: number; edges: Array<{ node: { name: string; creator: { name: string } | null; jobs: { totalCount: number; edges: Array<{ node: { id: string; name: string } }> } } }> } };

describe("a page of templates with their jobs", () => {
  let database: TestDatabase;
  let api: TestApi;
  const expected = new Map<string, { creator: string | null; count: number; newest: string[] }>();

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    for (let t = 0; t < TEMPLATES; t++) {
      const made = await createTemplate(database.db, `template-${t}`);
      // Every other template by the admin, the others by no one (made before users were).
      const template = t % 2 ? made : await database.db.jobTemplate.update({ where: { id: made.id }, data: { creatorId: api.admin.id } });
      // Jobs made one second apart, newest last; every seventh deleted, the newest among them.
      const deleted = (i: number) => (JOBS_PER_TEMPLATE - 1 - i) % DELETED_EVERY === 0;
      const ids = await createJobs(database.db, template.id, JOBS_PER_TEMPLATE, { spec: (i) => (deleted(i) ? { deletedAt: new Date() } : {}) });
      const kept = ids.filter((_, i) => !deleted(i));
      expected.set(template.name, { creator: template.creatorId ? api.admin.name : null, count: kept.length, newest: kept.slice(-5).reverse().map((id) => encodeGlobalId("Job", id)) });
    }
    // As a table that has been in use a while: statistics made, pages marked all-visible.
    await database.pool.query("vacuum analyze jobs");
  }, 120_000);

  it("holds each template's five newest jobs that are not deleted, and how many it has", async () => {
    const data = (await sendText(api, TemplatesWithJobs)) as unknown as Answer;
    expect(data.jobTemplates.totalCount).toBe(TEMPLATES);
    expect(data.jobTemplates.edges).toHaveLength(TEMPLATES);
    for (const { node } of data.jobTemplates.edges) {
      expect(node.creator?.name ?? null, node.name).toBe(expected.get(node.name)!.creator);
      expect(node.jobs.totalCount, node.name).toBe(expected.get(node.name)!.count);
      expect(node.jobs.edges.map((e) => e.node.id), node.name).toEqual(expected.get(node.name)!.newest);
    }
  });

  it("reads the page in one statement: templates with their counts, creators and first jobs", async () => {
    database.counter.reset();
    await sendText(api, TemplatesWithJobs);
    const statements = database.counter.statements.filter((sql) => !/\/\* (authenticate|touchToken) \*\//.test(sql));
    expect(statements, statements.join("\n---\n")).toHaveLength(1);
    expect(statements[0]).toMatch(/left join users/);
    expect(statements[0]).toMatch(/as "firstJobs"/);
  });

  it("reads each template's jobs and count through jobs_template_page_idx, without reading or sorting all its jobs", async () => {
    database.counter.reset();
    await sendText(api, TemplatesWithJobs);
    const reads = database.counter.statements
      .map((text, at) => ({ text, values: database.counter.parameters[at] }))
      .filter(({ text }) => /\bjobs j\b|\bjobs x\b/.test(text));
    // The page of templates with each one's count and first jobs.
    expect(reads.map((r) => r.text), database.counter.statements.join("\n---\n")).toHaveLength(1);
    for (const { text, values } of reads) {
      const { rows } = await database.pool.query({ text: `explain (analyze, format json) ${text}`, values });
      const plan = JSON.stringify(rows[0]["QUERY PLAN"]);
      expect(plan, text).toMatch(/"Index Name":"jobs_template_page_idx"/);
      expect(plan, text).not.toMatch(/"Index Name":"jobs_template_id_idx"/);
      expect(plan, text).not.toMatch(/"Relation Name":"jobs"[^}]*"Node Type":"Seq Scan"|"Node Type":"Seq Scan"[^}]*"Relation Name":"jobs"/);
      // The counts read the index alone; each template's page reads its five rows and the one that
      // says whether more follow.
      const fetched = [...plan.matchAll(/"Heap Fetches":(\d+)/g)].map((m) => Number(m[1]));
      expect(fetched.every((n) => n === 0), text).toBe(true);
      if (/\bjobs j\b/.test(text)) {
        const rowsRead = [...plan.matchAll(/"Index Name":"jobs_template_page_idx"[^{}]*?"Actual Rows":([\d.]+)/g)].map((m) => Number(m[1]));
        expect(rowsRead, plan).toContain(6);
      }
    }
  });
});
