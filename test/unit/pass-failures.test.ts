// What a background pass (the schedule ticker, the retention, the demo worker) logs when it fails:
// each failure of its own with its stack; while the database cannot be used, which fails every
// pass alike, one line a minute saying how many failed so.
import { describe, expect, it } from "vitest";
import { passFailures } from "../../src/observability/request-log.js";

/** A logger that keeps what it is given at warn. */
function recording() {
  const lines: Array<{ fields: Record<string, unknown>; message: string }> = [];
  return { lines, logger: { warn: (fields: Record<string, unknown>, message: string) => lines.push({ fields, message }) } };
}

const unreachable = () => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });

describe("a background pass's failures", () => {
  it("are logged once a minute while the database cannot be used, without a stack, counting those not logged", () => {
    const { lines, logger } = recording();
    const failed = passFailures(logger as never, "a pass over the due schedules");
    for (let i = 0; i < 32; i++) failed(unreachable());
    expect(lines).toHaveLength(1);
    expect(lines[0]!.message).toBe("a pass over the due schedules failed: the database could not be used; the next one tries again");
    expect(lines[0]!.fields).toEqual({ err: { type: "Error", message: "connect ECONNREFUSED 127.0.0.1:5432", code: "ECONNREFUSED" }, failedPasses: 1 });
  });

  it("are logged each, with their stack, when they are the pass's own", () => {
    const { lines, logger } = recording();
    const failed = passFailures(logger as never, "a pass of the retention");
    failed(new Error("a bug"));
    failed(new Error("a bug"));
    expect(lines.map((line) => line.message)).toEqual(["a pass of the retention failed; the next one tries again", "a pass of the retention failed; the next one tries again"]);
    expect((lines[0]!.fields.err as { stack?: string }).stack).toContain("a bug");
  });
});
