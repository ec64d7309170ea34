// The jobs table: filtered by status and text, sorted, paged by cursor, kept live by jobsChanged
// (each change of the filtered set refetches the page shown, at most four times a second) and by
// jobProgress for each row whose job is held (its bar and status move in place, and its own
// reports refetch nothing), with cancel and reset for the rows selected or for every job the
// filter matches (after a dry run says how many).
import { useMutation, useQuery, useSubscription } from "@urql/preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { CancelJob, CancelJobs, Jobs, JobsChanged, ResetJob, ResetJobs, RowProgress } from "./documents.js";
import { ago, exact, percent } from "./format.js";
import type { JobFilter, JobOrderField, JobRowFragment, JobStatus, SortDirection } from "./gql/graphql.js";

export const STATUSES: JobStatus[] = ["WAITING", "QUEUED", "ACQUIRED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"];
const ORDERS: Array<[JobOrderField, string]> = [
  ["CREATED_AT", "Created"],
  ["UPDATED_AT", "Updated"],
  ["PRIORITY", "Priority"],
  ["NUMBER", "Number"],
  ["END_TIME", "Ended"],
];
const PAGE = 25;
/** The statuses of a job a worker node holds, whose progress moves. */
const HELD: JobStatus[] = ["ACQUIRED", "RUNNING"];
/** The least time between two refetches of the page while changes stream in. */
const REFETCH_MS = 250;

type Page = { after?: string; before?: string };

