// Finding a job by what a person types: its global ID, or the number `jobs list` shows.
import type { JobgraphClient } from "../sdk/index.js";
import { CliError } from "./errors.js";
import { JobByNumber } from "./operations.js";

/** The default largest page a gateway serves (JOBGRAPH_MAX_PAGE_SIZE). */
export const PAGE_SIZE = 100;

/** A job reference is a number (12 or #12) or a global ID. */
function jobNumber(ref: string): number | undefined {
  const match = /^#?(\d+)$/.exec(ref.trim());
  return match ? Number(match[1]) : undefined;
}

/** The global ID of the job a reference names (deleted jobs included, as job(id) includes them). */
export async function resolveJobId(client: JobgraphClient, ref: string): Promise<string> {
  const number = jobNumber(ref);
  if (number === undefined) return ref.trim();
  const { jobByNumber } = await client.request(JobByNumber, { number });
  if (!jobByNumber) throw new CliError(`there is no job #${number}`);
  return jobByNumber.id;
}
