// What src/db/rows.ts keeps of the statements it makes stays bounded: each distinct selection of a
// job's columns that clients send makes another select list and another statement text, and a
// prepared statement stays on every connection of the pool (and in its PostgreSQL backend).
import { describe, expect, it } from "vitest";
import { freshModule } from "../helpers/fresh.js";

// The caches are the process's: test files that ran before in this worker filled them (see
// vitest.config.ts, isolate). These tests count from empty ones, in a copy of the module of their own.
const { columnsOf, MAX_PREPARED_STATEMENTS, scalarFieldsOf, statementCaches, statementConfig } = await freshModule<typeof import("../../src/db/rows.js")>("src/db/rows.ts");

describe("statement caches", () => {
  it("prepare only the first MAX_PREPARED_STATEMENTS distinct texts; later ones run unnamed", () => {
    const named = (text: string) => (statementConfig(text, [], true) as unknown as { name?: string }).name;
    const first = named("select 0");
    expect(first).toMatch(/^jobgraph_[0-9a-f]{24}$/);
    for (let i = 1; i < MAX_PREPARED_STATEMENTS; i++) expect(named(`select ${i}`)).toBeDefined();
    expect(named(`select ${MAX_PREPARED_STATEMENTS}`)).toBeUndefined();
    // The ones prepared keep their names; unprepared ones stay unnamed.
    expect(named("select 0")).toBe(first);
    expect(named(`select ${MAX_PREPARED_STATEMENTS}`)).toBeUndefined();
    expect(statementCaches().preparedStatements.entries).toBe(MAX_PREPARED_STATEMENTS);
  });

  it("keep a bounded number of select lists, however many selections of columns come", () => {
    const fields = [...scalarFieldsOf("Job")];
    // Every non-empty subset of the first 12 columns: 4,095 distinct selections.
    for (let mask = 1; mask < 2 ** 12; mask++) {
      const selected = new Set(fields.slice(0, 12).filter((_, bit) => mask & (1 << bit)));
      expect(columnsOf("Job", "j", selected).split(", ")).toHaveLength(selected.size);
    }
    const { selectLists } = statementCaches();
    expect(selectLists.entries).toBeLessThanOrEqual(selectLists.maxEntries);
    expect(selectLists.bytes).toBeLessThanOrEqual(selectLists.maxBytes);
  });
});