export function JobsView() {
  const [statuses, setStatuses] = useState<JobStatus[]>([]);
  const [search, setSearch] = useState("");
  const [field, setField] = useState<JobOrderField>("CREATED_AT");
  const [direction, setDirection] = useState<SortDirection>("DESC");
  const [page, setPage] = useState<Page>({});
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const filter = useMemo<JobFilter>(() => ({ ...(statuses.length ? { status: statuses } : {}), ...(search.trim() ? { search: search.trim() } : {}) }), [statuses, search]);
  const variables = useMemo(
    () => ({ filter, orderBy: { field, direction }, ...(page.before ? { last: PAGE, before: page.before } : { first: PAGE, ...(page.after ? { after: page.after } : {}) }) }),
    [filter, field, direction, page],
  );
  const [{ data, fetching, error }, refetch] = useQuery({ query: Jobs, variables });

  // Live: any change to the filtered set refetches the page shown, throttled. So does the first
  // message, which comes once the subscription is in place: a change between the page's read and
  // then would otherwise be missed.
  const last = useRef(0);
  const pending = useRef<ReturnType<typeof setTimeout>>();
  /** The rows whose jobs are held: their own subscription (RowProgress) shows their reports. */
  const held = useRef(new Set<string>());
  useSubscription({ query: JobsChanged, variables: { filter } }, (_previous, update) => {
    const { change, jobId } = update.jobsChanged;
    // A held row's report changes nothing the page's order depends on, unless sorted by update time.
    if (change === "UPDATED" && jobId && held.current.has(jobId) && field !== "UPDATED_AT") return update;
    clearTimeout(pending.current);
    const wait = Math.max(0, last.current + REFETCH_MS - Date.now());
    pending.current = setTimeout(() => {
      last.current = Date.now();
      refetch({ requestPolicy: "network-only" });
    }, wait);
    return update;
  });
  useEffect(() => () => clearTimeout(pending.current), []);

  const changeFilter = (apply: () => void) => {
    apply();
    setPage({});
    setSelected(new Set());
  };
  const jobs = data?.jobs;
  const rows = jobs?.edges.map((edge) => edge.node) ?? [];
  held.current = new Set(rows.filter((row) => HELD.includes(row.status)).map((row) => row.id));
  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs {jobs ? <span class="count">{jobs.totalCount.toLocaleString()}</span> : null}</h1>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <fieldset>
          <legend>Status</legend>
          {STATUSES.map((status) => (
            <label key={status} class="check">
              <input
                type="checkbox"
                checked={statuses.includes(status)}
                onChange={(event) => changeFilter(() => setStatuses(event.currentTarget.checked ? [...statuses, status] : statuses.filter((s) => s !== status)))}
              />
              {status.toLowerCase()}
            </label>
          ))}
        </fieldset>
        <label>
          Search
          <input type="search" value={search} placeholder="name or description" onInput={(event) => changeFilter(() => setSearch(event.currentTarget.value))} />
        </label>
        <label>
          Sort by
          <select value={field} onChange={(event) => changeFilter(() => setField(event.currentTarget.value as JobOrderField))}>
            {ORDERS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => changeFilter(() => setDirection(direction === "DESC" ? "ASC" : "DESC"))} aria-label={`Sort ${direction === "DESC" ? "ascending" : "descending"}`}>
          {direction === "DESC" ? "↓ newest or largest first" : "↑ oldest or smallest first"}
        </button>
      </form>
      <BulkActions filter={filter} selected={rows.filter((row) => selected.has(row.id))} onDone={() => setSelected(new Set())} />
      {error ? <p role="alert" class="error">{error.message}</p> : null}
      <div class="table-wrap">
        <table class="jobs" aria-busy={fetching}>
          <thead>
            <tr>
              <th scope="col">
                <input
                  type="checkbox"
                  aria-label="Select every job on this page"
                  checked={rows.length > 0 && rows.every((row) => selected.has(row.id))}
                  onChange={(event) => setSelected(event.currentTarget.checked ? new Set(rows.map((row) => row.id)) : new Set())}
                />
              </th>
              <th scope="col">Number</th>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Progress</th>
              <th scope="col" class="wide">Queue</th>
              <th scope="col" class="wide">Template</th>
              <th scope="col" class="wide">Node</th>
              <th scope="col" class="wide">Created</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((job) => (
              <JobRowView
                key={job.id}
                job={job}
                selected={selected.has(job.id)}
                onSelect={(on) => {
                  const next = new Set(selected);
                  if (on) next.add(job.id);
                  else next.delete(job.id);
                  setSelected(next);
                }}
              />
            ))}
            {jobs && rows.length === 0 ? (
              <tr>
                <td colSpan={9} class="empty">
                  No jobs match.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={!jobs?.pageInfo.hasPreviousPage && !page.after} onClick={() => setPage({ before: jobs?.pageInfo.startCursor ?? undefined })}>
          ← Previous
        </button>
        <button type="button" disabled={!jobs?.pageInfo.hasNextPage} onClick={() => setPage({ after: jobs?.pageInfo.endCursor ?? undefined })}>
          Next →
        </button>
      </nav>
    </section>
  );
}

function JobRowView({ job: read, selected, onSelect }: { job: JobRowFragment; selected: boolean; onSelect: (on: boolean) => void }) {
  const [live] = useSubscription({ query: RowProgress, variables: { id: read.id }, pause: !HELD.includes(read.status) }, (now: { progress: number; status: JobStatus } | undefined, update) => ({
    progress: update.jobProgress.progress ?? now?.progress ?? read.progress,
    status: update.jobProgress.status ?? now?.status ?? read.status,
  }));
  const job = live.data && HELD.includes(read.status) ? { ...read, ...live.data } : read;
  return (
    <tr data-job={job.id}>
      <td>
        <input type="checkbox" aria-label={`Select job ${job.number}`} checked={selected} onChange={(event) => onSelect(event.currentTarget.checked)} />
      </td>
      <td>
        <a href={`#/jobs/${encodeURIComponent(job.id)}`}>#{job.number}</a>
      </td>
      <td class="name">{job.name ?? ""}</td>
      <td>
        <Status status={job.status} />
      </td>
      <td>
        <Progress value={job.progress} label={`Progress of job ${job.number}`} />
      </td>
      <td class="wide">{job.queue}</td>
      <td class="wide">
        {job.template.name} v{job.template.version}
      </td>
      <td class="wide">{job.node?.name ?? ""}</td>
      <td class="wide" title={exact(job.createdAt)}>
        {ago(job.createdAt)}
      </td>
    </tr>
  );
}

