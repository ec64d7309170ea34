// Finding a job by what a person types: its global ID, or the number `jobs list` shows.
import type { JobgraphClient } from "../sdk/index.js";
import { CliError } from "./errors.js";
import { JobNumbers } from "./operations.js";

/** The default largest page a gateway serves (JOBGRAPH_MAX_PAGE_SIZE). */
export const PAGE_SIZE = 100;

/** A job reference is a number (12 or #12) or a global ID. */
function jobNumber(ref: string): number | undefined {
  const match = /^#?(\d+)$/.exec(ref.trim());
  return match ? Number(match[1]) : undefined;
}

/**
 * The global ID of the job a reference names. The API has no lookup by number, so a number is
 * found by paging through the jobs in number order from the nearer end (recent jobs, the ones
 * usually asked about, are on the first page); deleted jobs included, as job(id) includes them.
 */
export async function resolveJobId(client: JobgraphClient, ref: string): Promise<string> {
  const number = jobNumber(ref);
  if (number === undefined) return ref.trim();
  const missing = new CliError(`there is no job #${number}`);
  let page = await client.request(JobNumbers, { direction: "DESC", first: PAGE_SIZE });
  const newest = page.jobs.edges[0]?.node.number;
  if (newest === undefined || number > newest) throw missing;
  const direction = number < newest / 2 ? "ASC" : "DESC";
  if (direction === "ASC") page = await client.request(JobNumbers, { direction, first: PAGE_SIZE });
  for (;;) {
    const hit = page.jobs.edges.find((e) => e.node.number === number);
    if (hit) return hit.node.id;
    const last = page.jobs.edges.at(-1)?.node.number;
    const passed = last === undefined || (direction === "DESC" ? last < number : last > number);
    if (passed || !page.jobs.pageInfo.hasNextPage) throw missing;
    page = await client.request(JobNumbers, { direction, first: PAGE_SIZE, after: page.jobs.pageInfo.endCursor });
  }
}
