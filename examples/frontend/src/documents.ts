// The operations this frontend sends. GraphQL Code Generator (codegen.ts) types each one and puts
// it in the trusted-documents manifest; nothing else may be sent to a gateway that runs trusted
// documents only.
import { graphql } from "./gql/index.js";

/** One fragment for every list of jobs: each is a JobConnection, wherever it hangs. */
export const JobRows = graphql(`
  fragment JobRows on JobConnection {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id number name status progress viewerCanCancel } }
  }
`);

export const JobsPage = graphql(`
  query JobsPage($after: String) {
    jobs(first: 20, after: $after, orderBy: { field: CREATED_AT, direction: DESC }) { ...JobRows }
  }
`);

/** The job at once, its tasks and events after it (incremental delivery). */
export const JobDetail = graphql(`
  query JobDetail($id: ID!) {
    job(id: $id) {
      id number name status progress
      children(first: 5) { ...JobRows }
      ... @defer(label: "tasks") {
        tasks(first: 100) { totalCount edges { node { id name sequence status progress } } }
      }
      ... @defer(label: "events") {
        events(first: 20) { edges { node { kind toStatus at } } }
      }
    }
  }
`);

export const CreateJob = graphql(`
  mutation CreateJob($input: CreateJobInput!) {
    createJob(input: $input) {
      __typename
      ... on CreateJobPayload { job { id number status } }
      ... on Error { message }
    }
  }
`);

export const JobProgress = graphql(`
  subscription JobProgress($id: ID!) {
    jobProgress(id: $id) { progress status }
  }
`);