export function Status({ status }: { status: JobStatus }) {
  return <span class={`status status-${status.toLowerCase()}`}>{status.toLowerCase()}</span>;
}

export function Progress({ value, label }: { value: number; label: string }) {
  return (
    <span class="progress">
      <progress max={1} value={value} aria-label={label} />
      <span class="progress-value">{percent(value)}</span>
    </span>
  );
}

/** Cancel or reset the selected jobs one by one, or every job the filter matches after a dry run says how many. */
function BulkActions({ filter, selected, onDone }: { filter: JobFilter; selected: JobRowFragment[]; onDone: () => void }) {
  const [, cancelOne] = useMutation(CancelJob);
  const [, resetOne] = useMutation(ResetJob);
  const [, cancelAll] = useMutation(CancelJobs);
  const [, resetAll] = useMutation(ResetJobs);
  const [message, setMessage] = useState("");
  const [confirming, setConfirming] = useState<{ action: "cancel" | "reset"; count: number } | null>(null);

  const onSelected = async (action: "cancel" | "reset") => {
    const run = action === "cancel" ? cancelOne : resetOne;
    const eligible = selected.filter((job) => (action === "cancel" ? job.viewerCanCancel : job.viewerCanReset));
    const results = await Promise.all(eligible.map((job) => run({ id: job.id })));
    const refused = results.filter((result) => result.error || (result.data && "cancelJob" in result.data ? result.data.cancelJob.__typename !== "JobPayload" : result.data && "resetJob" in result.data && result.data.resetJob.__typename !== "JobPayload"));
    setMessage(`${action === "cancel" ? "Cancelled" : "Reset"} ${eligible.length - refused.length} of ${selected.length} selected${refused.length ? `; ${refused.length} refused` : ""}.`);
    onDone();
  };
  const dryRun = async (action: "cancel" | "reset") => {
    const result = await (action === "cancel" ? cancelAll({ filter, dryRun: true }) : resetAll({ filter, dryRun: true }));
    const payload = result.data && ("cancelJobs" in result.data ? result.data.cancelJobs : result.data.resetJobs);
    if (payload?.__typename === "BulkJobsPayload") setConfirming({ action, count: payload.changed });
    else setMessage(result.error?.message ?? (payload && "message" in payload ? payload.message : "Refused."));
  };
  const confirm = async () => {
    if (!confirming) return;
    const result = await (confirming.action === "cancel" ? cancelAll({ filter, dryRun: false }) : resetAll({ filter, dryRun: false }));
    const payload = result.data && ("cancelJobs" in result.data ? result.data.cancelJobs : result.data.resetJobs);
    setMessage(payload?.__typename === "BulkJobsPayload" ? `${confirming.action === "cancel" ? "Cancelled" : "Reset"} ${payload.changed} jobs.` : (result.error?.message ?? "Refused."));
    setConfirming(null);
  };
  return (
    <div class="bulk" role="group" aria-label="Actions on several jobs">
      <button type="button" disabled={!selected.some((job) => job.viewerCanCancel)} onClick={() => void onSelected("cancel")}>
        Cancel selected
      </button>
      <button type="button" disabled={!selected.some((job) => job.viewerCanReset)} onClick={() => void onSelected("reset")}>
        Reset selected
      </button>
      <button type="button" onClick={() => void dryRun("cancel")}>
        Cancel all matching…
      </button>
      <button type="button" onClick={() => void dryRun("reset")}>
        Reset all matching…
      </button>
      {confirming ? (
        <span class="confirm" role="alertdialog" aria-label="Confirm">
          {confirming.action === "cancel" ? "Cancel" : "Reset"} {confirming.count} matching jobs?
          <button type="button" class="danger" onClick={() => void confirm()}>
            Yes, {confirming.action} {confirming.count}
          </button>
          <button type="button" onClick={() => setConfirming(null)}>
            No
          </button>
        </span>
      ) : null}
      <span role="status" class="message">
        {message}
      </span>
    </div>
  );
}
