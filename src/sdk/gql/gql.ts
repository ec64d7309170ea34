/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query CliJobLog($id: ID!, $after: String, $first: Int!) {\n    job(id: $id) {\n      number\n      status\n      tasks(first: 100) { edges { node { id name } } }\n      log(first: $first, after: $after) {\n        edges { cursor node { seq stream at line task { name } } }\n        pageInfo { hasNextPage endCursor }\n      }\n      logStats { droppedLines }\n    }\n  }\n": typeof types.CliJobLogDocument,
    "\n  subscription CliTailLog($job: ID!, $after: String, $task: ID) {\n    jobLog(job: $job, after: $after, task: $task) { cursor seq stream at line task { name } }\n  }\n": typeof types.CliTailLogDocument,
    "\n  query CliViewer {\n    viewer { kind name isAdmin user { id name } node { id name } }\n  }\n": typeof types.CliViewerDocument,
    "\n  fragment CliJobRow on Job {\n    id\n    number\n    name\n    status\n    progress\n    queue\n    priority\n    tags\n    template { name version }\n    node { name }\n    createdAt\n    updatedAt\n    deletedAt\n    errorReason\n  }\n": typeof types.CliJobRowFragmentDoc,
    "\n  fragment CliJobDetail on Job {\n    ...CliJobRow\n    description\n    attemptCount\n    maxAttempts\n    startTime\n    endTime\n    progressDetail\n    creator { name }\n    template { executor { name version } }\n    inputValues { name type value }\n    parameterValues { name type value }\n    outputs(first: 100) { totalCount edges { node { name type size downloadUrl } } }\n  }\n": typeof types.CliJobDetailFragmentDoc,
    "\n  query CliJobs($filter: JobFilter, $first: Int!, $after: String) {\n    jobs(filter: $filter, first: $first, after: $after) {\n      totalCount\n      edges { node { ...CliJobRow } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.CliJobsDocument,
    "\n  query CliJob($id: ID!) {\n    job(id: $id) { ...CliJobDetail }\n  }\n": typeof types.CliJobDocument,
    "\n  query CliJobState($id: ID!) {\n    job(id: $id) { id number name status progress errorReason }\n  }\n": typeof types.CliJobStateDocument,
    "\n  query CliJobByNumber($number: Long!) {\n    jobByNumber(number: $number) { id }\n  }\n": typeof types.CliJobByNumberDocument,
    "\n  query CliTemplateDeclarations($name: String!, $version: Int) {\n    jobTemplate(name: $name, version: $version) {\n      name\n      version\n      inputs { name types }\n      parameters { name types }\n    }\n  }\n": typeof types.CliTemplateDeclarationsDocument,
    "\n  mutation CliCreateJob($input: CreateJobInput!) {\n    createJob(input: $input) {\n      __typename\n      ... on CreateJobPayload { outcome job { ...CliJobRow } }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n": typeof types.CliCreateJobDocument,
    "\n  mutation CliCancelJob($id: ID!, $reason: String) {\n    cancelJob(id: $id, reason: $reason) {\n      __typename\n      ... on JobPayload { job { ...CliJobRow } }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n": typeof types.CliCancelJobDocument,
    "\n  subscription CliJobProgress($id: ID!, $minIntervalMs: Int) {\n    jobProgress(id: $id, minIntervalMs: $minIntervalMs) {\n      initial\n      kind\n      progress\n      detail\n      status\n      at\n      job { id number name status progress progressDetail errorReason }\n    }\n  }\n": typeof types.CliJobProgressDocument,
    "\n  query CliLatestTemplate($name: String!) {\n    jobTemplate(name: $name) {\n      id\n      name\n      version\n      description\n      executor { name version }\n      inputs { name types required default help }\n      parameters { name types required default help }\n    }\n  }\n": typeof types.CliLatestTemplateDocument,
    "\n  mutation CliCreateJobTemplate($input: CreateJobTemplateInput!) {\n    createJobTemplate(input: $input) {\n      __typename\n      ... on JobTemplatePayload { jobTemplate { id name version } }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n": typeof types.CliCreateJobTemplateDocument,
    "\n  query CliUserByName($name: String!) {\n    users(first: 1, filter: { name: $name }) { edges { node { id name } } }\n  }\n": typeof types.CliUserByNameDocument,
    "\n  mutation CliCreateApiToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      __typename\n      ... on CreateApiTokenPayload { secret token { id name prefix expiresAt createdAt user { id name role } } }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n": typeof types.CliCreateApiTokenDocument,
    "\n  mutation CliRegisterWorkerNode($input: RegisterWorkerNodeInput!) {\n    registerWorkerNode(input: $input) {\n      __typename\n      ... on RegisterWorkerNodePayload { secret token { id name prefix createdAt } node { id name executors cpu memory } }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n": typeof types.CliRegisterWorkerNodeDocument,
    "\n  query CliQueues($first: Int!, $after: String) {\n    queues(first: $first, after: $after) {\n      name\n      paused\n      concurrencyLimit\n      counts { claimable scheduled held succeeded failed }\n      oldestWaitingSince\n      last5Minutes { completed jobsPerMinute meanRunSeconds }\n      nodes { name }\n    }\n  }\n": typeof types.CliQueuesDocument,
    "\n  mutation CliPauseQueue($name: String!) {\n    pauseQueue(name: $name) { __typename ... on Queue { name paused concurrencyLimit } ... on Error { message } ... on ValidationError { fieldErrors { path message } } }\n  }\n": typeof types.CliPauseQueueDocument,
    "\n  mutation CliResumeQueue($name: String!) {\n    resumeQueue(name: $name) { __typename ... on Queue { name paused concurrencyLimit } ... on Error { message } ... on ValidationError { fieldErrors { path message } } }\n  }\n": typeof types.CliResumeQueueDocument,
    "\n  mutation CliLimitQueue($name: String!, $limit: Int) {\n    updateQueue(input: { name: $name, concurrencyLimit: $limit }) {\n      __typename ... on Queue { name paused concurrencyLimit } ... on Error { message } ... on ValidationError { fieldErrors { path message } }\n    }\n  }\n": typeof types.CliLimitQueueDocument,
    "\n  query CliNodes($first: Int!, $after: String) {\n    workerNodes(first: $first, after: $after) {\n      edges { node { id name executors online draining lastSeenAt currentJobs { totalCount } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.CliNodesDocument,
    "\n  mutation CliDrainNode($id: ID!) {\n    drainNode(id: $id) { __typename ... on WorkerNode { name draining currentJobs { totalCount } } ... on Error { message } }\n  }\n": typeof types.CliDrainNodeDocument,
    "\n  mutation CliUndrainNode($id: ID!) {\n    undrainNode(id: $id) { __typename ... on WorkerNode { name draining currentJobs { totalCount } } ... on Error { message } }\n  }\n": typeof types.CliUndrainNodeDocument,
    "\n  query CliWhyNotRunning($id: ID!) {\n    job(id: $id) {\n      number\n      status\n      queue\n      queuePosition\n      whyNotRunning { code message }\n      estimatedStartTime { time earliest latest basis }\n    }\n  }\n": typeof types.CliWhyNotRunningDocument,
    "\n  fragment CliScheduleRow on Schedule {\n    id\n    name\n    cron\n    timeZone\n    paused\n    nextRunAt\n    overlap\n    catchUp\n    lastJob { number status }\n  }\n": typeof types.CliScheduleRowFragmentDoc,
    "\n  query CliSchedules($first: Int!, $after: String) {\n    schedules(first: $first, after: $after) {\n      edges { node { ...CliScheduleRow } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.CliSchedulesDocument,
    "\n  query CliScheduleByName($name: String!) { schedule(name: $name) { id } }\n": typeof types.CliScheduleByNameDocument,
    "\n  mutation CliCreateSchedule($input: CreateScheduleInput!, $count: Int!) {\n    createSchedule(input: $input) {\n      __typename\n      ... on Schedule { ...CliScheduleRow nextRunTimes(count: $count) }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n": typeof types.CliCreateScheduleDocument,
    "\n  mutation CliPauseSchedule($id: ID!) {\n    pauseSchedule(id: $id) { __typename ... on Schedule { ...CliScheduleRow } ... on ValidationError { fieldErrors { path message } } ... on Error { message } }\n  }\n": typeof types.CliPauseScheduleDocument,
    "\n  mutation CliResumeSchedule($id: ID!) {\n    resumeSchedule(id: $id) { __typename ... on Schedule { ...CliScheduleRow } ... on ValidationError { fieldErrors { path message } } ... on Error { message } }\n  }\n": typeof types.CliResumeScheduleDocument,
    "\n  mutation CliDeleteSchedule($id: ID!) {\n    deleteSchedule(id: $id) { __typename ... on DeletedSchedule { id name } ... on ValidationError { fieldErrors { path message } } ... on Error { message } }\n  }\n": typeof types.CliDeleteScheduleDocument,
    "\n  mutation CliCreateWorkflow($input: CreateWorkflowInput!) {\n    createWorkflow(input: $input) {\n      __typename\n      ... on CreateWorkflowPayload { workflow { id number name status } jobs { key reused job { id number status } } }\n      ... on Error { message }\n      ... on ValidationError { fieldErrors { path message } }\n    }\n  }\n": typeof types.CliCreateWorkflowDocument,
    "\n  query CliWorkflowByNumber($number: Long!) { workflowByNumber(number: $number) { id } }\n": typeof types.CliWorkflowByNumberDocument,
    "\n  fragment CliWorkflowView on Workflow {\n    number\n    name\n    status\n    progress\n    counts { total waiting queued running succeeded failed cancelled }\n    jobs(first: 100) { edges { node { number name status progress errorReason } } }\n  }\n": typeof types.CliWorkflowViewFragmentDoc,
    "\n  query CliWorkflowState($id: ID!) { workflow(id: $id) { ...CliWorkflowView } }\n": typeof types.CliWorkflowStateDocument,
    "\n  subscription CliWatchWorkflow($id: ID!) { workflowUpdated(id: $id) { ...CliWorkflowView } }\n": typeof types.CliWatchWorkflowDocument,
    "\n  fragment WorkerJobFields on Job {\n    id\n    number\n    name\n    description\n    queue\n    priority\n    tags\n    attemptCount\n    maxAttempts\n    timeLimitAt\n    deadline\n    template { name version executor { name version } }\n    inputValues { name type value output { id size sha256 downloadUrl } }\n    parameterValues { name type value }\n  }\n": typeof types.WorkerJobFieldsFragmentDoc,
    "\n  mutation SdkAcquireNextJob($filter: AcquireFilter) {\n    acquireNextJob(filter: $filter) {\n      __typename\n      ... on AcquireJobPayload { job { ...WorkerJobFields } lease { token expiresAt } }\n      ... on Error { message }\n    }\n  }\n": typeof types.SdkAcquireNextJobDocument,
    "\n  mutation SdkStartJob($id: ID!, $leaseToken: String!) {\n    startJob(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on LeasePayload {\n        lease { token expiresAt }\n        job {\n          tasks(first: 100) {\n            edges { node { ...WorkerTaskFields } }\n            pageInfo { hasNextPage endCursor }\n          }\n        }\n      }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n": typeof types.SdkStartJobDocument,
    "\n  mutation SdkRenewJobLease($id: ID!, $leaseToken: String!) {\n    renewJobLease(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on LeasePayload { lease { token expiresAt } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n": typeof types.SdkRenewJobLeaseDocument,
    "\n  mutation SdkReportJobProgress($id: ID!, $leaseToken: String!, $progress: Float!, $detail: JSON) {\n    reportJobProgress(id: $id, leaseToken: $leaseToken, progress: $progress, detail: $detail) {\n      __typename\n      ... on LeasePayload { lease { token expiresAt } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n": typeof types.SdkReportJobProgressDocument,
    "\n  mutation SdkFinishJob($id: ID!, $leaseToken: String!, $error: String, $retryable: Boolean) {\n    finishJob(id: $id, leaseToken: $leaseToken, error: $error, retryable: $retryable) {\n      __typename\n      ... on JobPayload { job { status } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n": typeof types.SdkFinishJobDocument,
    "\n  mutation SdkReleaseJob($id: ID!, $leaseToken: String!) {\n    releaseJob(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on Error { message }\n    }\n  }\n": typeof types.SdkReleaseJobDocument,
    "\n  subscription SdkJobStatus($id: ID!) {\n    jobUpdated(id: $id) { status }\n  }\n": typeof types.SdkJobStatusDocument,
    "\n  subscription SdkJobAvailable($queues: [String!]) {\n    jobAvailable(queues: $queues) { claimable job { id } }\n  }\n": typeof types.SdkJobAvailableDocument,
    "\n  fragment WorkerTaskFields on Task {\n    id\n    name\n    type\n    mapIndex\n    mapValue\n    sequence\n    qsequence\n    status\n    attempts\n    maxAttempts\n    progress\n    payload\n    parameters\n    executor { name version }\n    inputs { source { uri spaceId key } target { path } }\n  }\n": typeof types.WorkerTaskFieldsFragmentDoc,
    "\n  query SdkJobTasks($id: ID!, $after: String) {\n    job(id: $id) {\n      tasks(first: 100, after: $after) {\n        edges { node { ...WorkerTaskFields } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n": typeof types.SdkJobTasksDocument,
    "\n  mutation SdkStartTask($id: ID!, $leaseToken: String!) {\n    startTask(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on TaskPayload { task { ...WorkerTaskFields } }\n      ... on Error { message }\n    }\n  }\n": typeof types.SdkStartTaskDocument,
    "\n  mutation SdkReportTaskProgress($id: ID!, $leaseToken: String!, $progress: Float!) {\n    reportTaskProgress(id: $id, leaseToken: $leaseToken, progress: $progress) {\n      __typename\n      ... on TaskPayload { task { ...WorkerTaskFields } }\n      ... on Error { message }\n    }\n  }\n": typeof types.SdkReportTaskProgressDocument,
    "\n  mutation SdkFinishTask($id: ID!, $leaseToken: String!, $success: Boolean!, $output: String) {\n    finishTask(id: $id, leaseToken: $leaseToken, success: $success, output: $output) {\n      __typename\n      ... on TaskPayload { task { ...WorkerTaskFields } }\n      ... on Error { message }\n    }\n  }\n": typeof types.SdkFinishTaskDocument,
    "\n  mutation SdkAppendJobLog($input: AppendJobLogInput!) {\n    appendJobLog(input: $input) {\n      __typename\n      ... on AppendJobLogPayload { accepted }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n": typeof types.SdkAppendJobLogDocument,
};
const documents: Documents = {
    "\n  query CliJobLog($id: ID!, $after: String, $first: Int!) {\n    job(id: $id) {\n      number\n      status\n      tasks(first: 100) { edges { node { id name } } }\n      log(first: $first, after: $after) {\n        edges { cursor node { seq stream at line task { name } } }\n        pageInfo { hasNextPage endCursor }\n      }\n      logStats { droppedLines }\n    }\n  }\n": types.CliJobLogDocument,
    "\n  subscription CliTailLog($job: ID!, $after: String, $task: ID) {\n    jobLog(job: $job, after: $after, task: $task) { cursor seq stream at line task { name } }\n  }\n": types.CliTailLogDocument,
    "\n  query CliViewer {\n    viewer { kind name isAdmin user { id name } node { id name } }\n  }\n": types.CliViewerDocument,
    "\n  fragment CliJobRow on Job {\n    id\n    number\n    name\n    status\n    progress\n    queue\n    priority\n    tags\n    template { name version }\n    node { name }\n    createdAt\n    updatedAt\n    deletedAt\n    errorReason\n  }\n": types.CliJobRowFragmentDoc,
    "\n  fragment CliJobDetail on Job {\n    ...CliJobRow\n    description\n    attemptCount\n    maxAttempts\n    startTime\n    endTime\n    progressDetail\n    creator { name }\n    template { executor { name version } }\n    inputValues { name type value }\n    parameterValues { name type value }\n    outputs(first: 100) { totalCount edges { node { name type size downloadUrl } } }\n  }\n": types.CliJobDetailFragmentDoc,
    "\n  query CliJobs($filter: JobFilter, $first: Int!, $after: String) {\n    jobs(filter: $filter, first: $first, after: $after) {\n      totalCount\n      edges { node { ...CliJobRow } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.CliJobsDocument,
    "\n  query CliJob($id: ID!) {\n    job(id: $id) { ...CliJobDetail }\n  }\n": types.CliJobDocument,
    "\n  query CliJobState($id: ID!) {\n    job(id: $id) { id number name status progress errorReason }\n  }\n": types.CliJobStateDocument,
    "\n  query CliJobByNumber($number: Long!) {\n    jobByNumber(number: $number) { id }\n  }\n": types.CliJobByNumberDocument,
    "\n  query CliTemplateDeclarations($name: String!, $version: Int) {\n    jobTemplate(name: $name, version: $version) {\n      name\n      version\n      inputs { name types }\n      parameters { name types }\n    }\n  }\n": types.CliTemplateDeclarationsDocument,
    "\n  mutation CliCreateJob($input: CreateJobInput!) {\n    createJob(input: $input) {\n      __typename\n      ... on CreateJobPayload { outcome job { ...CliJobRow } }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n": types.CliCreateJobDocument,
    "\n  mutation CliCancelJob($id: ID!, $reason: String) {\n    cancelJob(id: $id, reason: $reason) {\n      __typename\n      ... on JobPayload { job { ...CliJobRow } }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n": types.CliCancelJobDocument,
    "\n  subscription CliJobProgress($id: ID!, $minIntervalMs: Int) {\n    jobProgress(id: $id, minIntervalMs: $minIntervalMs) {\n      initial\n      kind\n      progress\n      detail\n      status\n      at\n      job { id number name status progress progressDetail errorReason }\n    }\n  }\n": types.CliJobProgressDocument,
    "\n  query CliLatestTemplate($name: String!) {\n    jobTemplate(name: $name) {\n      id\n      name\n      version\n      description\n      executor { name version }\n      inputs { name types required default help }\n      parameters { name types required default help }\n    }\n  }\n": types.CliLatestTemplateDocument,
    "\n  mutation CliCreateJobTemplate($input: CreateJobTemplateInput!) {\n    createJobTemplate(input: $input) {\n      __typename\n      ... on JobTemplatePayload { jobTemplate { id name version } }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n": types.CliCreateJobTemplateDocument,
    "\n  query CliUserByName($name: String!) {\n    users(first: 1, filter: { name: $name }) { edges { node { id name } } }\n  }\n": types.CliUserByNameDocument,
    "\n  mutation CliCreateApiToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      __typename\n      ... on CreateApiTokenPayload { secret token { id name prefix expiresAt createdAt user { id name role } } }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n": types.CliCreateApiTokenDocument,
    "\n  mutation CliRegisterWorkerNode($input: RegisterWorkerNodeInput!) {\n    registerWorkerNode(input: $input) {\n      __typename\n      ... on RegisterWorkerNodePayload { secret token { id name prefix createdAt } node { id name executors cpu memory } }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n": types.CliRegisterWorkerNodeDocument,
    "\n  query CliQueues($first: Int!, $after: String) {\n    queues(first: $first, after: $after) {\n      name\n      paused\n      concurrencyLimit\n      counts { claimable scheduled held succeeded failed }\n      oldestWaitingSince\n      last5Minutes { completed jobsPerMinute meanRunSeconds }\n      nodes { name }\n    }\n  }\n": types.CliQueuesDocument,
    "\n  mutation CliPauseQueue($name: String!) {\n    pauseQueue(name: $name) { __typename ... on Queue { name paused concurrencyLimit } ... on Error { message } ... on ValidationError { fieldErrors { path message } } }\n  }\n": types.CliPauseQueueDocument,
    "\n  mutation CliResumeQueue($name: String!) {\n    resumeQueue(name: $name) { __typename ... on Queue { name paused concurrencyLimit } ... on Error { message } ... on ValidationError { fieldErrors { path message } } }\n  }\n": types.CliResumeQueueDocument,
    "\n  mutation CliLimitQueue($name: String!, $limit: Int) {\n    updateQueue(input: { name: $name, concurrencyLimit: $limit }) {\n      __typename ... on Queue { name paused concurrencyLimit } ... on Error { message } ... on ValidationError { fieldErrors { path message } }\n    }\n  }\n": types.CliLimitQueueDocument,
    "\n  query CliNodes($first: Int!, $after: String) {\n    workerNodes(first: $first, after: $after) {\n      edges { node { id name executors online draining lastSeenAt currentJobs { totalCount } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.CliNodesDocument,
    "\n  mutation CliDrainNode($id: ID!) {\n    drainNode(id: $id) { __typename ... on WorkerNode { name draining currentJobs { totalCount } } ... on Error { message } }\n  }\n": types.CliDrainNodeDocument,
    "\n  mutation CliUndrainNode($id: ID!) {\n    undrainNode(id: $id) { __typename ... on WorkerNode { name draining currentJobs { totalCount } } ... on Error { message } }\n  }\n": types.CliUndrainNodeDocument,
    "\n  query CliWhyNotRunning($id: ID!) {\n    job(id: $id) {\n      number\n      status\n      queue\n      queuePosition\n      whyNotRunning { code message }\n      estimatedStartTime { time earliest latest basis }\n    }\n  }\n": types.CliWhyNotRunningDocument,
    "\n  fragment CliScheduleRow on Schedule {\n    id\n    name\n    cron\n    timeZone\n    paused\n    nextRunAt\n    overlap\n    catchUp\n    lastJob { number status }\n  }\n": types.CliScheduleRowFragmentDoc,
    "\n  query CliSchedules($first: Int!, $after: String) {\n    schedules(first: $first, after: $after) {\n      edges { node { ...CliScheduleRow } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.CliSchedulesDocument,
    "\n  query CliScheduleByName($name: String!) { schedule(name: $name) { id } }\n": types.CliScheduleByNameDocument,
    "\n  mutation CliCreateSchedule($input: CreateScheduleInput!, $count: Int!) {\n    createSchedule(input: $input) {\n      __typename\n      ... on Schedule { ...CliScheduleRow nextRunTimes(count: $count) }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n": types.CliCreateScheduleDocument,
    "\n  mutation CliPauseSchedule($id: ID!) {\n    pauseSchedule(id: $id) { __typename ... on Schedule { ...CliScheduleRow } ... on ValidationError { fieldErrors { path message } } ... on Error { message } }\n  }\n": types.CliPauseScheduleDocument,
    "\n  mutation CliResumeSchedule($id: ID!) {\n    resumeSchedule(id: $id) { __typename ... on Schedule { ...CliScheduleRow } ... on ValidationError { fieldErrors { path message } } ... on Error { message } }\n  }\n": types.CliResumeScheduleDocument,
    "\n  mutation CliDeleteSchedule($id: ID!) {\n    deleteSchedule(id: $id) { __typename ... on DeletedSchedule { id name } ... on ValidationError { fieldErrors { path message } } ... on Error { message } }\n  }\n": types.CliDeleteScheduleDocument,
    "\n  mutation CliCreateWorkflow($input: CreateWorkflowInput!) {\n    createWorkflow(input: $input) {\n      __typename\n      ... on CreateWorkflowPayload { workflow { id number name status } jobs { key reused job { id number status } } }\n      ... on Error { message }\n      ... on ValidationError { fieldErrors { path message } }\n    }\n  }\n": types.CliCreateWorkflowDocument,
    "\n  query CliWorkflowByNumber($number: Long!) { workflowByNumber(number: $number) { id } }\n": types.CliWorkflowByNumberDocument,
    "\n  fragment CliWorkflowView on Workflow {\n    number\n    name\n    status\n    progress\n    counts { total waiting queued running succeeded failed cancelled }\n    jobs(first: 100) { edges { node { number name status progress errorReason } } }\n  }\n": types.CliWorkflowViewFragmentDoc,
    "\n  query CliWorkflowState($id: ID!) { workflow(id: $id) { ...CliWorkflowView } }\n": types.CliWorkflowStateDocument,
    "\n  subscription CliWatchWorkflow($id: ID!) { workflowUpdated(id: $id) { ...CliWorkflowView } }\n": types.CliWatchWorkflowDocument,
    "\n  fragment WorkerJobFields on Job {\n    id\n    number\n    name\n    description\n    queue\n    priority\n    tags\n    attemptCount\n    maxAttempts\n    timeLimitAt\n    deadline\n    template { name version executor { name version } }\n    inputValues { name type value output { id size sha256 downloadUrl } }\n    parameterValues { name type value }\n  }\n": types.WorkerJobFieldsFragmentDoc,
    "\n  mutation SdkAcquireNextJob($filter: AcquireFilter) {\n    acquireNextJob(filter: $filter) {\n      __typename\n      ... on AcquireJobPayload { job { ...WorkerJobFields } lease { token expiresAt } }\n      ... on Error { message }\n    }\n  }\n": types.SdkAcquireNextJobDocument,
    "\n  mutation SdkStartJob($id: ID!, $leaseToken: String!) {\n    startJob(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on LeasePayload {\n        lease { token expiresAt }\n        job {\n          tasks(first: 100) {\n            edges { node { ...WorkerTaskFields } }\n            pageInfo { hasNextPage endCursor }\n          }\n        }\n      }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n": types.SdkStartJobDocument,
    "\n  mutation SdkRenewJobLease($id: ID!, $leaseToken: String!) {\n    renewJobLease(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on LeasePayload { lease { token expiresAt } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n": types.SdkRenewJobLeaseDocument,
    "\n  mutation SdkReportJobProgress($id: ID!, $leaseToken: String!, $progress: Float!, $detail: JSON) {\n    reportJobProgress(id: $id, leaseToken: $leaseToken, progress: $progress, detail: $detail) {\n      __typename\n      ... on LeasePayload { lease { token expiresAt } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n": types.SdkReportJobProgressDocument,
    "\n  mutation SdkFinishJob($id: ID!, $leaseToken: String!, $error: String, $retryable: Boolean) {\n    finishJob(id: $id, leaseToken: $leaseToken, error: $error, retryable: $retryable) {\n      __typename\n      ... on JobPayload { job { status } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n": types.SdkFinishJobDocument,
    "\n  mutation SdkReleaseJob($id: ID!, $leaseToken: String!) {\n    releaseJob(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on Error { message }\n    }\n  }\n": types.SdkReleaseJobDocument,
    "\n  subscription SdkJobStatus($id: ID!) {\n    jobUpdated(id: $id) { status }\n  }\n": types.SdkJobStatusDocument,
    "\n  subscription SdkJobAvailable($queues: [String!]) {\n    jobAvailable(queues: $queues) { claimable job { id } }\n  }\n": types.SdkJobAvailableDocument,
    "\n  fragment WorkerTaskFields on Task {\n    id\n    name\n    type\n    mapIndex\n    mapValue\n    sequence\n    qsequence\n    status\n    attempts\n    maxAttempts\n    progress\n    payload\n    parameters\n    executor { name version }\n    inputs { source { uri spaceId key } target { path } }\n  }\n": types.WorkerTaskFieldsFragmentDoc,
    "\n  query SdkJobTasks($id: ID!, $after: String) {\n    job(id: $id) {\n      tasks(first: 100, after: $after) {\n        edges { node { ...WorkerTaskFields } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n": types.SdkJobTasksDocument,
    "\n  mutation SdkStartTask($id: ID!, $leaseToken: String!) {\n    startTask(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on TaskPayload { task { ...WorkerTaskFields } }\n      ... on Error { message }\n    }\n  }\n": types.SdkStartTaskDocument,
    "\n  mutation SdkReportTaskProgress($id: ID!, $leaseToken: String!, $progress: Float!) {\n    reportTaskProgress(id: $id, leaseToken: $leaseToken, progress: $progress) {\n      __typename\n      ... on TaskPayload { task { ...WorkerTaskFields } }\n      ... on Error { message }\n    }\n  }\n": types.SdkReportTaskProgressDocument,
    "\n  mutation SdkFinishTask($id: ID!, $leaseToken: String!, $success: Boolean!, $output: String) {\n    finishTask(id: $id, leaseToken: $leaseToken, success: $success, output: $output) {\n      __typename\n      ... on TaskPayload { task { ...WorkerTaskFields } }\n      ... on Error { message }\n    }\n  }\n": types.SdkFinishTaskDocument,
    "\n  mutation SdkAppendJobLog($input: AppendJobLogInput!) {\n    appendJobLog(input: $input) {\n      __typename\n      ... on AppendJobLogPayload { accepted }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n": types.SdkAppendJobLogDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliJobLog($id: ID!, $after: String, $first: Int!) {\n    job(id: $id) {\n      number\n      status\n      tasks(first: 100) { edges { node { id name } } }\n      log(first: $first, after: $after) {\n        edges { cursor node { seq stream at line task { name } } }\n        pageInfo { hasNextPage endCursor }\n      }\n      logStats { droppedLines }\n    }\n  }\n"): (typeof documents)["\n  query CliJobLog($id: ID!, $after: String, $first: Int!) {\n    job(id: $id) {\n      number\n      status\n      tasks(first: 100) { edges { node { id name } } }\n      log(first: $first, after: $after) {\n        edges { cursor node { seq stream at line task { name } } }\n        pageInfo { hasNextPage endCursor }\n      }\n      logStats { droppedLines }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription CliTailLog($job: ID!, $after: String, $task: ID) {\n    jobLog(job: $job, after: $after, task: $task) { cursor seq stream at line task { name } }\n  }\n"): (typeof documents)["\n  subscription CliTailLog($job: ID!, $after: String, $task: ID) {\n    jobLog(job: $job, after: $after, task: $task) { cursor seq stream at line task { name } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliViewer {\n    viewer { kind name isAdmin user { id name } node { id name } }\n  }\n"): (typeof documents)["\n  query CliViewer {\n    viewer { kind name isAdmin user { id name } node { id name } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CliJobRow on Job {\n    id\n    number\n    name\n    status\n    progress\n    queue\n    priority\n    tags\n    template { name version }\n    node { name }\n    createdAt\n    updatedAt\n    deletedAt\n    errorReason\n  }\n"): (typeof documents)["\n  fragment CliJobRow on Job {\n    id\n    number\n    name\n    status\n    progress\n    queue\n    priority\n    tags\n    template { name version }\n    node { name }\n    createdAt\n    updatedAt\n    deletedAt\n    errorReason\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CliJobDetail on Job {\n    ...CliJobRow\n    description\n    attemptCount\n    maxAttempts\n    startTime\n    endTime\n    progressDetail\n    creator { name }\n    template { executor { name version } }\n    inputValues { name type value }\n    parameterValues { name type value }\n    outputs(first: 100) { totalCount edges { node { name type size downloadUrl } } }\n  }\n"): (typeof documents)["\n  fragment CliJobDetail on Job {\n    ...CliJobRow\n    description\n    attemptCount\n    maxAttempts\n    startTime\n    endTime\n    progressDetail\n    creator { name }\n    template { executor { name version } }\n    inputValues { name type value }\n    parameterValues { name type value }\n    outputs(first: 100) { totalCount edges { node { name type size downloadUrl } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliJobs($filter: JobFilter, $first: Int!, $after: String) {\n    jobs(filter: $filter, first: $first, after: $after) {\n      totalCount\n      edges { node { ...CliJobRow } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query CliJobs($filter: JobFilter, $first: Int!, $after: String) {\n    jobs(filter: $filter, first: $first, after: $after) {\n      totalCount\n      edges { node { ...CliJobRow } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliJob($id: ID!) {\n    job(id: $id) { ...CliJobDetail }\n  }\n"): (typeof documents)["\n  query CliJob($id: ID!) {\n    job(id: $id) { ...CliJobDetail }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliJobState($id: ID!) {\n    job(id: $id) { id number name status progress errorReason }\n  }\n"): (typeof documents)["\n  query CliJobState($id: ID!) {\n    job(id: $id) { id number name status progress errorReason }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliJobByNumber($number: Long!) {\n    jobByNumber(number: $number) { id }\n  }\n"): (typeof documents)["\n  query CliJobByNumber($number: Long!) {\n    jobByNumber(number: $number) { id }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliTemplateDeclarations($name: String!, $version: Int) {\n    jobTemplate(name: $name, version: $version) {\n      name\n      version\n      inputs { name types }\n      parameters { name types }\n    }\n  }\n"): (typeof documents)["\n  query CliTemplateDeclarations($name: String!, $version: Int) {\n    jobTemplate(name: $name, version: $version) {\n      name\n      version\n      inputs { name types }\n      parameters { name types }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliCreateJob($input: CreateJobInput!) {\n    createJob(input: $input) {\n      __typename\n      ... on CreateJobPayload { outcome job { ...CliJobRow } }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n"): (typeof documents)["\n  mutation CliCreateJob($input: CreateJobInput!) {\n    createJob(input: $input) {\n      __typename\n      ... on CreateJobPayload { outcome job { ...CliJobRow } }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliCancelJob($id: ID!, $reason: String) {\n    cancelJob(id: $id, reason: $reason) {\n      __typename\n      ... on JobPayload { job { ...CliJobRow } }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n"): (typeof documents)["\n  mutation CliCancelJob($id: ID!, $reason: String) {\n    cancelJob(id: $id, reason: $reason) {\n      __typename\n      ... on JobPayload { job { ...CliJobRow } }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription CliJobProgress($id: ID!, $minIntervalMs: Int) {\n    jobProgress(id: $id, minIntervalMs: $minIntervalMs) {\n      initial\n      kind\n      progress\n      detail\n      status\n      at\n      job { id number name status progress progressDetail errorReason }\n    }\n  }\n"): (typeof documents)["\n  subscription CliJobProgress($id: ID!, $minIntervalMs: Int) {\n    jobProgress(id: $id, minIntervalMs: $minIntervalMs) {\n      initial\n      kind\n      progress\n      detail\n      status\n      at\n      job { id number name status progress progressDetail errorReason }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliLatestTemplate($name: String!) {\n    jobTemplate(name: $name) {\n      id\n      name\n      version\n      description\n      executor { name version }\n      inputs { name types required default help }\n      parameters { name types required default help }\n    }\n  }\n"): (typeof documents)["\n  query CliLatestTemplate($name: String!) {\n    jobTemplate(name: $name) {\n      id\n      name\n      version\n      description\n      executor { name version }\n      inputs { name types required default help }\n      parameters { name types required default help }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliCreateJobTemplate($input: CreateJobTemplateInput!) {\n    createJobTemplate(input: $input) {\n      __typename\n      ... on JobTemplatePayload { jobTemplate { id name version } }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n"): (typeof documents)["\n  mutation CliCreateJobTemplate($input: CreateJobTemplateInput!) {\n    createJobTemplate(input: $input) {\n      __typename\n      ... on JobTemplatePayload { jobTemplate { id name version } }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliUserByName($name: String!) {\n    users(first: 1, filter: { name: $name }) { edges { node { id name } } }\n  }\n"): (typeof documents)["\n  query CliUserByName($name: String!) {\n    users(first: 1, filter: { name: $name }) { edges { node { id name } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliCreateApiToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      __typename\n      ... on CreateApiTokenPayload { secret token { id name prefix expiresAt createdAt user { id name role } } }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n"): (typeof documents)["\n  mutation CliCreateApiToken($input: CreateApiTokenInput!) {\n    createApiToken(input: $input) {\n      __typename\n      ... on CreateApiTokenPayload { secret token { id name prefix expiresAt createdAt user { id name role } } }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliRegisterWorkerNode($input: RegisterWorkerNodeInput!) {\n    registerWorkerNode(input: $input) {\n      __typename\n      ... on RegisterWorkerNodePayload { secret token { id name prefix createdAt } node { id name executors cpu memory } }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n"): (typeof documents)["\n  mutation CliRegisterWorkerNode($input: RegisterWorkerNodeInput!) {\n    registerWorkerNode(input: $input) {\n      __typename\n      ... on RegisterWorkerNodePayload { secret token { id name prefix createdAt } node { id name executors cpu memory } }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliQueues($first: Int!, $after: String) {\n    queues(first: $first, after: $after) {\n      name\n      paused\n      concurrencyLimit\n      counts { claimable scheduled held succeeded failed }\n      oldestWaitingSince\n      last5Minutes { completed jobsPerMinute meanRunSeconds }\n      nodes { name }\n    }\n  }\n"): (typeof documents)["\n  query CliQueues($first: Int!, $after: String) {\n    queues(first: $first, after: $after) {\n      name\n      paused\n      concurrencyLimit\n      counts { claimable scheduled held succeeded failed }\n      oldestWaitingSince\n      last5Minutes { completed jobsPerMinute meanRunSeconds }\n      nodes { name }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliPauseQueue($name: String!) {\n    pauseQueue(name: $name) { __typename ... on Queue { name paused concurrencyLimit } ... on Error { message } ... on ValidationError { fieldErrors { path message } } }\n  }\n"): (typeof documents)["\n  mutation CliPauseQueue($name: String!) {\n    pauseQueue(name: $name) { __typename ... on Queue { name paused concurrencyLimit } ... on Error { message } ... on ValidationError { fieldErrors { path message } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliResumeQueue($name: String!) {\n    resumeQueue(name: $name) { __typename ... on Queue { name paused concurrencyLimit } ... on Error { message } ... on ValidationError { fieldErrors { path message } } }\n  }\n"): (typeof documents)["\n  mutation CliResumeQueue($name: String!) {\n    resumeQueue(name: $name) { __typename ... on Queue { name paused concurrencyLimit } ... on Error { message } ... on ValidationError { fieldErrors { path message } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliLimitQueue($name: String!, $limit: Int) {\n    updateQueue(input: { name: $name, concurrencyLimit: $limit }) {\n      __typename ... on Queue { name paused concurrencyLimit } ... on Error { message } ... on ValidationError { fieldErrors { path message } }\n    }\n  }\n"): (typeof documents)["\n  mutation CliLimitQueue($name: String!, $limit: Int) {\n    updateQueue(input: { name: $name, concurrencyLimit: $limit }) {\n      __typename ... on Queue { name paused concurrencyLimit } ... on Error { message } ... on ValidationError { fieldErrors { path message } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliNodes($first: Int!, $after: String) {\n    workerNodes(first: $first, after: $after) {\n      edges { node { id name executors online draining lastSeenAt currentJobs { totalCount } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query CliNodes($first: Int!, $after: String) {\n    workerNodes(first: $first, after: $after) {\n      edges { node { id name executors online draining lastSeenAt currentJobs { totalCount } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliDrainNode($id: ID!) {\n    drainNode(id: $id) { __typename ... on WorkerNode { name draining currentJobs { totalCount } } ... on Error { message } }\n  }\n"): (typeof documents)["\n  mutation CliDrainNode($id: ID!) {\n    drainNode(id: $id) { __typename ... on WorkerNode { name draining currentJobs { totalCount } } ... on Error { message } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliUndrainNode($id: ID!) {\n    undrainNode(id: $id) { __typename ... on WorkerNode { name draining currentJobs { totalCount } } ... on Error { message } }\n  }\n"): (typeof documents)["\n  mutation CliUndrainNode($id: ID!) {\n    undrainNode(id: $id) { __typename ... on WorkerNode { name draining currentJobs { totalCount } } ... on Error { message } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliWhyNotRunning($id: ID!) {\n    job(id: $id) {\n      number\n      status\n      queue\n      queuePosition\n      whyNotRunning { code message }\n      estimatedStartTime { time earliest latest basis }\n    }\n  }\n"): (typeof documents)["\n  query CliWhyNotRunning($id: ID!) {\n    job(id: $id) {\n      number\n      status\n      queue\n      queuePosition\n      whyNotRunning { code message }\n      estimatedStartTime { time earliest latest basis }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CliScheduleRow on Schedule {\n    id\n    name\n    cron\n    timeZone\n    paused\n    nextRunAt\n    overlap\n    catchUp\n    lastJob { number status }\n  }\n"): (typeof documents)["\n  fragment CliScheduleRow on Schedule {\n    id\n    name\n    cron\n    timeZone\n    paused\n    nextRunAt\n    overlap\n    catchUp\n    lastJob { number status }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliSchedules($first: Int!, $after: String) {\n    schedules(first: $first, after: $after) {\n      edges { node { ...CliScheduleRow } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query CliSchedules($first: Int!, $after: String) {\n    schedules(first: $first, after: $after) {\n      edges { node { ...CliScheduleRow } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliScheduleByName($name: String!) { schedule(name: $name) { id } }\n"): (typeof documents)["\n  query CliScheduleByName($name: String!) { schedule(name: $name) { id } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliCreateSchedule($input: CreateScheduleInput!, $count: Int!) {\n    createSchedule(input: $input) {\n      __typename\n      ... on Schedule { ...CliScheduleRow nextRunTimes(count: $count) }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n"): (typeof documents)["\n  mutation CliCreateSchedule($input: CreateScheduleInput!, $count: Int!) {\n    createSchedule(input: $input) {\n      __typename\n      ... on Schedule { ...CliScheduleRow nextRunTimes(count: $count) }\n      ... on ValidationError { fieldErrors { path message } }\n      ... on Error { message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliPauseSchedule($id: ID!) {\n    pauseSchedule(id: $id) { __typename ... on Schedule { ...CliScheduleRow } ... on ValidationError { fieldErrors { path message } } ... on Error { message } }\n  }\n"): (typeof documents)["\n  mutation CliPauseSchedule($id: ID!) {\n    pauseSchedule(id: $id) { __typename ... on Schedule { ...CliScheduleRow } ... on ValidationError { fieldErrors { path message } } ... on Error { message } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliResumeSchedule($id: ID!) {\n    resumeSchedule(id: $id) { __typename ... on Schedule { ...CliScheduleRow } ... on ValidationError { fieldErrors { path message } } ... on Error { message } }\n  }\n"): (typeof documents)["\n  mutation CliResumeSchedule($id: ID!) {\n    resumeSchedule(id: $id) { __typename ... on Schedule { ...CliScheduleRow } ... on ValidationError { fieldErrors { path message } } ... on Error { message } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliDeleteSchedule($id: ID!) {\n    deleteSchedule(id: $id) { __typename ... on DeletedSchedule { id name } ... on ValidationError { fieldErrors { path message } } ... on Error { message } }\n  }\n"): (typeof documents)["\n  mutation CliDeleteSchedule($id: ID!) {\n    deleteSchedule(id: $id) { __typename ... on DeletedSchedule { id name } ... on ValidationError { fieldErrors { path message } } ... on Error { message } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CliCreateWorkflow($input: CreateWorkflowInput!) {\n    createWorkflow(input: $input) {\n      __typename\n      ... on CreateWorkflowPayload { workflow { id number name status } jobs { key reused job { id number status } } }\n      ... on Error { message }\n      ... on ValidationError { fieldErrors { path message } }\n    }\n  }\n"): (typeof documents)["\n  mutation CliCreateWorkflow($input: CreateWorkflowInput!) {\n    createWorkflow(input: $input) {\n      __typename\n      ... on CreateWorkflowPayload { workflow { id number name status } jobs { key reused job { id number status } } }\n      ... on Error { message }\n      ... on ValidationError { fieldErrors { path message } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliWorkflowByNumber($number: Long!) { workflowByNumber(number: $number) { id } }\n"): (typeof documents)["\n  query CliWorkflowByNumber($number: Long!) { workflowByNumber(number: $number) { id } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CliWorkflowView on Workflow {\n    number\n    name\n    status\n    progress\n    counts { total waiting queued running succeeded failed cancelled }\n    jobs(first: 100) { edges { node { number name status progress errorReason } } }\n  }\n"): (typeof documents)["\n  fragment CliWorkflowView on Workflow {\n    number\n    name\n    status\n    progress\n    counts { total waiting queued running succeeded failed cancelled }\n    jobs(first: 100) { edges { node { number name status progress errorReason } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliWorkflowState($id: ID!) { workflow(id: $id) { ...CliWorkflowView } }\n"): (typeof documents)["\n  query CliWorkflowState($id: ID!) { workflow(id: $id) { ...CliWorkflowView } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription CliWatchWorkflow($id: ID!) { workflowUpdated(id: $id) { ...CliWorkflowView } }\n"): (typeof documents)["\n  subscription CliWatchWorkflow($id: ID!) { workflowUpdated(id: $id) { ...CliWorkflowView } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment WorkerJobFields on Job {\n    id\n    number\n    name\n    description\n    queue\n    priority\n    tags\n    attemptCount\n    maxAttempts\n    timeLimitAt\n    deadline\n    template { name version executor { name version } }\n    inputValues { name type value output { id size sha256 downloadUrl } }\n    parameterValues { name type value }\n  }\n"): (typeof documents)["\n  fragment WorkerJobFields on Job {\n    id\n    number\n    name\n    description\n    queue\n    priority\n    tags\n    attemptCount\n    maxAttempts\n    timeLimitAt\n    deadline\n    template { name version executor { name version } }\n    inputValues { name type value output { id size sha256 downloadUrl } }\n    parameterValues { name type value }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SdkAcquireNextJob($filter: AcquireFilter) {\n    acquireNextJob(filter: $filter) {\n      __typename\n      ... on AcquireJobPayload { job { ...WorkerJobFields } lease { token expiresAt } }\n      ... on Error { message }\n    }\n  }\n"): (typeof documents)["\n  mutation SdkAcquireNextJob($filter: AcquireFilter) {\n    acquireNextJob(filter: $filter) {\n      __typename\n      ... on AcquireJobPayload { job { ...WorkerJobFields } lease { token expiresAt } }\n      ... on Error { message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SdkStartJob($id: ID!, $leaseToken: String!) {\n    startJob(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on LeasePayload {\n        lease { token expiresAt }\n        job {\n          tasks(first: 100) {\n            edges { node { ...WorkerTaskFields } }\n            pageInfo { hasNextPage endCursor }\n          }\n        }\n      }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n"): (typeof documents)["\n  mutation SdkStartJob($id: ID!, $leaseToken: String!) {\n    startJob(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on LeasePayload {\n        lease { token expiresAt }\n        job {\n          tasks(first: 100) {\n            edges { node { ...WorkerTaskFields } }\n            pageInfo { hasNextPage endCursor }\n          }\n        }\n      }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SdkRenewJobLease($id: ID!, $leaseToken: String!) {\n    renewJobLease(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on LeasePayload { lease { token expiresAt } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n"): (typeof documents)["\n  mutation SdkRenewJobLease($id: ID!, $leaseToken: String!) {\n    renewJobLease(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on LeasePayload { lease { token expiresAt } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SdkReportJobProgress($id: ID!, $leaseToken: String!, $progress: Float!, $detail: JSON) {\n    reportJobProgress(id: $id, leaseToken: $leaseToken, progress: $progress, detail: $detail) {\n      __typename\n      ... on LeasePayload { lease { token expiresAt } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n"): (typeof documents)["\n  mutation SdkReportJobProgress($id: ID!, $leaseToken: String!, $progress: Float!, $detail: JSON) {\n    reportJobProgress(id: $id, leaseToken: $leaseToken, progress: $progress, detail: $detail) {\n      __typename\n      ... on LeasePayload { lease { token expiresAt } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SdkFinishJob($id: ID!, $leaseToken: String!, $error: String, $retryable: Boolean) {\n    finishJob(id: $id, leaseToken: $leaseToken, error: $error, retryable: $retryable) {\n      __typename\n      ... on JobPayload { job { status } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n"): (typeof documents)["\n  mutation SdkFinishJob($id: ID!, $leaseToken: String!, $error: String, $retryable: Boolean) {\n    finishJob(id: $id, leaseToken: $leaseToken, error: $error, retryable: $retryable) {\n      __typename\n      ... on JobPayload { job { status } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SdkReleaseJob($id: ID!, $leaseToken: String!) {\n    releaseJob(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on Error { message }\n    }\n  }\n"): (typeof documents)["\n  mutation SdkReleaseJob($id: ID!, $leaseToken: String!) {\n    releaseJob(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on Error { message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription SdkJobStatus($id: ID!) {\n    jobUpdated(id: $id) { status }\n  }\n"): (typeof documents)["\n  subscription SdkJobStatus($id: ID!) {\n    jobUpdated(id: $id) { status }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription SdkJobAvailable($queues: [String!]) {\n    jobAvailable(queues: $queues) { claimable job { id } }\n  }\n"): (typeof documents)["\n  subscription SdkJobAvailable($queues: [String!]) {\n    jobAvailable(queues: $queues) { claimable job { id } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment WorkerTaskFields on Task {\n    id\n    name\n    type\n    mapIndex\n    mapValue\n    sequence\n    qsequence\n    status\n    attempts\n    maxAttempts\n    progress\n    payload\n    parameters\n    executor { name version }\n    inputs { source { uri spaceId key } target { path } }\n  }\n"): (typeof documents)["\n  fragment WorkerTaskFields on Task {\n    id\n    name\n    type\n    mapIndex\n    mapValue\n    sequence\n    qsequence\n    status\n    attempts\n    maxAttempts\n    progress\n    payload\n    parameters\n    executor { name version }\n    inputs { source { uri spaceId key } target { path } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SdkJobTasks($id: ID!, $after: String) {\n    job(id: $id) {\n      tasks(first: 100, after: $after) {\n        edges { node { ...WorkerTaskFields } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n"): (typeof documents)["\n  query SdkJobTasks($id: ID!, $after: String) {\n    job(id: $id) {\n      tasks(first: 100, after: $after) {\n        edges { node { ...WorkerTaskFields } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SdkStartTask($id: ID!, $leaseToken: String!) {\n    startTask(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on TaskPayload { task { ...WorkerTaskFields } }\n      ... on Error { message }\n    }\n  }\n"): (typeof documents)["\n  mutation SdkStartTask($id: ID!, $leaseToken: String!) {\n    startTask(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on TaskPayload { task { ...WorkerTaskFields } }\n      ... on Error { message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SdkReportTaskProgress($id: ID!, $leaseToken: String!, $progress: Float!) {\n    reportTaskProgress(id: $id, leaseToken: $leaseToken, progress: $progress) {\n      __typename\n      ... on TaskPayload { task { ...WorkerTaskFields } }\n      ... on Error { message }\n    }\n  }\n"): (typeof documents)["\n  mutation SdkReportTaskProgress($id: ID!, $leaseToken: String!, $progress: Float!) {\n    reportTaskProgress(id: $id, leaseToken: $leaseToken, progress: $progress) {\n      __typename\n      ... on TaskPayload { task { ...WorkerTaskFields } }\n      ... on Error { message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SdkFinishTask($id: ID!, $leaseToken: String!, $success: Boolean!, $output: String) {\n    finishTask(id: $id, leaseToken: $leaseToken, success: $success, output: $output) {\n      __typename\n      ... on TaskPayload { task { ...WorkerTaskFields } }\n      ... on Error { message }\n    }\n  }\n"): (typeof documents)["\n  mutation SdkFinishTask($id: ID!, $leaseToken: String!, $success: Boolean!, $output: String) {\n    finishTask(id: $id, leaseToken: $leaseToken, success: $success, output: $output) {\n      __typename\n      ... on TaskPayload { task { ...WorkerTaskFields } }\n      ... on Error { message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SdkAppendJobLog($input: AppendJobLogInput!) {\n    appendJobLog(input: $input) {\n      __typename\n      ... on AppendJobLogPayload { accepted }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n"): (typeof documents)["\n  mutation SdkAppendJobLog($input: AppendJobLogInput!) {\n    appendJobLog(input: $input) {\n      __typename\n      ... on AppendJobLogPayload { accepted }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;