// Which operations run compiled (src/graphql/compiled-queries.ts): queries whose variables coerce;
// mutations, subscriptions, and queries with bad variables run through
// graphql-js (the execute function yoga had), which answers the latter as a request error.
import { getOperationAST, parse, type DocumentNode } from "graphql";
import { compileQuery } from "graphql-jit";
import { describe, expect, it, vi } from "vitest";
import { CompiledQueries, compiledBytes, MAX_COMPILED_BYTES, useCompiledQueries } from "../../src/graphql/compiled-queries.js";
import { schema } from "../../src/graphql/schema.js";
import { largeDocuments } from "../helpers/large-documents.js";

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

  it("compile mutations, and leave subscriptions to graphql-js", () => {
    const plugin = useCompiledQueries();
    expect(execute(plugin, parse(`mutation { releaseJob(id: "x", leaseToken: "y") { __typename } }`))).toHaveBeenCalledOnce();
    expect(execute(plugin, parse(`subscription { jobProgress(id: "x") { progress } }`))).not.toHaveBeenCalled();
  });

  it("leave a query whose variables do not coerce to graphql-js, which refuses the request", async () => {
    const compiled = execute(useCompiledQueries(), PAGE, { first: "many" });
    expect(compiled).toHaveBeenCalledOnce();
    expect(await (compiled.mock.calls[0]![0] as (args: object) => unknown)({})).toBe(GRAPHQL_JS);
  });

  it("charge the document's cache once with what a compiled query keeps", () => {
    const charge = vi.fn();
    const compiled = new CompiledQueries(charge);
    expect(compiled.for(schema, PAGE, undefined)).not.toBeNull();
    expect(compiled.for(schema, PAGE, undefined)).not.toBeNull();
    expect(charge).toHaveBeenCalledOnce();
    expect(charge).toHaveBeenCalledWith(PAGE, compiledBytes(PAGE, getOperationAST(PAGE)!));
  });

  it("leave a query whose code would be too large to graphql-js, compiling nothing", () => {
    // 15 aliases of 20,000 characters over a nested page: every field's code spells out its path.
    const alias = (i: number) => `a${i}${"x".repeat(20_000)}`;
    const huge = parse(`query Huge { ${Array.from({ length: 15 }, (_, i) => `${alias(i)}: jobs(first: 1) { edges { node { id tasks { edges { node { name } } } } } }`).join(" ")} }`);
    expect(compiledBytes(huge, getOperationAST(huge)!)).toBeGreaterThan(MAX_COMPILED_BYTES);
    const charge = vi.fn();
    expect(new CompiledQueries(charge).for(schema, huge, undefined)).toBeNull();
    expect(charge).not.toHaveBeenCalled();
    expect(execute(useCompiledQueries(), huge)).not.toHaveBeenCalled();
  });

  it("estimate at least the code graphql-jit writes, for documents of every shape", () => {
    const documents = [
      PAGE,
      parse(`query Nested { jobs(first: 50) { edges { node { id name status template { name } tasks(first: 20) { edges { node { name status } } } } } } }`),
      parse(`query Spread { jobs { edges { node { ...J parent { ...J } children { edges { node { ...J } } } } } } } fragment J on Job { id name tasks { edges { node { id name } } } }`),
      ...[2_000, 60_000].flatMap((length) => largeDocuments(4, length, "estimate").map((text) => parse(text))),
    ];
    for (const document of documents) {
      const operation = getOperationAST(document)!;
      // graphql-jit hands its code out only with its undocumented debug option: fine for a test.
      const result = compileQuery(schema, document, undefined, { debug: true } as never) as { __DO_NOT_USE_THIS_OR_YOU_WILL_BE_FIRED_compilation?: string };
      const code = result.__DO_NOT_USE_THIS_OR_YOU_WILL_BE_FIRED_compilation;
      expect(code, operation.name?.value).toBeTypeOf("string");
      expect(compiledBytes(document, operation), operation.name?.value).toBeGreaterThan(code!.length);
    }
  });
});
