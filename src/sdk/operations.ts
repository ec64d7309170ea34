// The operations the SDK sends, typed by GraphQL Code Generator (src/sdk/gql, generated from
// schema.graphql by `npm run generate` and committed, so the SDK works without a generation step).
import { graphql } from "./gql/index.js";

export const WorkerJobFields = graphql(`
  fragment WorkerJobFields on Job {
    id
    number
    name
    description
    queue
    priority
    tags
    attemptCount
    maxAttempts
    timeLimitAt
    deadline
    template { name version executor { name version } }
    inputValues { name type value output { id size sha256 downloadUrl } }
    parameterValues { name type value }
  }
`);

export const AcquireNextJob = graphql(`
  mutation SdkAcquireNextJob($filter: AcquireFilter) {
    acquireNextJob(filter: $filter) {
      __typename
      ... on AcquireJobPayload { job { ...WorkerJobFields } lease { token expiresAt } }
      ... on Error { message }
    }
  }
`);

export const StartJob = graphql(`
  mutation SdkStartJob($id: ID!, $leaseToken: String!) {
    startJob(id: $id, leaseToken: $leaseToken) {
      __typename
      ... on LeasePayload {
        lease { token expiresAt }
        job {
          tasks(first: 100) {
            edges { node { ...WorkerTaskFields } }
            pageInfo { hasNextPage endCursor }
          }
        }
      }
      ... on InvalidTransitionError { from }
      ... on Error { message }
    }
  }
`);

export const RenewJobLease = graphql(`
  mutation SdkRenewJobLease($id: ID!, $leaseToken: String!) {
    renewJobLease(id: $id, leaseToken: $leaseToken) {
      __typename
      ... on LeasePayload { lease { token expiresAt } }
      ... on InvalidTransitionError { from }
      ... on Error { message }
    }
  }
`);

export const ReportJobProgress = graphql(`
  mutation SdkReportJobProgress($id: ID!, $leaseToken: String!, $progress: Float!, $detail: JSON) {
    reportJobProgress(id: $id, leaseToken: $leaseToken, progress: $progress, detail: $detail) {
      __typename
      ... on LeasePayload { lease { token expiresAt } }
      ... on InvalidTransitionError { from }
      ... on Error { message }
    }
  }
`);

export const FinishJob = graphql(`
  mutation SdkFinishJob($id: ID!, $leaseToken: String!, $error: String, $retryable: Boolean) {
    finishJob(id: $id, leaseToken: $leaseToken, error: $error, retryable: $retryable) {
      __typename
      ... on JobPayload { job { status } }
      ... on InvalidTransitionError { from }
      ... on Error { message }
    }
  }
`);

export const ReleaseJob = graphql(`
  mutation SdkReleaseJob($id: ID!, $leaseToken: String!) {
    releaseJob(id: $id, leaseToken: $leaseToken) {
      __typename
      ... on Error { message }
    }
  }
`);

export const JobStatusWatch = graphql(`
  subscription SdkJobStatus($id: ID!) {
    jobUpdated(id: $id) { status }
  }
`);

export const JobAvailable = graphql(`
  subscription SdkJobAvailable($queues: [String!]) {
    jobAvailable(queues: $queues) { claimable job { id } }
  }
`);

export const WorkerTaskFields = graphql(`
  fragment WorkerTaskFields on Task {
    id
    name
    type
    mapIndex
    mapValue
    sequence
    qsequence
    status
    attempts
    maxAttempts
    progress
    payload
    parameters
    executor { name version }
    inputs { source { uri spaceId key } target { path } }
  }
`);

export const JobTasks = graphql(`
  query SdkJobTasks($id: ID!, $after: String) {
    job(id: $id) {
      tasks(first: 100, after: $after) {
        edges { node { ...WorkerTaskFields } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`);

export const StartTask = graphql(`
  mutation SdkStartTask($id: ID!, $leaseToken: String!) {
    startTask(id: $id, leaseToken: $leaseToken) {
      __typename
      ... on TaskPayload { task { ...WorkerTaskFields } }
      ... on Error { message }
    }
  }
`);

export const ReportTaskProgress = graphql(`
  mutation SdkReportTaskProgress($id: ID!, $leaseToken: String!, $progress: Float!) {
    reportTaskProgress(id: $id, leaseToken: $leaseToken, progress: $progress) {
      __typename
      ... on TaskPayload { task { ...WorkerTaskFields } }
      ... on Error { message }
    }
  }
`);

export const FinishTask = graphql(`
  mutation SdkFinishTask($id: ID!, $leaseToken: String!, $success: Boolean!, $output: String) {
    finishTask(id: $id, leaseToken: $leaseToken, success: $success, output: $output) {
      __typename
      ... on TaskPayload { task { ...WorkerTaskFields } }
      ... on Error { message }
    }
  }
`);

/** The text of addJobOutput, sent as a multipart request (typed by the client's upload()). */
export const AddJobOutput = `mutation SdkAddJobOutput($jobId: ID!, $name: String!, $type: String!, $file: File!, $leaseToken: String, $replace: Boolean, $contentType: String) {
  addJobOutput(jobId: $jobId, name: $name, type: $type, file: $file, leaseToken: $leaseToken, replace: $replace, contentType: $contentType) {
    __typename
    ... on AddJobOutputPayload { output { id name type size sha256 contentType downloadUrl } }
    ... on Error { message }
  }
}`;

export const AppendJobLog = graphql(`
  mutation SdkAppendJobLog($input: AppendJobLogInput!) {
    appendJobLog(input: $input) {
      __typename
      ... on AppendJobLogPayload { accepted }
      ... on InvalidTransitionError { from }
      ... on Error { message }
    }
  }
`);
