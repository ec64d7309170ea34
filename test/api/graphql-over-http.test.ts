// The GraphQL-over-HTTP conformance audits of graphql-http, run against a listening server: every
// MUST passes for an authenticated client, and a client without a token gets JSON errors, never HTML.
//
// Audits that are not "ok", and why (pinned by the second test below):
// - 5A70 MAY accept application/x-www-form-urlencoded formatted GET requests
// - D6D5 MAY allow URL-encoded JSON string {variables} parameter in GETs when accepting application/graphql-response+json
// - 6A70 MAY allow URL-encoded JSON string {variables} parameter in GETs when accepting application/json
//   All three are notices: their GETs carry no CSRF header, which CSRF prevention answers with 403
//   by design (a browser sends such a GET from any page); with the header they pass.
import { serverAudits, type AuditResult } from "graphql-http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApi, type TestApi } from "../helpers/api.js";
import { createTestDatabase } from "../helpers/db.js";

/** A fetch that sends the given headers on every request, over those the audit sets itself. */
function fetchWith(extra: () => Record<string, string>) {
  return (input: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(extra())) headers.set(name, value);
    return fetch(input, { ...init, headers });
  };
}

function outcome(result: AuditResult): string {
  return result.status === "ok" ? "ok" : `${result.status}: ${result.reason} (HTTP ${result.response.status})`;
}

const CSRF_NOTICES = ["5A70", "D6D5", "6A70"];

describe("GraphQL over HTTP", () => {
  let api: TestApi;
  // The audits are listed when the file is collected and read the URL and token when they run.
  let url = "";
  const asAdmin = fetchWith(() => ({ authorization: `Bearer ${api.admin.secret}` }));
  const audits = serverAudits({ url: () => url, fetchFn: asAdmin });

  beforeAll(async () => {
    api = await createTestApi(await createTestDatabase());
    const address = await api.app.start(0, "127.0.0.1");
    url = `http://127.0.0.1:${address.port}/graphql`;
  });

  afterAll(async () => {
    await api.app.stop();
  });

  for (const audit of audits.filter((a) => a.name.startsWith("MUST"))) {
    it(`${audit.id} ${audit.name}`, async () => {
      expect(outcome(await audit.fn())).toBe("ok");
    });
  }

  it("passes every SHOULD and MAY audit but the GETs that CSRF prevention refuses", async () => {
    const notOk: string[] = [];
    for (const audit of audits.filter((a) => !a.name.startsWith("MUST"))) {
      const result = await audit.fn();
      if (result.status !== "ok") notOk.push(`${result.id} ${outcome(result)}`);
    }
    expect(notOk).toEqual(CSRF_NOTICES.map((id) => `${id} notice: Response status code is not 200 (HTTP 403)`));

    const withCsrfHeader = serverAudits({
      url,
      fetchFn: fetchWith(() => ({ authorization: `Bearer ${api.admin.secret}`, "x-graphql-yoga-csrf": "1" })),
    }).filter((audit) => CSRF_NOTICES.includes(audit.id));
    expect(withCsrfHeader).toHaveLength(CSRF_NOTICES.length);
    for (const audit of withCsrfHeader) expect(`${audit.id} ${outcome(await audit.fn())}`).toBe(`${audit.id} ok`);
  });

  it("answers the whole suite without a token with JSON errors: 401 wherever the admin got data", async () => {
    type Seen = { audit: string; status: number; contentType: string; authenticate: string | null; body: string };
    async function runSuite(token: string | null): Promise<Seen[]> {
      const seen: Seen[] = [];
      let current = "";
      const send = fetchWith((): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {}));
      const fetchFn = async (input: string, init: RequestInit = {}) => {
        const response = await send(input, init);
        seen.push({
          audit: current,
          status: response.status,
          contentType: response.headers.get("content-type") ?? "",
          authenticate: response.headers.get("www-authenticate"),
          body: await response.clone().text(),
        });
        return response;
      };
      for (const audit of serverAudits({ url, fetchFn })) {
        current = `${audit.id} ${audit.name}`;
        await audit.fn();
      }
      return seen;
    }

    const admin = await runSuite(api.admin.secret);
    const anonymous = await runSuite(null);
    expect(anonymous.map((s) => s.audit)).toEqual(admin.map((s) => s.audit));

    type Body = { data?: unknown; errors?: { extensions?: { code?: string } }[] };
    const json = (text: string): Body | undefined => {
      try {
        return JSON.parse(text) as Body;
      } catch {
        return undefined;
      }
    };
    const problems: string[] = [];
    let refused = 0;
    anonymous.forEach((seen, i) => {
      const body = json(seen.body);
      const problem = (what: string) => problems.push(`${seen.audit}: ${what} (HTTP ${seen.status}, ${seen.contentType})`);
      if (!/^application\/(graphql-response\+)?json\b/.test(seen.contentType)) problem("not a JSON content type");
      if (!Array.isArray(body?.errors) || !body.errors.length) problem("no JSON errors array");
      if (body?.data != null) problem("data without a token");
      // The admin's answer tells which requests were valid GraphQL; only parse and validation
      // failures may be answered before authentication.
      if (json(admin[i]!.body)?.data != null) {
        refused++;
        if (seen.status !== 401) problem("expected 401");
        if (!seen.authenticate?.startsWith("Bearer")) problem("no WWW-Authenticate: Bearer");
        if (body?.errors?.[0]?.extensions?.code !== "UNAUTHENTICATED") problem("no UNAUTHENTICATED code");
      }
    });
    expect(problems).toEqual([]);
    expect(refused).toBeGreaterThan(0);
  });
});
