// The operations the CLI sends, typed by GraphQL Code Generator into src/sdk/gql with the SDK's
// (codegen.ts), so the CLI runs without a generation step.
import { graphql } from "../sdk/gql/index.js";

export const Viewer = graphql(`
  query CliViewer {
    viewer { kind name isAdmin user { id name } node { id name } }
  }
`);

export const JobRowFields = graphql(`
  fragment CliJobRow on Job {
    id
    number
    name
    status
    progress
    queue
    priority
    tags
    template { name version }
    node { name }
    createdAt
    updatedAt
    deletedAt
    errorReason
  }
`);

export const JobDetailFields = graphql(`
  fragment CliJobDetail on Job {
    ...CliJobRow
    description
    attemptCount
    maxAttempts
    startTime
    endTime
    progressDetail
    creator { name }
    template { executor { name version } }
    inputValues { name type value }
    parameterValues { name type value }
    outputs(first: 100) { totalCount edges { node { name type size downloadUrl } } }
  }
`);

export const Jobs = graphql(`
  query CliJobs($filter: JobFilter, $first: Int!, $after: String) {
    jobs(filter: $filter, first: $first, after: $after) {
      totalCount
      edges { node { ...CliJobRow } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const Job = graphql(`
  query CliJob($id: ID!) {
    job(id: $id) { ...CliJobDetail }
  }
`);

export const JobState = graphql(`
  query CliJobState($id: ID!) {
    job(id: $id) { id number name status progress errorReason }
  }
`);

export const JobByNumber = graphql(`
  query CliJobByNumber($number: Long!) {
    jobByNumber(number: $number) { id }
  }
`);

export const TemplateDeclarations = graphql(`
  query CliTemplateDeclarations($name: String!, $version: Int) {
    jobTemplate(name: $name, version: $version) {
      name
      version
      inputs { name types }
      parameters { name types }
    }
  }
`);

export const CreateJob = graphql(`
  mutation CliCreateJob($input: CreateJobInput!) {
    createJob(input: $input) {
      __typename
      ... on CreateJobPayload { outcome job { ...CliJobRow } }
      ... on ValidationError { fieldErrors { path message } }
      ... on Error { message }
    }
  }
`);

export const CancelJob = graphql(`
  mutation CliCancelJob($id: ID!, $reason: String) {
    cancelJob(id: $id, reason: $reason) {
      __typename
      ... on JobPayload { job { ...CliJobRow } }
      ... on ValidationError { fieldErrors { path message } }
      ... on Error { message }
    }
  }
`);

export const JobProgress = graphql(`
  subscription CliJobProgress($id: ID!, $minIntervalMs: Int) {
    jobProgress(id: $id, minIntervalMs: $minIntervalMs) {
      initial
      kind
      progress
      detail
      status
      at
      job { id number name status progress progressDetail errorReason }
    }
  }
`);

export const LatestTemplate = graphql(`
  query CliLatestTemplate($name: String!) {
    jobTemplate(name: $name) {
      id
      name
      version
      description
      executor { name version }
      inputs { name types required default help }
      parameters { name types required default help }
    }
  }
`);

export const CreateJobTemplate = graphql(`
  mutation CliCreateJobTemplate($input: CreateJobTemplateInput!) {
    createJobTemplate(input: $input) {
      __typename
      ... on JobTemplatePayload { jobTemplate { id name version } }
      ... on ValidationError { fieldErrors { path message } }
      ... on Error { message }
    }
  }
`);

export const UserByName = graphql(`
  query CliUserByName($name: String!) {
    users(first: 1, filter: { name: $name }) { edges { node { id name } } }
  }
`);

export const CreateApiToken = graphql(`
  mutation CliCreateApiToken($input: CreateApiTokenInput!) {
    createApiToken(input: $input) {
      __typename
      ... on CreateApiTokenPayload { secret token { id name prefix expiresAt createdAt user { id name role } } }
      ... on ValidationError { fieldErrors { path message } }
      ... on Error { message }
    }
  }
`);

export const RegisterWorkerNode = graphql(`
  mutation CliRegisterWorkerNode($input: RegisterWorkerNodeInput!) {
    registerWorkerNode(input: $input) {
      __typename
      ... on RegisterWorkerNodePayload { secret token { id name prefix createdAt } node { id name executors cpu memory } }
      ... on ValidationError { fieldErrors { path message } }
      ... on Error { message }
    }
  }
`);
