// Which operations run compiled (src/graphql/compiled-queries.ts): queries whose variables coerce;
// mutations, subscriptions, and queries with bad variables run through
// graphql-js (the execute function yoga had), which answers the latter as a request error.
import { parse, type DocumentNode } from "graphql";
import { describe, expect, it, vi } from "vitest";
import { useCompiledQueries } from "../../src/graphql/compiled-queries.js";
import { schema } from "../../src/graphql/schema.js";

type OnExecute = (payload: { args: object; executeFn: (args: object) => unknown; setExecuteFn: (fn: unknown) => void }) => void;

/** What yoga's execute would have answered (graphql-js): marked, so that a test can see it ran. */
const GRAPHQL_JS = { data: null, errors: [{ message: "graphql-js" }] };

function execute(plugin: ReturnType<typeof useCompiledQueries>, document: DocumentNode, variableValues: Record<string, unknown> = {}) {
  const setExecuteFn = vi.fn();
  const contextValue = { viewer: null, settings: { maxPageSize: 100, defaultPageSize: 20, leaseSeconds: 60 } };
  const args = { schema, document, variableValues, contextValue };
  (plugin.onExecute as unknown as OnExecute)({ args, executeFn: () => GRAPHQL_JS, setExecuteFn });
  return setExecuteFn;
}

const PAGE = parse(`query Page($first: Int) { jobs(first: $first) { edges { node { id status } } } }`);

describe("compiled queries", () => {
  it("run a query compiled, every time it comes", async () => {
    const plugin = useCompiledQueries();
    const first = execute(plugin, PAGE, { first: 5 });
    const second = execute(plugin, PAGE, { first: 6 });
    expect(first).toHaveBeenCalledOnce();
    expect(second).toHaveBeenCalledOnce();
    // The compiled query runs the schema's resolvers: with no viewer, its scopes refuse it.
    const result = await (first.mock.calls[0]![0] as () => Promise<{ errors?: Array<{ message: string }> }>)();
    expect(result.errors?.[0]?.message).toBe("you may not read this");
  });

  it("leave mutations and subscriptions to graphql-js", () => {
    const plugin = useCompiledQueries();
    expect(execute(plugin, parse(`mutation { releaseJob(id: "x", leaseToken: "y") { __typename } }`))).not.toHaveBeenCalled();
    expect(execute(plugin, parse(`subscription { jobProgress(id: "x") { progress } }`))).not.toHaveBeenCalled();
  });

  it("leave a query whose variables do not coerce to graphql-js, which refuses the request", async () => {
    const compiled = execute(useCompiledQueries(), PAGE, { first: "many" });
    expect(compiled).toHaveBeenCalledOnce();
    expect(await (compiled.mock.calls[0]![0] as (args: object) => unknown)({})).toBe(GRAPHQL_JS);
  });
});
