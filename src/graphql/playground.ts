// The operations GraphiQL opens with. Each runs as it is against the demo data (`npm run seed`).

const recentJobs = /* GraphQL */ `# Newest jobs, with tasks, outputs and template.
# Run: the pink button or Ctrl-Enter.
# Every type is described in the Docs panel.
query RecentJobs {
  jobs(first: 10) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id
        number
        name
        status
        progress
        queue
        tags
        template { name version }
        node { name }
        tasks(first: 20) {
          totalCount
          edges { node { name sequence status progress success } }
        }
        # Each output downloads at its downloadUrl (GET, with the same Authorization header).
        outputs(first: 10) {
          edges { node { name type size sha256 contentType downloadUrl } }
        }
      }
    }
  }
}
`;

const runningJobs = /* GraphQL */ `# What is running now, and how far along it is.
query RunningJobs {
  jobs(first: 20, filter: { status: [ACQUIRED, RUNNING] }, orderBy: { field: PRIORITY }) {
    edges {
      node {
        number
        name
        status
        progress
        progressDetail
        leaseExpiresAt
        node { name executors }
        tasks(first: 50, orderBy: { field: SEQUENCE }) {
          edges { node { name sequence status progress } }
        }
      }
    }
  }
}
`;

const jobHistory = /* GraphQL */ `# A job's history, and the jobs it spawned.
query JobHistory {
  jobs(first: 5, filter: { topLevel: true }) {
    edges {
      node {
        number
        name
        status
        children(first: 10) { totalCount edges { node { number name status } } }
        events(first: 50) {
          edges { node { at kind fromStatus toStatus progress actorNode { name } actorUser { name } } }
        }
      }
    }
  }
}
`;

const templates = /* GraphQL */ `# Templates: the latest version of each, with what jobs must supply.
query Templates {
  jobTemplates(first: 20, filter: { latestOnly: true }) {
    totalCount
    edges {
      node {
        name
        version
        description
        executor { name version }
        inputs { name types required default help }
        parameters { name types required default help }
        jobs(first: 3) { totalCount edges { node { number status } } }
      }
    }
  }
}
`;

const workerNodes = /* GraphQL */ `# The worker fleet and what each node holds.
query WorkerNodes {
  workerNodes(first: 20) {
    edges {
      node {
        name
        executors
        cpu
        memory
        labels
        lastSeenAt
        currentJobs(first: 10) { totalCount edges { node { number name status progress } } }
      }
    }
  }
}
`;

const createJob = /* GraphQL */ `# Create a job from a template; run it twice: findOrCreate returns the first job.
# Tagged demo, the demo's worker nodes take it and run it (see it in RunningJobs).
mutation CreateJob {
  createJob(input: {
    templateName: "hash-files"
    inputs: [{ name: "input", value: "c1bad4b39ca5a924e481008009d94e32+210" }]
    parameters: [{ name: "parts", value: 2 }]
    tags: ["playground", "demo"]
    findOrCreate: true
  }) {
    __typename
    ... on CreateJobPayload {
      outcome
      reason
      job { number status viewerCanCancel parameterValues { name value } }
    }
    ... on ValidationError { message fieldErrors { path message } }
    ... on Error { message }
  }
}
`;

const queueOverview = /* GraphQL */ `# Every queue: what it holds, how fast it drains, who can serve it.
# Admins steer a queue: pauseQueue(name), resumeQueue(name), updateQueue(input: { name, concurrencyLimit }).
query QueueOverview {
  queues {
    name
    paused
    concurrencyLimit
    counts { claimable scheduled held running succeeded failed }
    oldestWaitingSeconds
    last5Minutes { completed jobsPerMinute meanRunSeconds }
    last60Minutes { completed jobsPerMinute meanRunSeconds }
    nodes { name online draining }
  }
}
`;

const whyWaiting = /* GraphQL */ `# Why is this job waiting, and when will it start? The jobs that wait the longest first.
query WhyWaiting {
  jobs(first: 10, filter: { status: [QUEUED] }, orderBy: { field: CREATED_AT, direction: ASC }) {
    edges {
      node {
        number
        name
        queue
        queuePosition
        whyNotRunning {
          code
          message
          ... on BehindJobsReason { jobsAhead }
          ... on NotBeforeReason { until }
          ... on MissingExecutorReason { executor }
          ... on RequirementsExceedNodesReason { example }
        }
        estimatedStartTime { time earliest latest basis }
      }
    }
  }
}
`;

const createWorkflow = /* GraphQL */ `# Jobs that wait for others, submitted as one workflow: hash, then check and index the
# result at once, then report. Tagged demo, the demo's worker nodes run them in that order.
# Watch it: subscription { workflowUpdated(id: "<workflow.id>") { status progress counts { waiting queued running succeeded } } }
mutation CreateWorkflow {
  createWorkflow(input: {
    name: "playground diamond"
    jobs: [
      { key: "hash", job: { templateName: "hash-files", inputs: [{ name: "input", value: "c1bad4b39ca5a924e481008009d94e32+210" }], tags: ["playground", "demo"] } }
      { key: "check", after: ["hash"], job: { templateName: "hash-files", inputs: [{ name: "input", value: "check" }], tags: ["playground", "demo"] } }
      { key: "index", after: ["hash"], job: { templateName: "hash-files", inputs: [{ name: "input", value: "index" }], tags: ["playground", "demo"] } }
      { key: "report", after: ["check", "index"], job: { templateName: "hash-files", inputs: [{ name: "input", value: "report" }], tags: ["playground", "demo"] } }
    ]
  }) {
    __typename
    ... on CreateWorkflowPayload {
      workflow { id number status counts { waiting queued } }
      jobs { key job { number status dependencies { name } } }
    }
    ... on ValidationError { message fieldErrors { path message } }
    ... on Error { message }
  }
}
`;

const createSchedule = /* GraphQL */ `# A job made again and again: the demo hash every minute, none while the previous one is
# unfinished (overlap SKIP). Tagged demo, the demo's worker nodes run them.
# Its ticks: query { schedule(name: "playground minutely hash") { nextRunTimes(count: 3) ticks(first: 5) { edges { node { tickAt outcome job { number status } } } } } }
# Stop it: mutation { pauseSchedule(id: "<schedule id>") { __typename } } (or deleteSchedule)
mutation CreateSchedule {
  createSchedule(input: {
    name: "playground minutely hash"
    cron: "* * * * *"
    timeZone: "UTC"
    overlap: SKIP
    job: { templateName: "hash-files", inputs: [{ name: "input", value: "c1bad4b39ca5a924e481008009d94e32+210" }], tags: ["playground", "demo"] }
  }) {
    __typename
    ... on Schedule { id name cron timeZone nextRunAt nextRunTimes(count: 3) }
    ... on ValidationError { message fieldErrors { path message } }
    ... on Error { message }
  }
}
`;

export const playgroundTabs = [recentJobs, runningJobs, queueOverview, whyWaiting, jobHistory, templates, workerNodes, createJob, createWorkflow, createSchedule].map((query) => ({
  query,
}));
