// A page read with its totalCount carries the count on each of its rows. An empty first page (no
// cursor, room for rows) shows the count is 0 and costs no statement of its own; an empty page
// after a cursor, or a page of no rows, shows nothing about the count, which must then still be
// read and be right. Each kind of list with its count in its page's statement is covered: jobs and
// the lists read by pageOfRows (users, templates, schedules), forward and backward.
import { beforeAll, describe, expect, it } from "vitest";
import { createTestApi, sendCounted, type TestApi } from "../helpers/api.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { createJobs, createTemplate } from "../helpers/fixtures.js";

type Page = { totalCount: number; pageInfo: { endCursor: string | null; startCursor: string | null }; edges: unknown[] };

describe("an empty page and its totalCount", () => {
  let database: TestDatabase;
  let api: TestApi;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await createTestApi(database);
    const template = await createTemplate(database.db, "empty-pages", 1);
    await createJobs(database.db, template.id, 3, { spec: () => ({ queue: "empty-pages" }) });
    await database.db.user.createMany({ data: ["empty-pages-a", "empty-pages-b"].map((name) => ({ name, email: `${name}@example.com`, role: "USER" as const })) });
  });

  async function read(field: string, query: string, variables: Record<string, unknown> = {}) {
    const { data, statements } = await sendCounted(api, database, query, variables);
    return { page: data[field] as Page, statements };
  }

  const PAGE = "totalCount pageInfo { startCursor endCursor } edges { node { id } }";
  const LISTS = [
    { field: "jobs", matching: `filter: { queue: "empty-pages" }`, none: `filter: { queue: "no-such-queue" }`, total: 3 },
    { field: "users", matching: `filter: { nameContains: "empty-pages" }`, none: `filter: { nameContains: "no-such-user" }`, total: 2 },
    { field: "jobTemplates", matching: `filter: { name: "empty-pages" }`, none: `filter: { name: "no-such-template" }`, total: 1 },
  ];

  for (const list of LISTS) {
    it(`${list.field}: a filter that matches nothing is 0 in one statement, forward and backward`, async () => {
      for (const size of ["first: 5", "last: 5"]) {
        const { page, statements } = await read(list.field, `{ ${list.field}(${size}, ${list.none}) { ${PAGE} } }`);
        expect(page).toEqual({ totalCount: 0, pageInfo: { startCursor: null, endCursor: null }, edges: [] });
        expect(statements, statements.join("\n\n")).toHaveLength(1);
      }
    });

    it(`${list.field}: an empty page after the last row, or of no rows, still counts every row`, async () => {
      const whole = await read(list.field, `{ ${list.field}(first: 10, ${list.matching}) { ${PAGE} } }`);
      expect(whole.page.totalCount).toBe(list.total);
      expect(whole.page.edges).toHaveLength(list.total);
      expect(whole.statements).toHaveLength(1);

      const after = await read(list.field, `query($after: String) { ${list.field}(first: 5, after: $after, ${list.matching}) { ${PAGE} } }`, { after: whole.page.pageInfo.endCursor });
      expect(after.page.edges).toEqual([]);
      expect(after.page.totalCount).toBe(list.total);

      const before = await read(list.field, `query($before: String) { ${list.field}(last: 5, before: $before, ${list.matching}) { ${PAGE} } }`, { before: whole.page.pageInfo.startCursor });
      expect(before.page.edges).toEqual([]);
      expect(before.page.totalCount).toBe(list.total);

      const none = await read(list.field, `{ ${list.field}(first: 0, ${list.matching}) { ${PAGE} } }`);
      expect(none.page.edges).toEqual([]);
      expect(none.page.totalCount).toBe(list.total);
    });
  }
});
