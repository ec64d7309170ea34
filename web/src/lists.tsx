// Queues, worker nodes and templates: what an operator looks at beside the jobs.
import { useQuery } from "@urql/preact";
import { useEffect } from "preact/hooks";
import { Queues, Nodes, Templates } from "./documents.js";
import { ago, exact } from "./format.js";

/** Refetches a list every `ms`, for the views that have no subscription of their own. */
function usePoll(refetch: (options: { requestPolicy: "network-only" }) => void, ms = 5000) {
  useEffect(() => {
    const timer = setInterval(() => refetch({ requestPolicy: "network-only" }), ms);
    return () => clearInterval(timer);
  }, []);
}

export function QueuesView() {
  const [{ data, error }, refetch] = useQuery({ query: Queues });
  usePoll(refetch);
  return (
    <section aria-labelledby="queues-title">
      <h1 id="queues-title">Queues</h1>
      {error ? <p role="alert" class="error">{error.message}</p> : null}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col">Queued</th>
              <th scope="col">Claimable</th>
              <th scope="col">Running</th>
              <th scope="col">Held</th>
              <th scope="col">Succeeded</th>
              <th scope="col">Failed</th>
              <th scope="col">Oldest waiting</th>
              <th scope="col">Nodes online</th>
            </tr>
          </thead>
          <tbody>
            {data?.queues.map((queue) => (
              <tr key={queue.name}>
                <td>
                  {queue.name} {queue.paused ? <span class="status status-cancelled">paused</span> : null}
                  {queue.concurrencyLimit != null ? <span class="muted"> (limit {queue.concurrencyLimit})</span> : null}
                </td>
                <td>{queue.counts.queued}</td>
                <td>{queue.counts.claimable}</td>
                <td>{queue.counts.running}</td>
                <td>{queue.counts.held}</td>
                <td>{queue.counts.succeeded}</td>
                <td>{queue.counts.failed}</td>
                <td title={exact(queue.oldestWaitingSince)}>{ago(queue.oldestWaitingSince)}</td>
                <td>{queue.nodes.filter((node) => node.online).length}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function NodesView() {
  const [{ data, error }, refetch] = useQuery({ query: Nodes });
  usePoll(refetch);
  return (
    <section aria-labelledby="nodes-title">
      <h1 id="nodes-title">Worker nodes {data ? <span class="count">{data.workerNodes.totalCount}</span> : null}</h1>
      {error ? <p role="alert" class="error">{error.message}</p> : null}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">State</th>
              <th scope="col">Last seen</th>
              <th scope="col">Executors</th>
              <th scope="col">Jobs held</th>
            </tr>
          </thead>
          <tbody>
            {data?.workerNodes.edges.map(({ node }) => (
              <tr key={node.id}>
                <td>{node.name}</td>
                <td>{node.draining ? "draining" : node.online ? "online" : "offline"}</td>
                <td title={exact(node.lastSeenAt)}>{ago(node.lastSeenAt)}</td>
                <td>{node.executors.join(", ")}</td>
                <td>
                  {node.currentJobs.totalCount}
                  {node.currentJobs.edges.map(({ node: job }) => (
                    <>
                      {" "}
                      <a href={`#/jobs/${encodeURIComponent(job.id)}`}>#{job.number}</a>
                    </>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function TemplatesView() {
  const [{ data, error }] = useQuery({ query: Templates });
  return (
    <section aria-labelledby="templates-title">
      <h1 id="templates-title">Templates {data ? <span class="count">{data.jobTemplates.totalCount}</span> : null}</h1>
      {error ? <p role="alert" class="error">{error.message}</p> : null}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Template</th>
              <th scope="col">Executor</th>
              <th scope="col">Jobs</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {data?.jobTemplates.edges.map(({ node: template }) => (
              <tr key={template.id}>
                <td>
                  {template.name} v{template.version}
                </td>
                <td>
                  {template.executor.name} {template.executor.version}
                </td>
                <td>{template.jobs.totalCount}</td>
                <td>{template.description ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
