// Sorting shared by every list: the requested field, then a unique key, so that a cursor always
// points at one place in a stable order.

export type SortDirection = "ASC" | "DESC";

export function direction(d: SortDirection): "asc" | "desc" {
  return d === "ASC" ? "asc" : "desc";
}

/** An inclusive-exclusive time range: from <= t < to. Either end may be open. */
export type TimeRange = { from?: Date | null; to?: Date | null };
