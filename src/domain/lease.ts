// Lease tokens as callers present them. The gateway issues UUIDs; a token of any other shape can
// name no lease, and must be refused as a lost lease rather than reach a `::uuid` cast in SQL.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The token to compare with the job's lease: null (which holds nothing) unless it could be one. */
export function presentedLease(token: string | null | undefined): string | null {
  return token && UUID.test(token) ? token.toLowerCase() : null;
}
