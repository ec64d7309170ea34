// One job: its fields, why it waits and when it should start or end, the actions its viewerCan*
// flags allow, its tasks by sequence, its events, its outputs and its log as it is written. The
// first part comes at once; tasks, events and outputs follow (@defer). jobUpdated keeps the job's
// own fields live, and a refetch follows each change of status.
import { useMutation, useQuery, useSubscription } from "@urql/preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { download } from "./client.js";
import { CancelJob, DeleteJob, JobDetail, JobLog, JobUpdated, ReinstateJob, ResetJob } from "./documents.js";
import { ago, bytes, exact } from "./format.js";
import type { DashboardJobLogSubscription } from "./gql/graphql.js";
import { Progress, Status } from "./jobs.js";

const LOG_LINES = 500;

export function JobView({ id }: { id: string }) {
  const [{ data, error, fetching }, refetch] = useQuery({ query: JobDetail, variables: { id } });
  const [live] = useSubscription({ query: JobUpdated, variables: { id } });
  const status = live.data?.jobUpdated?.status;
  const seen = useRef(status);
  useEffect(() => {
    if (status && seen.current && status !== seen.current) refetch({ requestPolicy: "network-only" });
    seen.current = status;
  }, [status]);
  const [, cancel] = useMutation(CancelJob);
  const [, reset] = useMutation(ResetJob);
  const [, remove] = useMutation(DeleteJob);
  const [, reinstate] = useMutation(ReinstateJob);
  const [message, setMessage] = useState("");

  if (error) return <p role="alert" class="error">{error.message}</p>;
  if (!data) return <p aria-busy="true">{fetching ? "Loading…" : ""}</p>;
  if (!data.job) return <p>There is no such job.</p>;
  const job = { ...data.job, ...(live.data?.jobUpdated ?? {}) };
  const act = async (name: string, run: () => Promise<{ data?: { [key: string]: { __typename: string; message?: string } } | undefined; error?: { message: string } | undefined }>) => {
    const result = await run();
    const answer = result.data ? Object.values(result.data)[0] : undefined;
    setMessage(result.error?.message ?? (answer?.__typename === "JobPayload" ? `${name}: done.` : `${name}: ${answer?.message ?? "refused"}`));
  };
  const tasks = [...(data.job.tasks?.edges.map((edge) => edge.node) ?? [])].sort((a, b) => a.sequence - b.sequence);
  return (
    <article aria-labelledby="job-title">
      <p>
        <a href="#/jobs">← Jobs</a>
      </p>
      <h1 id="job-title">
        Job #{job.number} {job.name ? <span class="subtitle">{job.name}</span> : null}
      </h1>
      <div class="summary">
        <Status status={job.status} />
        <Progress value={job.progress} label="Progress of the job" />
        <div class="actions" role="group" aria-label="Actions">
          <button type="button" class="danger" disabled={!job.viewerCanCancel} onClick={() => void act("Cancel", () => cancel({ id }))}>
            Cancel
          </button>
          <button type="button" disabled={!job.viewerCanReset} onClick={() => void act("Reset", () => reset({ id }))}>
            Reset
          </button>
          <button type="button" disabled={!job.viewerCanDelete} onClick={() => void act("Delete", () => remove({ id }))}>
            Delete
          </button>
          <button type="button" disabled={!job.viewerCanReinstate} onClick={() => void act("Reinstate", () => reinstate({ id }))}>
            Reinstate
          </button>
        </div>
        <span role="status" class="message">
          {message}
        </span>
      </div>
      {job.deletedAt ? <p class="error">Deleted {ago(job.deletedAt)}: reinstate it to see it among the jobs again.</p> : null}
      {job.errorReason ? <p class="error">{job.errorReason}</p> : null}
      <dl class="fields">
        <dt>Template</dt>
        <dd>
          {job.template.name} v{job.template.version}
        </dd>
        <dt>Queue</dt>
        <dd>
          {job.queue} (priority {job.priority})
        </dd>
        <dt>Node</dt>
        <dd>{job.node?.name ?? "none"}</dd>
        <dt>Created</dt>
        <dd title={exact(data.job.createdAt)}>
          {ago(data.job.createdAt)}{data.job.creator ? ` by ${data.job.creator.name}` : ""}
        </dd>
        <dt>Attempts</dt>
        <dd>
          {data.job.attemptCount} of {data.job.maxAttempts}
        </dd>
        {job.startTime ? (
          <>
            <dt>Started</dt>
            <dd title={exact(job.startTime)}>{ago(job.startTime)}</dd>
          </>
        ) : null}
        {job.endTime ? (
          <>
            <dt>Ended</dt>
            <dd title={exact(job.endTime)}>{ago(job.endTime)}</dd>
          </>
        ) : null}
        <Estimate label="Should start" estimate={data.job.estimatedStartTime} />
        <Estimate label="Should end" estimate={data.job.estimatedEndTime} />
        {data.job.tags.length ? (
          <>
            <dt>Tags</dt>
            <dd>{data.job.tags.join(", ")}</dd>
          </>
        ) : null}
      </dl>
      {data.job.whyNotRunning.length ? (
        <section aria-labelledby="why-title">
          <h2 id="why-title">Why it is not running</h2>
          <ul>
            {data.job.whyNotRunning.map((reason) => (
              <li key={reason.code}>{reason.message}</li>
            ))}
          </ul>
        </section>
      ) : null}
      {data.job.inputValues.length || data.job.parameterValues.length ? (
        <section aria-labelledby="values-title">
          <h2 id="values-title">Inputs and parameters</h2>
          <dl class="fields">
            {[...data.job.inputValues, ...data.job.parameterValues].map((value) => (
              <>
                <dt>{value.name}</dt>
                <dd>
                  <code>{JSON.stringify(value.value)}</code> <span class="muted">{value.type}</span>
                </dd>
              </>
            ))}
          </dl>
        </section>
      ) : null}
      <section aria-labelledby="tasks-title">
        <h2 id="tasks-title">Tasks {data.job.tasks ? <span class="count">{data.job.tasks.totalCount}</span> : null}</h2>
        {!data.job.tasks ? <p aria-busy="true">Loading…</p> : null}
        {data.job.tasks && tasks.length === 0 ? <p class="muted">No tasks.</p> : null}
        {tasks.length ? (
          <table>
            <thead>
              <tr>
                <th scope="col">Sequence</th>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
              </tr>
            </thead>
            <tbody>
              {tasks.map((task) => (
                <tr key={task.id}>
                  <td>{task.sequence}</td>
                  <td>{task.name}</td>
                  <td>{task.status.toLowerCase()}</td>
                  <td>
                    <Progress value={task.progress} label={`Progress of task ${task.name}`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      <section aria-labelledby="outputs-title">
        <h2 id="outputs-title">Outputs</h2>
        {data.job.outputs?.edges.length ? (
          <ul class="outputs">
            {data.job.outputs.edges.map(({ node: output }) => (
              <li key={output.id}>
                <button type="button" class="link" onClick={() => void download(output.downloadUrl, `${output.name}.${output.type}`).catch((e: Error) => setMessage(e.message))}>
                  {output.name}.{output.type}
                </button>{" "}
                <span class="muted">
                  {bytes(output.size)}, {output.contentType}
                </span>
              </li>
            ))}
          </ul>
        ) : (
          <p class="muted">{data.job.outputs ? "No outputs." : "Loading…"}</p>
        )}
      </section>
      <section aria-labelledby="events-title">
        <h2 id="events-title">Events</h2>
        <ol class="timeline">
          {(data.job.events?.edges ?? []).map(({ node: event }) => (
            <li key={event.id}>
              <time dateTime={event.at} title={exact(event.at)}>
                {ago(event.at)}
              </time>{" "}
              <strong>{event.kind.toLowerCase().replace(/_/g, " ")}</strong>
              {event.toStatus ? ` → ${event.toStatus.toLowerCase()}` : ""}
              {event.progress != null && event.kind === "PROGRESS" ? ` ${Math.round(event.progress * 100)}%` : ""}
              {event.actorNode ? <span class="muted"> by {event.actorNode.name}</span> : event.actorUser ? <span class="muted"> by {event.actorUser.name}</span> : null}
            </li>
          ))}
        </ol>
      </section>
      <LogTail id={id} />
    </article>
  );
}

/** A time the gateway estimates, with its range; its basis is the title. */
function Estimate({ label, estimate }: { label: string; estimate: { time: string; earliest: string; latest: string; basis: string } | null | undefined }) {
  if (!estimate) return null;
  return (
    <>
      <dt>{label}</dt>
      <dd title={estimate.basis}>
        {ago(estimate.time)} (between {exact(estimate.earliest)} and {exact(estimate.latest)})
      </dd>
    </>
  );
}

type Line = DashboardJobLogSubscription["jobLog"];

function LogTail({ id }: { id: string }) {
  const [{ data }] = useSubscription({ query: JobLog, variables: { job: id } }, (lines: Line[] = [], update) => [...lines, update.jobLog].slice(-LOG_LINES));
  const lines = data ?? [];
  return (
    <section aria-labelledby="log-title">
      <h2 id="log-title">Log</h2>
      {lines.length ? (
        <pre class="log" aria-live="polite">
          {lines.map((line) => (
            <span key={line.seq} class={line.stream === "STDERR" ? "stderr" : undefined}>
              {line.task ? `[${line.task.name}] ` : ""}
              {line.line}
              {"\n"}
            </span>
          ))}
        </pre>
      ) : (
        <p class="muted">Nothing logged yet.</p>
      )}
    </section>
  );
}
