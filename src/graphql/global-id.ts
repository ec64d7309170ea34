// Global IDs are base64("Type:key"), as Relay clients expect. Decoding checks the key's shape, so a
// forged or mistyped ID is refused with a clear error instead of reaching the database.
import { codedError, INVALID_ID } from "./error-codes.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INTEGER = /^[0-9]{1,19}$/;
/** The largest key of an integer-keyed type: PostgreSQL's bigint. */
const MAX_BIGINT = 2n ** 63n - 1n;

/** Types whose key is a 64-bit integer; every other type is keyed by a UUID. */
const INTEGER_KEYED = new Set(["JobEvent"]);

export function encodeGlobalId(typename: string, id: bigint | number | string): string {
  return Buffer.from(`${typename}:${String(id)}`, "utf8").toString("base64");
}

export function decodeGlobalId(globalId: string): { typename: string; id: string } {
  const decoded = Buffer.from(globalId, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const typename = decoded.slice(0, colon);
  const id = decoded.slice(colon + 1);
  const valid = colon > 0 && (INTEGER_KEYED.has(typename) ? INTEGER.test(id) && BigInt(id) <= MAX_BIGINT : UUID.test(id));
  // Not a PothosValidationError, which the relay plugin would replace by one without the code.
  if (!valid) throw codedError(INVALID_ID, `Invalid global ID: ${globalId.length > 200 ? `${globalId.slice(0, 200)}...` : globalId}`);
  return { typename, id: id.toLowerCase() };
}
