import { describe, expect, it } from "vitest";
import { decodeGlobalId, encodeGlobalId } from "../../src/graphql/global-id.js";

describe("global IDs", () => {
  const uuid = "0b7c6a8e-3f4d-4e5a-9b1c-2d3e4f5a6b7c";

  it("round-trips UUID-keyed and integer-keyed types", () => {
    expect(decodeGlobalId(encodeGlobalId("Job", uuid))).toEqual({ typename: "Job", id: uuid });
    expect(decodeGlobalId(encodeGlobalId("JobEvent", 42n))).toEqual({ typename: "JobEvent", id: "42" });
  });

  it("normalises the case of a UUID", () => {
    expect(decodeGlobalId(encodeGlobalId("Job", uuid.toUpperCase())).id).toBe(uuid);
  });

  it.each([
    ["not base64 of anything useful", "%%%"],
    ["no type", Buffer.from(`:${uuid}`).toString("base64")],
    ["a number for a UUID-keyed type", encodeGlobalId("Job", 7)],
    ["a UUID for an integer-keyed type", encodeGlobalId("JobEvent", uuid)],
    ["SQL in the key", encodeGlobalId("Job", "1' or '1'='1")],
    ["a key past PostgreSQL's bigint", encodeGlobalId("JobEvent", "9223372036854775808")],
  ])("refuses %s", (_case, globalId) => {
    expect(() => decodeGlobalId(globalId)).toThrow(`Invalid global ID: ${globalId}`);
    expect(() => decodeGlobalId(globalId)).toThrow(expect.objectContaining({ extensions: { code: "INVALID_ID" } }));
  });

  it("takes the largest key PostgreSQL's bigint holds", () => {
    expect(decodeGlobalId(encodeGlobalId("JobEvent", "9223372036854775807")).id).toBe("9223372036854775807");
  });
});
