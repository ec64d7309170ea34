// Every operation the dashboard sends. GraphQL Code Generator types them and writes their manifest
// (codegen.ts); the dashboard sends each by its hash.
import { graphql } from "./gql/index.js";

export const JobRow = graphql(`
  fragment JobRow on Job {
    id number name status progress queue priority createdAt updatedAt
    template { name version }
    node { name }
    viewerCanCancel viewerCanReset
  }
`);

/** One fragment for a page of any list of jobs: each is a JobConnection. */
export const JobPage = graphql(`
  fragment JobPage on JobConnection {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { ...JobRow } }
  }
`);

export const Jobs = graphql(`
  query DashboardJobs($filter: JobFilter, $orderBy: JobOrder, $first: Int, $after: String, $last: Int, $before: String) {
    jobs(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) { ...JobPage }
  }
`);

export const JobsChanged = graphql(`
  subscription DashboardJobsChanged($filter: JobFilter!) {
    jobsChanged(filter: $filter) { change jobId count }
  }
`);

/** A row's own progress and status, live, while its job is held (reports held back to 4 a second). */
export const RowProgress = graphql(`
  subscription DashboardRowProgress($id: ID!) {
    jobProgress(id: $id, minIntervalMs: 250) { progress status }
  }
`);

export const JobDetail = graphql(`
  query DashboardJob($id: ID!) {
    job(id: $id) {
      ...JobRow
      description errorReason attemptCount maxAttempts startTime endTime deadline stalled
      tags progressDetail
      viewerCanDelete viewerCanReinstate deletedAt
      creator { name }
      inputValues { name type value }
      parameterValues { name type value }
      whyNotRunning { code message }
      estimatedStartTime { time earliest latest confidence basis }
      estimatedEndTime { time earliest latest confidence basis }
      children(first: 20) { ...JobPage }
      ... @defer(label: "history") {
        tasks(first: 100) { totalCount edges { node { id name sequence status progress startTime endTime } } }
        events(last: 100) { edges { node { id kind fromStatus toStatus progress at actorNode { name } actorUser { name } } } }
        outputs(first: 100) { edges { node { id name type size contentType downloadUrl } } }
      }
    }
  }
`);

export const JobUpdated = graphql(`
  subscription DashboardJobUpdated($id: ID!) {
    jobUpdated(id: $id) { ...JobRow errorReason startTime endTime progressDetail viewerCanDelete viewerCanReinstate deletedAt }
  }
`);

export const JobLog = graphql(`
  subscription DashboardJobLog($job: ID!) {
    jobLog(job: $job) { cursor seq stream at line task { name } }
  }
`);

export const CancelJob = graphql(`
  mutation DashboardCancelJob($id: ID!) {
    cancelJob(id: $id, reason: "cancelled from the dashboard") { __typename ... on JobPayload { job { ...JobRow } } ... on Error { message } }
  }
`);

export const ResetJob = graphql(`
  mutation DashboardResetJob($id: ID!) {
    resetJob(id: $id) { __typename ... on JobPayload { job { ...JobRow } } ... on Error { message } }
  }
`);

export const DeleteJob = graphql(`
  mutation DashboardDeleteJob($id: ID!) {
    deleteJob(id: $id) { __typename ... on JobPayload { job { ...JobRow } } ... on Error { message } }
  }
`);

export const ReinstateJob = graphql(`
  mutation DashboardReinstateJob($id: ID!) {
    reinstateJob(id: $id) { __typename ... on JobPayload { job { ...JobRow } } ... on Error { message } }
  }
`);

export const CancelJobs = graphql(`
  mutation DashboardCancelJobs($filter: JobFilter!, $dryRun: Boolean!) {
    cancelJobs(filter: $filter, dryRun: $dryRun, reason: "cancelled from the dashboard") { __typename ... on BulkJobsPayload { changed dryRun } ... on Error { message } }
  }
`);

export const ResetJobs = graphql(`
  mutation DashboardResetJobs($filter: JobFilter!, $dryRun: Boolean!) {
    resetJobs(filter: $filter, dryRun: $dryRun) { __typename ... on BulkJobsPayload { changed dryRun } ... on Error { message } }
  }
`);

export const Queues = graphql(`
  query DashboardQueues {
    queues {
      name paused concurrencyLimit oldestWaitingSince
      counts { queued claimable running held succeeded failed cancelled }
      nodes { name online }
    }
  }
`);

export const Nodes = graphql(`
  query DashboardNodes {
    workerNodes(first: 100) {
      totalCount
      edges { node { id name online draining lastSeenAt executors currentJobs(first: 5) { totalCount edges { node { id number name } } } } }
    }
  }
`);

export const Templates = graphql(`
  query DashboardTemplates {
    jobTemplates(first: 100) {
      totalCount
      edges { node { id name version description executor { name version } jobs(first: 1) { totalCount } } }
    }
  }
`);

export const Viewer = graphql(`
  query DashboardViewer {
    viewer { kind name isAdmin }
  }
`);
