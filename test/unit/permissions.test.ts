// The rule table: which principal may take which action on a job, in which state.
import { describe, expect, it } from "vitest";
import type { JobStatus } from "../../src/db/generated/prisma/enums.js";
import { allowedFrom, stateAllows, type JobAction } from "../../src/domain/lifecycle.js";
import { can, mayActOn, type JobRef } from "../../src/domain/permissions.js";
import type { Principal } from "../../src/domain/principal.js";

const admin: Principal = { kind: "USER", userId: "admin", name: "admin", role: "ADMIN", tokenId: "t1" };
const creator: Principal = { kind: "USER", userId: "alice", name: "alice", role: "USER", tokenId: "t2" };
const stranger: Principal = { kind: "USER", userId: "bob", name: "bob", role: "USER", tokenId: "t3" };
const holder: Principal = { kind: "NODE", nodeId: "n1", name: "n1", tokenId: "t4" };
const otherNode: Principal = { kind: "NODE", nodeId: "n2", name: "n2", tokenId: "t5" };

const job = (status: JobStatus, overrides: Partial<JobRef> = {}): JobRef => ({
  status,
  deletedAt: null,
  creatorId: "alice",
  nodeId: status === "ACQUIRED" || status === "RUNNING" ? "n1" : null,
  ...overrides,
});

const principals = { admin, creator, stranger, holder, otherNode, anonymous: null };
type Who = keyof typeof principals;

// Who may take each action on a RUNNING job held by n1 and created by alice (roles only; whether
// the state allows it is the lifecycle table's business).
const expected: Record<JobAction, Who[]> = {
  acquire: ["holder", "otherNode"],
  release: ["admin", "holder"],
  start: ["admin", "holder"],
  reportProgress: ["admin", "holder"],
  renewLease: ["admin", "holder"],
  finish: ["admin", "holder"],
  reset: ["admin", "holder", "creator"],
  cancel: ["admin", "creator"],
  update: ["admin", "creator"],
  delete: ["admin", "creator"],
  reinstate: ["admin", "creator"],
  abort: ["admin"],
  hardDelete: ["admin"],
  addOutput: ["admin", "holder"],
  deleteOutput: ["admin", "holder"],
};

describe("the rule table", () => {
  it.each(Object.entries(expected))("lets exactly the right callers %s", (action, allowed) => {
    const who = (Object.keys(principals) as Who[]).filter((w) =>
      mayActOn(principals[w], action as JobAction, job("RUNNING")),
    );
    expect(who.sort()).toEqual([...allowed].sort());
  });

  it("makes a node the holder only while the job is ACQUIRED or RUNNING", () => {
    expect(mayActOn(holder, "reset", job("SUCCEEDED", { nodeId: "n1" }))).toBe(false);
    expect(mayActOn(holder, "reset", job("ACQUIRED"))).toBe(true);
  });

  it("never lets a job without a creator be acted on as its creator", () => {
    expect(mayActOn(creator, "cancel", job("QUEUED", { creatorId: null }))).toBe(false);
  });
});

describe("the lifecycle table", () => {
  const statuses: JobStatus[] = ["QUEUED", "ACQUIRED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"];

  it.each(Object.entries(allowedFrom))("allows %s from exactly its states", (action, from) => {
    for (const status of statuses) {
      expect(stateAllows(action as JobAction, { status, deletedAt: null })).toBe(
        action !== "reinstate" && from.includes(status),
      );
    }
  });

  it("takes soft-deleted jobs out of the lifecycle until reinstated", () => {
    const deleted = { status: "QUEUED" as const, deletedAt: new Date() };
    expect(stateAllows("acquire", deleted)).toBe(false);
    expect(stateAllows("cancel", deleted)).toBe(false);
    expect(stateAllows("delete", deleted)).toBe(false);
    expect(stateAllows("reinstate", deleted)).toBe(true);
    expect(stateAllows("hardDelete", deleted)).toBe(true);
  });

  it("combines both in can()", () => {
    expect(can(creator, "cancel", job("QUEUED"))).toBe(true);
    expect(can(creator, "cancel", job("SUCCEEDED"))).toBe(false);
    expect(can(admin, "abort", job("QUEUED"))).toBe(false);
    expect(can(admin, "abort", job("RUNNING"))).toBe(true);
    expect(can(null, "cancel", job("QUEUED"))).toBe(false);
  });
});
