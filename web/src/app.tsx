// The dashboard's frame: the token, the connection made with it, the navigation and the view the
// address names (#/jobs, #/jobs/<id>, #/queues, #/nodes, #/templates).
import { Provider, useQuery } from "@urql/preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { connect, knownToken, rememberToken } from "./client.js";
import { Viewer } from "./documents.js";
import { JobView } from "./job.js";
import { JobsView } from "./jobs.js";
import { NodesView, QueuesView, TemplatesView } from "./lists.js";

function useRoute(): string[] {
  const read = () => location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const changed = () => setRoute(read());
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return route;
}

export function App() {
  const [token, setToken] = useState(knownToken);
  const [refused, setRefused] = useState(false);
  const connection = useMemo(() => (token ? connect(token, () => setRefused(true)) : null), [token]);
  useEffect(() => () => connection?.close(), [connection]);
  if (!connection || refused) {
    return (
      <TokenForm
        refused={refused}
        onToken={(entered) => {
          rememberToken(entered);
          setRefused(false);
          setToken(entered);
        }}
      />
    );
  }
  return (
    <Provider value={connection.client}>
      <Frame
        onSignOut={() => {
          rememberToken(null);
          setToken(null);
        }}
      />
    </Provider>
  );
}

function Frame({ onSignOut }: { onSignOut: () => void }) {
  const route = useRoute();
  const [{ data }] = useQuery({ query: Viewer });
  const view = route[0] ?? "jobs";
  const link = (name: string, label: string) => (
    <a href={`#/${name}`} aria-current={view === name ? "page" : undefined}>
      {label}
    </a>
  );
  return (
    <>
      <header class="top">
        <a class="brand" href="#/jobs">
          jobgraph
        </a>
        <nav aria-label="Views">
          {link("jobs", "Jobs")}
          {link("queues", "Queues")}
          {link("nodes", "Nodes")}
          {link("templates", "Templates")}
        </nav>
        <span class="viewer">
          {data?.viewer ? `${data.viewer.name}${data.viewer.isAdmin ? " (admin)" : ""}` : ""}
          <button type="button" class="link" onClick={onSignOut}>
            Change token
          </button>
        </span>
      </header>
      <main>
        {view === "jobs" && route[1] ? <JobView id={route[1]} /> : null}
        {view === "jobs" && !route[1] ? <JobsView /> : null}
        {view === "queues" ? <QueuesView /> : null}
        {view === "nodes" ? <NodesView /> : null}
        {view === "templates" ? <TemplatesView /> : null}
      </main>
    </>
  );
}

function TokenForm({ refused, onToken }: { refused: boolean; onToken: (token: string) => void }) {
  const [value, setValue] = useState("");
  return (
    <main class="token">
      <h1>jobgraph</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (value.trim()) onToken(value.trim());
        }}
      >
        <label for="token">API token</label>
        <input id="token" type="password" autocomplete="off" required value={value} onInput={(event) => setValue(event.currentTarget.value)} />
        {refused ? (
          <p role="alert" class="error">
            The gateway refused this token. Enter another.
          </p>
        ) : null}
        <p class="hint">A user's token (jgu_…); it is kept in this browser.</p>
        <button type="submit">Open the dashboard</button>
      </form>
    </main>
  );
}
