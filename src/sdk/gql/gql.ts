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
    "\n  fragment WorkerJobFields on Job {\n    id\n    number\n    name\n    description\n    queue\n    priority\n    tags\n    attempts\n    template { name version executor { name version } }\n    inputValues { name type value }\n    parameterValues { name type value }\n  }\n": typeof types.WorkerJobFieldsFragmentDoc,
    "\n  mutation SdkAcquireNextJob($filter: AcquireFilter) {\n    acquireNextJob(filter: $filter) {\n      __typename\n      ... on AcquireJobPayload { job { ...WorkerJobFields } lease { token expiresAt } }\n      ... on Error { message }\n    }\n  }\n": typeof types.SdkAcquireNextJobDocument,
    "\n  mutation SdkStartJob($id: ID!, $leaseToken: String!) {\n    startJob(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on LeasePayload { lease { token expiresAt } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n": typeof types.SdkStartJobDocument,
    "\n  mutation SdkRenewJobLease($id: ID!, $leaseToken: String!) {\n    renewJobLease(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on LeasePayload { lease { token expiresAt } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n": typeof types.SdkRenewJobLeaseDocument,
    "\n  mutation SdkReportJobProgress($id: ID!, $leaseToken: String!, $progress: Float!, $detail: JSON) {\n    reportJobProgress(id: $id, leaseToken: $leaseToken, progress: $progress, detail: $detail) {\n      __typename\n      ... on LeasePayload { lease { token expiresAt } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n": typeof types.SdkReportJobProgressDocument,
    "\n  mutation SdkFinishJob($id: ID!, $leaseToken: String!, $error: String) {\n    finishJob(id: $id, leaseToken: $leaseToken, error: $error) {\n      __typename\n      ... on JobPayload { job { status } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n": typeof types.SdkFinishJobDocument,
    "\n  mutation SdkReleaseJob($id: ID!, $leaseToken: String!) {\n    releaseJob(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on Error { message }\n    }\n  }\n": typeof types.SdkReleaseJobDocument,
    "\n  subscription SdkJobStatus($id: ID!) {\n    jobUpdated(id: $id) { status }\n  }\n": typeof types.SdkJobStatusDocument,
    "\n  subscription SdkJobAvailable($queues: [String!]) {\n    jobAvailable(queues: $queues) { claimable job { id } }\n  }\n": typeof types.SdkJobAvailableDocument,
};
const documents: Documents = {
    "\n  fragment WorkerJobFields on Job {\n    id\n    number\n    name\n    description\n    queue\n    priority\n    tags\n    attempts\n    template { name version executor { name version } }\n    inputValues { name type value }\n    parameterValues { name type value }\n  }\n": types.WorkerJobFieldsFragmentDoc,
    "\n  mutation SdkAcquireNextJob($filter: AcquireFilter) {\n    acquireNextJob(filter: $filter) {\n      __typename\n      ... on AcquireJobPayload { job { ...WorkerJobFields } lease { token expiresAt } }\n      ... on Error { message }\n    }\n  }\n": types.SdkAcquireNextJobDocument,
    "\n  mutation SdkStartJob($id: ID!, $leaseToken: String!) {\n    startJob(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on LeasePayload { lease { token expiresAt } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n": types.SdkStartJobDocument,
    "\n  mutation SdkRenewJobLease($id: ID!, $leaseToken: String!) {\n    renewJobLease(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on LeasePayload { lease { token expiresAt } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n": types.SdkRenewJobLeaseDocument,
    "\n  mutation SdkReportJobProgress($id: ID!, $leaseToken: String!, $progress: Float!, $detail: JSON) {\n    reportJobProgress(id: $id, leaseToken: $leaseToken, progress: $progress, detail: $detail) {\n      __typename\n      ... on LeasePayload { lease { token expiresAt } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n": types.SdkReportJobProgressDocument,
    "\n  mutation SdkFinishJob($id: ID!, $leaseToken: String!, $error: String) {\n    finishJob(id: $id, leaseToken: $leaseToken, error: $error) {\n      __typename\n      ... on JobPayload { job { status } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n": types.SdkFinishJobDocument,
    "\n  mutation SdkReleaseJob($id: ID!, $leaseToken: String!) {\n    releaseJob(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on Error { message }\n    }\n  }\n": types.SdkReleaseJobDocument,
    "\n  subscription SdkJobStatus($id: ID!) {\n    jobUpdated(id: $id) { status }\n  }\n": types.SdkJobStatusDocument,
    "\n  subscription SdkJobAvailable($queues: [String!]) {\n    jobAvailable(queues: $queues) { claimable job { id } }\n  }\n": types.SdkJobAvailableDocument,
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
export function graphql(source: "\n  fragment WorkerJobFields on Job {\n    id\n    number\n    name\n    description\n    queue\n    priority\n    tags\n    attempts\n    template { name version executor { name version } }\n    inputValues { name type value }\n    parameterValues { name type value }\n  }\n"): (typeof documents)["\n  fragment WorkerJobFields on Job {\n    id\n    number\n    name\n    description\n    queue\n    priority\n    tags\n    attempts\n    template { name version executor { name version } }\n    inputValues { name type value }\n    parameterValues { name type value }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SdkAcquireNextJob($filter: AcquireFilter) {\n    acquireNextJob(filter: $filter) {\n      __typename\n      ... on AcquireJobPayload { job { ...WorkerJobFields } lease { token expiresAt } }\n      ... on Error { message }\n    }\n  }\n"): (typeof documents)["\n  mutation SdkAcquireNextJob($filter: AcquireFilter) {\n    acquireNextJob(filter: $filter) {\n      __typename\n      ... on AcquireJobPayload { job { ...WorkerJobFields } lease { token expiresAt } }\n      ... on Error { message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SdkStartJob($id: ID!, $leaseToken: String!) {\n    startJob(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on LeasePayload { lease { token expiresAt } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n"): (typeof documents)["\n  mutation SdkStartJob($id: ID!, $leaseToken: String!) {\n    startJob(id: $id, leaseToken: $leaseToken) {\n      __typename\n      ... on LeasePayload { lease { token expiresAt } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n"];
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
export function graphql(source: "\n  mutation SdkFinishJob($id: ID!, $leaseToken: String!, $error: String) {\n    finishJob(id: $id, leaseToken: $leaseToken, error: $error) {\n      __typename\n      ... on JobPayload { job { status } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n"): (typeof documents)["\n  mutation SdkFinishJob($id: ID!, $leaseToken: String!, $error: String) {\n    finishJob(id: $id, leaseToken: $leaseToken, error: $error) {\n      __typename\n      ... on JobPayload { job { status } }\n      ... on InvalidTransitionError { from }\n      ... on Error { message }\n    }\n  }\n"];
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

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;