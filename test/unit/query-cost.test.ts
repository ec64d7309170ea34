// QueryCosts (src/graphql/query-cost.ts): an operation's cost, remembered by its document and the
// values its page-size variables take, marks a context within the limit (so the complexity plugin
// skips its own walk) and never one over it, nor one it cannot price.
import { randomUUID } from "node:crypto";
import { parse } from "graphql";
import { complexityFromQuery } from "@pothos/plugin-complexity";
import { describe, expect, it } from "vitest";
import { defaultLimits } from "../../src/config.js";
import type { Context } from "../../src/graphql/context.js";
import { encodeGlobalId } from "../../src/graphql/global-id.js";
import { costChecked, QueryCosts } from "../../src/graphql/query-cost.js";
import { schema } from "../../src/graphql/schema.js";

const context = (maxCost: number) =>
  ({ viewer: null, limits: { ...defaultLimits, maxCost }, settings: { maxPageSize: 1000, defaultPageSize: 20, leaseSeconds: 60 } }) as unknown as Context;

const PAGE = parse(`
  query Page($first: Int, $tasks: Int, $search: String) {
    jobs(first: $first, filter: { search: $search }) { edges { node { id tasks(first: $tasks) { edges { node { name } } } } } }
  }
  query Other { viewer { name } }`);
/** The Page operation alone, as complexityFromQuery prices a document's first operation. */
const SINGLE = parse(`query Page($first: Int, $tasks: Int, $search: String) {
  jobs(first: $first, filter: { search: $search }) { edges { node { id tasks(first: $tasks) { edges { node { name } } } } } } }`);

describe("query costs", () => {
  it("price an operation as the complexity plugin does", () => {
    const costs = new QueryCosts(schema);
    const variables = { first: 10, tasks: 22 };
    const ctx = context(1_000_000);
    costs.check(PAGE, "Page", variables, ctx);
    expect(costChecked(ctx)).toBe(true);
    const cost = complexityFromQuery(SINGLE, { schema, ctx, variables }).complexity;
    const atLimit = context(cost);
    costs.check(PAGE, "Page", variables, atLimit);
    expect(costChecked(atLimit)).toBe(true);
    const belowLimit = context(cost - 1);
    costs.check(PAGE, "Page", variables, belowLimit);
    expect(costChecked(belowLimit)).toBe(false);
  });

  it("remember a cost by the page sizes only: other variables do not change it, page sizes do", () => {
    const costs = new QueryCosts(schema);
    // The limit is the cost of 10 jobs with 20 tasks each: 30 tasks each is over it.
    const limit = complexityFromQuery(SINGLE, { schema, ctx: context(0), variables: { first: 10, tasks: 20 } }).complexity;
    const cheap = context(limit);
    costs.check(PAGE, "Page", { first: 10, tasks: 20, search: "a" }, cheap);
    expect(costChecked(cheap)).toBe(true);
    const otherSearch = context(limit);
    costs.check(PAGE, "Page", { first: 10, tasks: 20, search: "b" }, otherSearch);
    expect(costChecked(otherSearch)).toBe(true);
    const morePages = context(limit);
    costs.check(PAGE, "Page", { first: 10, tasks: 30, search: "a" }, morePages);
    expect(costChecked(morePages)).toBe(false);
  });

  it("tell a page size left out, whose default applies, from one sent as null", () => {
    const costs = new QueryCosts(schema);
    const DEFAULTED = parse(`query Defaulted($first: Int = 500) { jobs(first: $first) { edges { node { id tasks { edges { node { name } } } } } } }`);
    const limit = complexityFromQuery(DEFAULTED, { schema, ctx: context(0), variables: { first: null } }).complexity;
    expect(complexityFromQuery(DEFAULTED, { schema, ctx: context(0), variables: {} }).complexity).toBeGreaterThan(limit);
    const sentNull = context(limit);
    costs.check(DEFAULTED, "Defaulted", { first: null }, sentNull);
    expect(costChecked(sentNull)).toBe(true);
    const leftOut = context(limit);
    costs.check(DEFAULTED, "Defaulted", {}, leftOut);
    expect(costChecked(leftOut)).toBe(false);
  });

  it("price the operation named, and leave alone what they cannot price", () => {
    const costs = new QueryCosts(schema);
    const other = context(5);
    costs.check(PAGE, "Other", {}, other);
    expect(costChecked(other)).toBe(true);
    const unnamed = context(1_000_000);
    costs.check(PAGE, undefined, {}, unnamed);
    expect(costChecked(unnamed)).toBe(false);
    const badVariables = context(1_000_000);
    costs.check(PAGE, "Page", { first: "many" }, badVariables);
    expect(costChecked(badVariables)).toBe(false);
  });

  it("remember costs within bounded bytes, however long the ids lists they are keyed by", () => {
    const costs = new QueryCosts(schema);
    const NODES = parse(`query Nodes($ids: [ID!]!) { nodes(ids: $ids) { id } }`);
    // Each key holds a list of 900 global IDs of 56 characters: 50 KB, 60 of them 3 MB.
    for (let i = 0; i < 60; i++) {
      const ids = Array.from({ length: 900 }, () => encodeGlobalId("Job", randomUUID()));
      const ctx = context(1_000_000);
      costs.check(NODES, "Nodes", { ids }, ctx);
      expect(costChecked(ctx)).toBe(true);
    }
    expect(costs.usage.bytes).toBeGreaterThan(0);
    expect(costs.usage.bytes).toBeLessThanOrEqual(costs.usage.maxBytes);
    expect(costs.usage.entries).toBeLessThan(60);
  });
});

