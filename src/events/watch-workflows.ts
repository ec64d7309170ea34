// What a workflowUpdated subscriber watches: a workflow as its jobs move between statuses or report
// progress, announced at most every `minIntervalMs` (a workflow of a thousand jobs changes many
// times a second, and a dashboard wants the latest, not each step).
import type { Db } from "../db/client.js";
import { jobsOfWorkflow } from "../domain/workflows.js";
import type { EventStream, StreamEvent } from "./event-stream.js";
import { SubscriberQueue } from "./queue.js";
import { surely } from "./watch.js";

/** A change to announce: the workflow's id. The first one is the workflow as it is when the subscription starts. */
export type WorkflowChange = { workflowId: string };

/** The workflow a job deleted for good belonged to, from its HARD_DELETED event's snapshot. */
const deletedFrom = (e: StreamEvent) =>
  e.kind === "HARD_DELETED" ? ((e.detail as { job?: { workflow_id?: string | null } } | null)?.job?.workflow_id ?? null) : null;

/** Whether an event can change what a workflow adds up to: a job's status, progress or existence. */
const moves = (e: StreamEvent) => e.jobId !== null && (e.toStatus !== null || e.progress !== null || e.kind === "DELETED" || e.kind === "REINSTATED");

/**
 * The workflow, first as it is, then each time one of its jobs changes status or progress, is
 * deleted or reinstated: at once when nothing was sent for `minIntervalMs`, else once that has
 * passed. Which jobs are the workflow's is read once per batch of events.
 */
export async function watchWorkflow(stream: EventStream, db: Db, workflowId: string, minIntervalMs = 500): Promise<AsyncIterable<WorkflowChange>> {
  const queue = new SubscriberQueue<WorkflowChange>(100, () => {
    unsubscribe();
    clearTimeout(timer);
  });
  let timer: NodeJS.Timeout | undefined;
  let lastSent = 0;
  const send = () => {
    timer = undefined;
    lastSent = Date.now();
    queue.push({ item: { workflowId }, replaceableKey: workflowId });
  };
  const soon = () => {
    if (timer) return;
    const wait = lastSent + minIntervalMs - Date.now();
    if (wait <= 0) send();
    else timer = setTimeout(send, wait);
  };
  let chain = Promise.resolve();
  const { unsubscribe } = await stream.subscribe((events) => {
    if (events.some((e) => deletedFrom(e) === workflowId)) soon();
    const jobIds = [...new Set(events.filter(moves).map((e) => e.jobId!))];
    if (jobIds.length === 0) return;
    // Events are thin: whether a job is the workflow's is read, for all the batch's jobs at once,
    // again through a blip of the database (the stream has moved past these events). Another
    // failure skips the batch: the workflow's next change announces it anew.
    chain = chain
      .then(() =>
        surely(async () => {
          if (await jobsOfWorkflow(db, workflowId, jobIds)) soon();
        }, queue),
      )
      .catch(() => undefined);
  });
  queue.push({ item: { workflowId } });
  lastSent = Date.now();
  return queue;
}
