// Demo data for a fresh deployment: the first thing a newcomer sees in the GraphQL playground, so it
// should read like a compute cluster a few weeks into use. Each job is described by its event history
// and its columns are replayed from that history, so a job and its events can never disagree. Ids are
// random; names, values and times (relative to `now`) are fixed.
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import type { OutputStoreConfig } from "../config.js";
import type { Db } from "./client.js";
import { CHUNK_BYTES } from "./content-store.js";
import { contentPath, storeFile } from "./file-store.js";
import { removeObject, storeObject } from "./s3-store.js";
import { JobStatus, Prisma, TaskStatus, TaskType, UserRole } from "./generated/prisma/client.js";

export type SeedSummary = {
  users: number;
  nodes: number;
  templates: number;
  jobs: number;
  tasks: number;
  outputs: number;
  events: number;
};

/** The tag every demo job carries: the demo worker (demo-worker.ts) moves these jobs, and no others. */
export const DEMO_TAG = "demo";

export class SeedRefusedError extends Error {
  override name = "SeedRefusedError";
}

type Json = Prisma.InputJsonValue;
type UserName = "admin" | "alice" | "bob";
type NodeName = "gpu-node-01" | "cpu-node-01" | "cpu-node-02";
type Executor = { name: string; version: string };
type ValueType = "string" | "int" | "float" | "bool" | "json" | "output";
type Declaration = { name: string; types: ValueType[]; required: boolean; default?: Json; help: string };
type Value = { type: ValueType; value: Json };
/** Minutes before `now`; negative is in the future. */
type Ago = number;
type Clock = (ago: Ago) => Date;

const HOUR = 60;
const DAY = 24 * HOUR;
// Long enough that the running jobs still hold live leases while someone explores the fresh demo.
const LEASE_MINUTES = 15;

type UserSeed = { name: UserName; email: string; role: UserRole; since: Ago };

const USERS: UserSeed[] = [
  { name: "admin", email: "admin@jobgraph.example", role: UserRole.ADMIN, since: 45 * DAY },
  { name: "alice", email: "alice@jobgraph.example", role: UserRole.USER, since: 40 * DAY },
  { name: "bob", email: "bob@jobgraph.example", role: UserRole.USER, since: 35 * DAY },
];

type NodeSeed = {
  name: NodeName;
  description: string;
  executors: string[];
  cpu: number;
  memory: number;
  labels: Record<string, string>;
  since: Ago;
};

const NODES: NodeSeed[] = [
  {
    name: "gpu-node-01",
    description: "2x NVIDIA A100 40GB; serves the gpu queue",
    executors: ["pytorch", "bifrost"],
    cpu: 32,
    memory: 262144,
    labels: { zone: "eu-west-1a", arch: "x86_64", gpu: "a100", "gpu.count": "2" },
    since: 44 * DAY,
  },
  {
    name: "cpu-node-01",
    description: "General purpose worker",
    executors: ["python", "bifrost"],
    cpu: 16,
    memory: 65536,
    labels: { zone: "eu-west-1a", arch: "x86_64" },
    since: 44 * DAY,
  },
  {
    name: "cpu-node-02",
    description: "General purpose worker with local NVMe scratch; runs any executor",
    executors: [],
    cpu: 16,
    memory: 65536,
    labels: { zone: "eu-west-1b", arch: "x86_64", disk: "nvme" },
    since: 30 * DAY,
  },
];

/** The demo's worker nodes, by name; the demo worker acts as them. */
export const DEMO_NODE_NAMES: readonly string[] = NODES.map((n) => n.name);

function required(name: string, types: ValueType[], help: string): Declaration {
  return { name, types, required: true, help };
}

function optional(name: string, types: ValueType[], help: string, fallback?: Json): Declaration {
  return { name, types, required: false, ...(fallback === undefined ? {} : { default: fallback }), help };
}

type TemplateSeed = {
  name: string;
  version: number;
  since: Ago;
  creator: UserName;
  description: string;
  executor: Executor;
  inputs: Declaration[];
  parameters: Declaration[];
};

const PYTHON: Executor = { name: "python", version: "3.12" };

const TRAIN_V2_PARAMETERS: Declaration[] = [
  optional("model", ["string"], "torchvision architecture name", "resnet50"),
  optional("epochs", ["int"], "Passes over the training split", 30),
  optional("batch_size", ["int"], "Images per step and GPU", 64),
  optional("learning_rate", ["float"], "Initial learning rate (cosine schedule)", 0.001),
  optional("augment", ["bool"], "Random crops, flips and colour jitter while training", true),
];

const TEMPLATES: TemplateSeed[] = [
  {
    name: "image-dataset-prepare",
    version: 1,
    since: 20 * DAY,
    creator: "alice",
    description:
      "Downloads an image archive, resizes it in parallel shards and packs train and validation splits into one tar.",
    executor: PYTHON,
    inputs: [required("source", ["string"], "URI of an archive of images, one folder per class")],
    parameters: [
      optional("val_split", ["float"], "Share of images held out for validation", 0.2),
      optional("image_size", ["int"], "Side in pixels that images are resized to", 224),
      optional("shards", ["int"], "Resize shards run in parallel", 4),
    ],
  },
  {
    name: "image-classification-train",
    version: 1,
    since: 30 * DAY,
    creator: "alice",
    description: "Trains an image classifier and exports it as ONNX.",
    executor: { name: "pytorch", version: "2.2.2" },
    inputs: [required("dataset", ["string"], "URI of a folder of images, one subfolder per class")],
    parameters: [
      optional("model", ["string"], "torchvision architecture name", "resnet18"),
      optional("epochs", ["int"], "Passes over the training split", 10),
      optional("learning_rate", ["float"], "Initial learning rate", 0.01),
    ],
  },
  {
    name: "image-classification-train",
    version: 2,
    since: 5 * DAY,
    creator: "alice",
    description:
      "Trains an image classifier with k-fold cross-validation, keeps the best fold and exports it as ONNX.",
    executor: { name: "pytorch", version: "2.3.1" },
    inputs: [
      required("dataset", ["output", "string"], "Prepared dataset: a tar output of image-dataset-prepare, or a URI"),
      optional("pretrained", ["output"], "ONNX weights of an earlier training to fine-tune from"),
    ],
    parameters: [...TRAIN_V2_PARAMETERS, optional("folds", ["int"], "Cross-validation folds, trained in parallel", 3)],
  },
  {
    name: "image-classification-train",
    version: 3,
    since: 1 * DAY,
    creator: "alice",
    description:
      "Trains an image classifier on one GPU with early stopping and mixed precision, evaluates it and " +
      "exports it as ONNX.",
    executor: { name: "pytorch", version: "2.4.0" },
    inputs: [
      required("dataset", ["output", "string"], "Prepared dataset: a tar output of image-dataset-prepare, or a URI"),
      optional("pretrained", ["output"], "ONNX weights of an earlier training to fine-tune from"),
    ],
    parameters: [
      ...TRAIN_V2_PARAMETERS,
      optional("mixed_precision", ["bool"], "Train in bfloat16 where it is safe", true),
      optional("early_stopping_patience", ["int"], "Epochs without validation gain before stopping", 5),
      optional("class_weights", ["json"], "Loss weight per class name, for unbalanced datasets"),
    ],
  },
  {
    name: "bifrost-graph-evaluate",
    version: 1,
    since: 20 * DAY,
    creator: "bob",
    description: "Evaluates a Bifrost graph compound over a frame range and writes the result as USD.",
    executor: { name: "bifrost", version: "2.9.0.0" },
    inputs: [
      required("graph", ["string"], "URI of the Bifrost graph definition (JSON)"),
      required("scene", ["string", "output"], "USD stage the graph reads"),
    ],
    parameters: [
      required("compound", ["string"], "Compound to evaluate, e.g. User::Graphs::addTrees"),
      optional("frame_start", ["int"], "First frame", 1),
      optional("frame_end", ["int"], "Last frame", 1),
      optional("amount", ["float"], "Value of the compound's amount port", 1000),
      optional("output_filename", ["string"], "Name of the USD file written", "out.usd"),
    ],
  },
  {
    name: "bifrost-graph-evaluate",
    version: 2,
    since: 150,
    creator: "bob",
    description:
      "Evaluates a Bifrost graph compound over a frame range, split into child jobs of a few frames each, " +
      "and assembles one USD.",
    executor: { name: "bifrost", version: "2.10.0.0" },
    inputs: [
      required("graph", ["string"], "URI of the Bifrost graph definition (JSON)"),
      required("scene", ["string", "output"], "USD stage the graph reads"),
    ],
    parameters: [
      required("compound", ["string"], "Compound to evaluate, e.g. User::Graphs::addTrees"),
      optional("frame_start", ["int"], "First frame", 1),
      optional("frame_end", ["int"], "Last frame", 1),
      optional("amount", ["float"], "Value of the compound's amount port", 1000),
      optional("output_filename", ["string"], "Name of the USD file written", "out.usd"),
      optional("frames_per_job", ["int"], "Frames per child job; 0 evaluates the whole range in this job", 10),
      optional("ports", ["json"], "Further input port values, port name -> value"),
    ],
  },
  {
    name: "hash-files",
    version: 1,
    since: 30 * DAY,
    creator: "admin",
    description: "hash.py: checksums every file of a collection or job output, in parallel parts.",
    executor: PYTHON,
    inputs: [required("input", ["string", "output"], "Keep collection (portable data hash) or job output to hash")],
    parameters: [
      optional("algorithm", ["string"], "hashlib algorithm name", "sha256"),
      optional("parts", ["int"], "Files are hashed in this many parallel tasks", 4),
    ],
  },
];

const str = (value: string): Value => ({ type: "string", value });
const int = (value: number): Value => ({ type: "int", value });
const float = (value: number): Value => ({ type: "float", value });
const bool = (value: boolean): Value => ({ type: "bool", value });
const json = (value: Json): Value => ({ type: "json", value });
const outputOf = (job: string, name: string, type: string): Value => ({ type: "output", value: { job, name, type } });

type OutputSeed = { name: string; type: string; size: number };

type StepKind =
  | "CREATED"
  | "ACQUIRED"
  | "STARTED"
  | "PROGRESS"
  | "LEASE_RENEWED"
  | "OUTPUT_ADDED"
  | "SUCCEEDED"
  | "FAILED"
  | "ABORTED"
  | "CANCELLED"
  | "DELETED";

/** One entry of a job's history. Steps without an actor are taken by the node holding the job. */
type Step = {
  kind: StepKind;
  at: Ago;
  user?: UserName;
  node?: NodeName;
  progress?: number;
  detail?: Json;
  error?: string;
  output?: OutputSeed;
};

const created = (at: Ago): Step => ({ kind: "CREATED", at });
const acquired = (at: Ago, node: NodeName): Step => ({ kind: "ACQUIRED", at, node });
const started = (at: Ago): Step => ({ kind: "STARTED", at });
const progressed = (at: Ago, progress: number, detail: Json): Step => ({ kind: "PROGRESS", at, progress, detail });
const renewed = (at: Ago): Step => ({ kind: "LEASE_RENEWED", at });
const uploaded = (at: Ago, name: string, type: string, size: number): Step => ({
  kind: "OUTPUT_ADDED",
  at,
  output: { name, type, size },
  detail: { name, type, size },
});
const succeeded = (at: Ago): Step => ({ kind: "SUCCEEDED", at, progress: 1 });
const failed = (at: Ago, error: string): Step => ({ kind: "FAILED", at, error, detail: { error } });
const aborted = (at: Ago, user: UserName, reason: string): Step => ({ kind: "ABORTED", at, user, detail: { reason } });
const cancelled = (at: Ago, user: UserName, reason: string): Step => ({
  kind: "CANCELLED",
  at,
  user,
  detail: { reason },
});
const deleted = (at: Ago, user: UserName): Step => ({ kind: "DELETED", at, user });

type TaskSeed = {
  name: string;
  sequence: number;
  type?: TaskType;
  /**
   * Name of the task of the same job that created this one while it ran; when that one is a MAP
   * task, this is one of its children (of its sequence), which it runs as.
   */
  createdBy?: string;
  /** A MAP task's child: the value of the map's list it runs for. */
  mapValue?: Json;
  executor: Executor;
  cpu: number;
  memory: number;
  maxSeconds: number;
  hints?: Json;
  inputs?: Json[];
  payload: Json;
  parameters?: Json;
  output?: string;
};

type JobSeed = {
  key: string;
  name: string;
  description: string;
  template: [name: string, version: number];
  creator: UserName;
  queue?: string;
  priority?: number;
  parent?: string;
  tags: string[];
  inputs: Record<string, Value>;
  parameters: Record<string, Value>;
  nondeterministic?: boolean;
  idempotencyKey?: string;
  runAfter?: Ago;
  history: Step[];
  tasks: TaskSeed[];
  /** The task that was running when the job stopped, or still is; tasks of lower sequences succeeded. */
  active?: { task: string; progress: number };
};

const pytorch = (version: string): Executor => ({ name: "pytorch", version });
const BIFROST: Executor = { name: "bifrost", version: "2.10.0.0" };
const FC_SCRATCH = "urn:adsk:fc.scratch:us-west.prd:resource:@default";
const FLOWERS_URL = "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/102flowers.tgz";
const UPLOADS_PDH = "c1bad4b39ca5a924e481008009d94e32+210";

function mount(spaceId: string, key: string, path: string): Json {
  return { source: { spaceId, key }, target: { path } };
}

function fetched(uri: string, path: string): Json {
  return { source: { uri }, target: { path } };
}

function prepareTasks(): TaskSeed[] {
  const shards = [0, 1, 2, 3].map(
    (shard): TaskSeed => ({
      name: `resize-shard-${shard}`,
      sequence: 1,
      executor: PYTHON,
      cpu: 4,
      memory: 8192,
      maxSeconds: 3600,
      inputs: [mount("scratch", `flowers-102/raw/part-${shard}.tar`, `raw/part-${shard}.tar`)],
      payload: { script: "resize.py", args: ["--size", "224", `raw/part-${shard}.tar`] },
      parameters: { shard, shards: 4 },
    }),
  );
  return [
    {
      name: "download",
      sequence: 0,
      executor: PYTHON,
      cpu: 2,
      memory: 4096,
      maxSeconds: 1800,
      hints: { network: "egress" },
      inputs: [fetched(FLOWERS_URL, "downloads/102flowers.tgz")],
      payload: { script: "download.py", args: ["downloads/102flowers.tgz", "--split", "4"] },
    },
    ...shards,
    {
      name: "pack",
      sequence: 2,
      executor: PYTHON,
      cpu: 2,
      memory: 4096,
      maxSeconds: 1800,
      payload: { script: "pack.py", args: ["--val-split", "0.2", "--out", "dataset.tar"] },
    },
  ];
}

/** The tasks a training worker plans: with folds, k parallel trainings and a pick of the best. */
function trainingTasks(pytorch: Executor, dataset: Json, model: string, folds: number): TaskSeed[] {
  const trainer = (name: string, args: string[], parameters: Json): TaskSeed => ({
    name,
    sequence: 1,
    executor: pytorch,
    cpu: 8,
    memory: 61440,
    maxSeconds: 86400,
    hints: { gpu: "a100", gpus: 1, cudnnBenchmark: true },
    inputs: [mount("scratch", "prepared/train", "data/train"), mount("scratch", "prepared/val", "data/val")],
    payload: { entrypoint: "train.py", args: ["--model", model, ...args] },
    parameters,
  });
  const trainers =
    folds === 0
      ? [trainer("train", [], {})]
      : Array.from({ length: folds }, (_, fold) =>
          trainer(`train-fold-${fold}`, ["--fold", String(fold), "--folds", String(folds)], { fold, folds }),
        );
  const pick: TaskSeed[] =
    folds === 0
      ? [
          {
            name: "evaluate",
            sequence: 2,
            executor: pytorch,
            cpu: 4,
            memory: 16384,
            maxSeconds: 3600,
            hints: { gpu: "a100", gpus: 1 },
            payload: { entrypoint: "evaluate.py", args: ["--checkpoint", "checkpoints/best.pt"] },
          },
        ]
      : [
          {
            name: "select-best-fold",
            sequence: 2,
            executor: PYTHON,
            cpu: 1,
            memory: 2048,
            maxSeconds: 600,
            payload: { script: "select_best.py", args: ["--metric", "val_accuracy"] },
          },
        ];
  return [
    {
      name: "prepare-data",
      sequence: 0,
      executor: PYTHON,
      cpu: 4,
      memory: 16384,
      maxSeconds: 3600,
      inputs: [dataset],
      payload: { script: "unpack.py", args: ["data/dataset.tar", "--into", "prepared"] },
    },
    ...trainers,
    ...pick,
    {
      name: "export-onnx",
      sequence: 3,
      executor: pytorch,
      cpu: 2,
      memory: 8192,
      maxSeconds: 1800,
      payload: { entrypoint: "export.py", args: ["--opset", "17", "--out", "model.onnx"] },
    },
  ];
}

/** Arvados' hash.py: the first task lists the files and queues one task per part and the merge. */
function hashTasks(input: Json, algorithm: string, spawnedParts: number): TaskSeed[] {
  const split: TaskSeed = {
    name: "split",
    sequence: 0,
    executor: PYTHON,
    cpu: 1,
    memory: 1024,
    maxSeconds: 600,
    inputs: [input],
    payload: { script: "hash.py", args: ["split", "input"] },
    parameters: { algorithm },
  };
  if (spawnedParts === 0) return [split];
  const parts = Array.from(
    { length: spawnedParts },
    (_, part): TaskSeed => ({
      name: `hash-part-${part}`,
      sequence: 1,
      createdBy: "split",
      executor: PYTHON,
      cpu: 2,
      memory: 2048,
      maxSeconds: 7200,
      hints: { ioBound: true },
      inputs: [input],
      payload: { script: "hash.py", args: ["hash", "input", "--part", String(part), "--parts", String(spawnedParts)] },
      parameters: { algorithm, part, parts: spawnedParts },
    }),
  );
  const merge: TaskSeed = {
    name: "merge",
    sequence: 2,
    createdBy: "split",
    executor: PYTHON,
    cpu: 1,
    memory: 1024,
    maxSeconds: 600,
    payload: { script: "hash.py", args: ["merge", "--out", "sha256sums.txt"] },
    parameters: { algorithm },
  };
  return [split, ...parts, merge];
}

function bifrostInputs(shot: string): Json[] {
  return [
    fetched(`${FC_SCRATCH}/bifrostGraph.json`, "bifrostgraph.json"),
    fetched(`${FC_SCRATCH}/${shot}/plane.usd`, "plane.usd"),
  ];
}

/** Flow Compute's Bifrost payload for one frame (see the Flow Compute tasks example). */
function framePayload(shot: string, compound: string, frame: number): Json {
  const file = `${shot}_forest.${frameNumber(frame)}.usd`;
  return {
    action: "Evaluate",
    options: { frames: { start: frame, end: frame }, compound },
    definitionFiles: [fetched(`${FC_SCRATCH}/bifrostGraph.json`, "bifrostgraph.json")],
    executions: [
      {
        frameId: frame,
        inputs: [fetched(`${FC_SCRATCH}/${shot}/plane.usd`, "plane.usd")],
        outputs: [{ source: { path: file }, target: { name: file } }],
      },
    ],
    ports: {
      inputPorts: [
        { name: "inputFilename", type: "string", value: "plane.usd" },
        { name: "outputFilename", type: "string", value: file },
        { name: "amount", type: "float", value: "1000" },
      ],
      jobPorts: [],
    },
  };
}

function frameNumber(frame: number): string {
  return String(frame).padStart(4, "0");
}

function frameRange(first: number, last: number): string {
  return `${frameNumber(first)}-${frameNumber(last)}`;
}

function fetchScene(shot: string): TaskSeed {
  return {
    name: "fetch scene",
    sequence: 0,
    executor: PYTHON,
    cpu: 1,
    memory: 2048,
    maxSeconds: 600,
    inputs: bifrostInputs(shot),
    payload: { script: "usd_fetch.py", args: ["plane.usd", "--resolve-references"] },
  };
}

function mergeLayers(file: string, sequence: number): TaskSeed {
  return {
    name: "merge usd layers",
    sequence,
    executor: PYTHON,
    cpu: 2,
    memory: 8192,
    maxSeconds: 1800,
    payload: { script: "usd_merge.py", args: ["--out", file] },
  };
}

/** Before template version 2 split ranges into child jobs, one task evaluated the whole range. */
function wholeRangeTasks(shot: string, compound: string, frames: number): TaskSeed[] {
  return [
    fetchScene(shot),
    {
      name: `evaluate frames 1-${frames}`,
      sequence: 1,
      executor: { name: "bifrost", version: "2.9.0.0" },
      cpu: 8,
      memory: 30720,
      maxSeconds: 14400,
      inputs: bifrostInputs(shot),
      payload: { action: "Evaluate", options: { frames: { start: 1, end: frames }, compound } },
    },
    mergeLayers(`${shot}_turntable.usd`, 2),
  ];
}

/**
 * A child job of a frame-range split: a MAP task fans out one task per frame when it runs, so a job
 * that has not run yet has only the three tasks it was submitted with.
 */
function frameRangeTasks(shot: string, compound: string, first: number, last: number): TaskSeed[] {
  const range = `${first}-${last}`;
  const frames = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  const perFrame = frames.map(
    (frame): TaskSeed => ({
      name: `frame ${frameNumber(frame)}`,
      sequence: 1,
      createdBy: `evaluate frames ${range}`,
      mapValue: frame,
      executor: BIFROST,
      cpu: 4,
      memory: 30720,
      maxSeconds: 600,
      hints: { threads: 4 },
      inputs: bifrostInputs(shot),
      payload: framePayload(shot, compound, frame),
      output: `${FC_SCRATCH}/${shot}/${shot}_forest.${frameNumber(frame)}.usd`,
    }),
  );
  return [
    fetchScene(shot),
    {
      name: `evaluate frames ${range}`,
      sequence: 1,
      type: TaskType.MAP,
      executor: BIFROST,
      cpu: 1,
      memory: 1024,
      maxSeconds: 300,
      payload: { action: "Map", over: { frames: { start: first, end: last } }, task: { action: "Evaluate", compound } },
    },
    mergeLayers(`${shot}_forest.${frameRange(first, last)}.usd`, 3),
    ...perFrame,
  ];
}

function orchestratorTasks(shot: string, frames: number, perJob: number): TaskSeed[] {
  const tool = (name: string, sequence: number, script: string, args: string[]): TaskSeed => ({
    name,
    sequence,
    executor: PYTHON,
    cpu: 1,
    memory: 2048,
    maxSeconds: 7200,
    payload: { script, args },
  });
  return [
    tool("plan frame ranges", 0, "plan_ranges.py", ["--frames", `1-${frames}`, "--per-job", String(perJob)]),
    tool("collect frame ranges", 1, "collect.py", ["--wait-for-children"]),
    tool(`assemble ${shot}_forest.usd`, 2, "usd_merge.py", ["--out", `${shot}_forest.usd`]),
  ];
}

/** The demo jobs; `jobId` gives the id of the job with a key, for links between jobs. */
function demoJobs(jobId: (key: string) => string): JobSeed[] {
  const dataset = outputOf(jobId("prepare-flowers"), "dataset.tar", "tar");
  const datasetMount = mount("outputs", `${jobId("prepare-flowers")}/dataset.tar`, "data/dataset.tar");
  const compound = "User::Graphs::addTrees";
  return [
    {
      key: "smoke-resnet18",
      name: "resnet18 smoke test",
      description: "Checks that the training image starts before the real runs.",
      template: ["image-classification-train", 1],
      creator: "alice",
      queue: "gpu",
      tags: ["smoke-test"],
      inputs: { dataset: str("s3://jobgraph-datasets/flowers-102/") },
      parameters: { model: str("resnet18"), epochs: int(1) },
      nondeterministic: true,
      history: [
        created(7 * DAY + 20),
        acquired(7 * DAY + 19, "gpu-node-01"),
        started(7 * DAY + 19),
        failed(7 * DAY + 17, "FileNotFoundError: [Errno 2] No such file or directory: 'data/train'"),
        deleted(7 * DAY - 30, "alice"),
      ],
      tasks: trainingTasks(pytorch("2.2.2"), mount("datasets", "flowers-102/", "data"), "resnet18", 0),
      active: { task: "prepare-data", progress: 0 },
    },
    {
      key: "prepare-flowers",
      name: "prepare flowers-102",
      description: "Oxford 102 Category Flower Dataset, resized to 224 px, 20% held out for validation.",
      template: ["image-dataset-prepare", 1],
      creator: "alice",
      tags: ["flowers-102", "dataset"],
      inputs: { source: str(FLOWERS_URL) },
      parameters: { val_split: float(0.2), image_size: int(224), shards: int(4) },
      history: [
        created(3 * DAY + 10),
        acquired(3 * DAY + 9, "cpu-node-01"),
        started(3 * DAY + 9),
        progressed(3 * DAY, 0.3, { stage: "resize", images: 2457, of: 8189 }),
        progressed(3 * DAY - 10, 0.75, { stage: "resize", images: 6142, of: 8189 }),
        uploaded(3 * DAY - 18, "dataset.tar", "tar", 3_460_096),
        uploaded(3 * DAY - 18, "classes.json", "json", 2_214),
        uploaded(3 * DAY - 18, "log.txt", "text", 48_337),
        succeeded(3 * DAY - 19),
      ],
      tasks: prepareTasks(),
    },
    {
      key: "hash-flowers",
      name: "checksum flowers-102 dataset",
      description: "Checksums of the prepared dataset, to pin the exact bytes the baseline was trained on.",
      template: ["hash-files", 1],
      creator: "alice",
      tags: ["flowers-102", "audit"],
      inputs: { input: dataset },
      parameters: { algorithm: str("sha256"), parts: int(4) },
      history: [
        created(3 * DAY - 25),
        acquired(3 * DAY - 26, "cpu-node-02"),
        started(3 * DAY - 26),
        progressed(3 * DAY - 32, 0.5, { files: 4094, of: 8189 }),
        uploaded(3 * DAY - 40, "sha256sums.txt", "text", 679_687),
        uploaded(3 * DAY - 40, "log.txt", "text", 3_912),
        succeeded(3 * DAY - 41),
      ],
      tasks: hashTasks(datasetMount, "sha256", 4),
    },
    {
      key: "train-resnet50",
      name: "resnet50 on flowers-102 (baseline)",
      description: "Baseline: resnet50 from ImageNet weights, 3-fold cross-validation.",
      template: ["image-classification-train", 2],
      creator: "alice",
      queue: "gpu",
      priority: 10,
      tags: ["flowers-102", "resnet50", "baseline"],
      inputs: { dataset },
      parameters: {
        model: str("resnet50"),
        epochs: int(30),
        batch_size: int(64),
        learning_rate: float(0.001),
        augment: bool(true),
        folds: int(3),
      },
      nondeterministic: true,
      history: [
        created(3 * DAY - 45),
        acquired(3 * DAY - 46, "gpu-node-01"),
        started(3 * DAY - 47),
        progressed(3 * DAY - 75, 0.12, { stage: "train", epoch: 4, epochs: 30, loss: 1.874 }),
        aborted(3 * DAY - 85, "admin", "gpu-node-01 rebooted for an NVIDIA driver update"),
        acquired(3 * DAY - 95, "gpu-node-01"),
        started(3 * DAY - 96),
        progressed(2 * DAY + 20 * HOUR, 0.35, { stage: "train", epoch: 11, epochs: 30, loss: 0.962 }),
        progressed(2 * DAY + 18 * HOUR, 0.7, { stage: "train", epoch: 21, epochs: 30, loss: 0.388 }),
        progressed(2 * DAY + 16 * HOUR, 0.95, { stage: "export", bestFold: 1, valAccuracy: 0.912 }),
        uploaded(2 * DAY + 15 * HOUR + 50, "model.onnx", "onnx", 1_024_428),
        uploaded(2 * DAY + 15 * HOUR + 50, "metrics.json", "json", 6_781),
        uploaded(2 * DAY + 15 * HOUR + 50, "log.txt", "text", 1_204_551),
        succeeded(2 * DAY + 15 * HOUR + 49),
      ],
      tasks: trainingTasks(pytorch("2.3.1"), datasetMount, "resnet50", 3),
    },
    {
      key: "hash-nightly",
      name: "checksum nightly backup",
      description: "Nightly checksum of the backup collection.",
      template: ["hash-files", 1],
      creator: "admin",
      priority: -5,
      tags: ["backup", "nightly"],
      inputs: { input: str("8d7e5b1c2f4a39e0b6c1d2e3f4a5b6c7+3187") },
      parameters: { algorithm: str("sha256"), parts: int(8) },
      history: [created(DAY + 2 * HOUR), cancelled(DAY, "admin", "superseded by incremental checksums")],
      tasks: hashTasks(mount("keep", "8d7e5b1c2f4a39e0b6c1d2e3f4a5b6c7+3187", "input"), "sha256", 0),
    },
    {
      key: "train-vit",
      name: "vit_b_16 on flowers-102 (large batch)",
      description: "Vision transformer, batch 256 without mixed precision.",
      template: ["image-classification-train", 3],
      creator: "alice",
      queue: "gpu",
      priority: 10,
      tags: ["flowers-102", "vit", "sweep"],
      inputs: { dataset },
      parameters: {
        model: str("vit_b_16"),
        epochs: int(30),
        batch_size: int(256),
        learning_rate: float(0.0003),
        mixed_precision: bool(false),
      },
      nondeterministic: true,
      history: [
        created(5 * HOUR),
        acquired(5 * HOUR - 1, "gpu-node-01"),
        started(5 * HOUR - 2),
        progressed(5 * HOUR - 10, 0.05, { stage: "train", epoch: 0, epochs: 30, step: 12 }),
        uploaded(5 * HOUR - 19, "log.txt", "text", 88_120),
        failed(
          5 * HOUR - 20,
          "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB " +
            "(GPU 0; 39.39 GiB total capacity; 36.12 GiB already allocated)",
        ),
      ],
      tasks: trainingTasks(pytorch("2.4.0"), datasetMount, "vit_b_16", 0),
      active: { task: "train", progress: 0.08 },
    },
    {
      key: "sh020-turntable",
      name: "sh020 turntable: addTrees, frames 1-48",
      description: "Turntable of the tree scatter for review.",
      template: ["bifrost-graph-evaluate", 1],
      creator: "bob",
      tags: ["sh020", "turntable"],
      inputs: { graph: str(`${FC_SCRATCH}/bifrostGraph.json`), scene: str(`${FC_SCRATCH}/sh020/plane.usd`) },
      parameters: {
        compound: str("User::Graphs::addRocks"),
        frame_start: int(1),
        frame_end: int(48),
        output_filename: str("sh020_turntable.usd"),
      },
      history: [
        created(200),
        acquired(199, "cpu-node-02"),
        started(198),
        progressed(190, 0.2, { frame: 10, frames: 48 }),
        cancelled(186, "bob", "wrong compound: addRocks instead of addTrees"),
      ],
      tasks: wholeRangeTasks("sh020", "User::Graphs::addRocks", 48),
      active: { task: "evaluate frames 1-48", progress: 0.25 },
    },
    {
      key: "sh010-forest",
      name: "sh010 forest: addTrees, frames 1-24",
      description: "Tree scatter over the sh010 plane, split into child jobs of 8 frames.",
      template: ["bifrost-graph-evaluate", 2],
      creator: "bob",
      priority: 5,
      tags: ["sh010", "forest", "lookdev"],
      inputs: { graph: str(`${FC_SCRATCH}/bifrostGraph.json`), scene: str(`${FC_SCRATCH}/sh010/plane.usd`) },
      parameters: {
        compound: str(compound),
        frame_start: int(1),
        frame_end: int(24),
        amount: float(1000),
        output_filename: str("sh010_forest.usd"),
        frames_per_job: int(8),
        ports: json({ seed: 17, density: 0.8 }),
      },
      history: [
        created(40),
        acquired(39.5, "cpu-node-02"),
        started(39),
        progressed(30, 0.1, { children: 3, succeeded: 0, running: 1, queued: 2 }),
        progressed(13, 0.33, { children: 3, succeeded: 1, running: 0, queued: 2 }),
        renewed(3),
      ],
      tasks: orchestratorTasks("sh010", 24, 8),
      active: { task: "collect frame ranges", progress: 0.33 },
    },
    ...[1, 9, 17].map((first): JobSeed => {
      const last = first + 7;
      const range = `${first}-${last}`;
      const histories: Record<number, Step[]> = {
        1: [
          created(38),
          acquired(37.5, "cpu-node-01"),
          started(37),
          progressed(30, 0.25, { frame: 2, frames: 8 }),
          progressed(22, 0.6, { frame: 5, frames: 8 }),
          progressed(16, 0.9, { frame: 8, frames: 8, stage: "merge" }),
          uploaded(14.5, `sh010_forest.0001-0008.usd`, "usd", 1_873_012),
          uploaded(14.5, "log.txt", "text", 21_078),
          succeeded(14),
        ],
        9: [created(38), acquired(1.5, "cpu-node-01")],
        17: [created(38)],
      };
      return {
        key: `sh010-forest-${range}`,
        name: `sh010 forest: frames ${range}`,
        description: `Frames ${range} of sh010 forest.`,
        template: ["bifrost-graph-evaluate", 2],
        creator: "bob",
        priority: 5,
        parent: "sh010-forest",
        tags: ["sh010", "forest"],
        inputs: { graph: str(`${FC_SCRATCH}/bifrostGraph.json`), scene: str(`${FC_SCRATCH}/sh010/plane.usd`) },
        parameters: {
          compound: str(compound),
          frame_start: int(first),
          frame_end: int(last),
          output_filename: str(`sh010_forest.${frameRange(first, last)}.usd`),
          frames_per_job: int(0),
        },
        history: histories[first] ?? [],
        tasks: frameRangeTasks("sh010", compound, first, last),
      };
    }),
    {
      key: "train-efficientnet",
      name: "efficientnet_b0 on flowers-102",
      description: "Smaller model with mixed precision and early stopping.",
      template: ["image-classification-train", 3],
      creator: "alice",
      queue: "gpu",
      priority: 10,
      tags: ["flowers-102", "efficientnet", "sweep"],
      inputs: { dataset },
      parameters: {
        model: str("efficientnet_b0"),
        epochs: int(30),
        batch_size: int(128),
        learning_rate: float(0.002),
        mixed_precision: bool(true),
        early_stopping_patience: int(4),
      },
      nondeterministic: true,
      history: [
        created(95),
        acquired(94, "gpu-node-01"),
        started(93),
        progressed(70, 0.15, { stage: "train", epoch: 4, epochs: 30, loss: 1.512, valAccuracy: 0.611 }),
        progressed(45, 0.38, { stage: "train", epoch: 11, epochs: 30, loss: 0.733, valAccuracy: 0.802 }),
        progressed(20, 0.55, { stage: "train", epoch: 16, epochs: 30, loss: 0.498, valAccuracy: 0.857 }),
        progressed(3, 0.62, { stage: "train", epoch: 19, epochs: 30, loss: 0.412, valAccuracy: 0.874 }),
      ],
      tasks: trainingTasks(pytorch("2.4.0"), datasetMount, "efficientnet_b0", 0),
      active: { task: "train", progress: 0.62 },
    },
    {
      key: "hash-uploads",
      name: "checksum customer uploads",
      description: "Checksums of this week's customer upload collection.",
      template: ["hash-files", 1],
      creator: "bob",
      tags: ["uploads"],
      inputs: { input: str(UPLOADS_PDH) },
      parameters: { algorithm: str("md5") },
      idempotencyKey: "uploads-batch-0042",
      history: [created(12)],
      tasks: hashTasks(mount("keep", UPLOADS_PDH, "input"), "md5", 0),
    },
    {
      key: "hash-resnet50-model",
      name: "checksum resnet50 baseline model",
      description: "Runs after the model registry sync window.",
      template: ["hash-files", 1],
      creator: "admin",
      tags: ["audit", "resnet50"],
      inputs: { input: outputOf(jobId("train-resnet50"), "model.onnx", "onnx") },
      parameters: { algorithm: str("sha256"), parts: int(1) },
      runAfter: -30,
      history: [created(5)],
      tasks: hashTasks(mount("outputs", `${jobId("train-resnet50")}/model.onnx`, "input/model.onnx"), "sha256", 0),
    },
  ];
}

type Ids = {
  users: Map<UserName, string>;
  nodes: Map<NodeName, string>;
  templates: Map<string, string>;
  jobs: Map<string, string>;
};

function lookup<K>(map: Map<K, string>, key: K): string {
  const id = map.get(key);
  if (id === undefined) throw new Error(`seed data refers to an unknown ${String(key)}`);
  return id;
}

/** Rows of job_output_chunks for content written whole (see content-store.ts). */
function chunksOf(outputId: string, content: Buffer): Prisma.JobOutputChunkCreateManyInput[] {
  const rows: Prisma.JobOutputChunkCreateManyInput[] = [];
  for (let seq = 0; seq * CHUNK_BYTES < content.length; seq++) {
    rows.push({ outputId, seq, data: new Uint8Array(content.subarray(seq * CHUNK_BYTES, (seq + 1) * CHUNK_BYTES)) });
  }
  return rows;
}

/** An Arvados Keep locator (md5 + size) standing in for a task's output collection. */
function keepLocator(seed: string): string {
  const md5 = createHash("md5").update(seed).digest("hex");
  return `${md5}+${parseInt(md5.slice(0, 6), 16)}`;
}

const CONTENT_TYPES: Record<string, string> = {
  json: "application/json",
  text: "text/plain; charset=utf-8",
  tar: "application/x-tar",
};

const NODE_STEPS = new Set<StepKind>([
  "ACQUIRED",
  "STARTED",
  "PROGRESS",
  "LEASE_RENEWED",
  "OUTPUT_ADDED",
  "SUCCEEDED",
  "FAILED",
]);

/** The lifecycle columns of a job, as its history leaves them. */
type JobState = {
  status: JobStatus;
  nodeId: string | null;
  leaseToken: string | null;
  leaseExpiresAt: Date | null;
  attempts: number;
  startTime: Date | null;
  endTime: Date | null;
  errorReason: string | null;
  progress: number;
  progressDetail: Json | null;
  deletedAt: Date | null;
};

type EventRow = Prisma.JobEventCreateManyInput & { at: Date; jobVersion: number };

type Replayed = {
  id: string;
  createdAt: Date;
  state: JobState;
  events: EventRow[];
  outputs: Array<Prisma.JobOutputCreateManyInput & { content: Buffer }>;
};

/** Applies a job's history the way the lifecycle rules would, yielding its state, events and outputs. */
function replay(seed: JobSeed, ids: Ids, clock: Clock): Replayed {
  const id = lookup(ids.jobs, seed.key);
  const state: JobState = {
    status: JobStatus.QUEUED,
    nodeId: null,
    leaseToken: null,
    leaseExpiresAt: null,
    attempts: 0,
    startTime: null,
    endTime: null,
    errorReason: null,
    progress: 0,
    progressDetail: null,
    deletedAt: null,
  };
  const events: EventRow[] = [];
  const outputs: Replayed["outputs"] = [];
  for (const step of seed.history) {
    const at = clock(step.at);
    const before = events.length === 0 ? null : state.status;
    apply(state, step, at, ids);
    if (step.output) outputs.push(outputRow(seed.key, id, step.output, at));
    const user = step.user ?? (step.kind === "CREATED" ? seed.creator : undefined);
    const changed = before !== state.status;
    events.push({
      jobId: id,
      kind: step.kind,
      fromStatus: changed ? before : null,
      toStatus: changed ? state.status : null,
      progress: step.progress ?? null,
      ...(step.detail === undefined ? {} : { detail: step.detail }),
      actorUserId: user === undefined ? null : lookup(ids.users, user),
      actorNodeId: user === undefined && NODE_STEPS.has(step.kind) ? state.nodeId : null,
      at,
      jobVersion: events.length + 1,
    });
  }
  return { id, createdAt: events[0]?.at ?? clock(0), state, events, outputs };
}

function apply(state: JobState, step: Step, at: Date, ids: Ids): void {
  const holdLease = () => (state.leaseExpiresAt = new Date(at.getTime() + LEASE_MINUTES * 60_000));
  const finish = (status: JobStatus) => {
    state.status = status;
    state.endTime = at;
    state.leaseToken = null;
    state.leaseExpiresAt = null;
  };
  switch (step.kind) {
    case "CREATED":
    case "OUTPUT_ADDED":
      break;
    case "ACQUIRED":
      state.status = JobStatus.ACQUIRED;
      state.nodeId = step.node === undefined ? null : lookup(ids.nodes, step.node);
      state.attempts += 1;
      // A fencing token: every acquire issues a new one.
      state.leaseToken = randomUUID();
      holdLease();
      break;
    case "STARTED":
      state.status = JobStatus.RUNNING;
      state.startTime = at;
      holdLease();
      break;
    case "PROGRESS":
      state.progress = step.progress ?? state.progress;
      state.progressDetail = step.detail ?? null;
      holdLease();
      break;
    case "LEASE_RENEWED":
      holdLease();
      break;
    case "SUCCEEDED":
      finish(JobStatus.SUCCEEDED);
      state.progress = 1;
      break;
    case "FAILED":
      finish(JobStatus.FAILED);
      state.errorReason = step.error ?? null;
      break;
    case "CANCELLED":
      finish(JobStatus.CANCELLED);
      break;
    case "ABORTED":
      Object.assign(state, {
        status: JobStatus.QUEUED,
        nodeId: null,
        leaseToken: null,
        leaseExpiresAt: null,
        startTime: null,
        progress: 0,
        progressDetail: null,
      });
      break;
    case "DELETED":
      state.deletedAt = at;
      break;
  }
}

function jobRow(seed: JobSeed, job: Replayed, ids: Ids, clock: Clock): Prisma.JobCreateManyInput {
  const { progressDetail, ...lifecycle } = job.state;
  return {
    ...lifecycle,
    ...(progressDetail === null ? {} : { progressDetail }),
    id: job.id,
    queue: seed.queue ?? "default",
    name: seed.name,
    description: seed.description,
    templateId: lookup(ids.templates, seed.template.join("@")),
    parentId: seed.parent === undefined ? null : lookup(ids.jobs, seed.parent),
    priority: seed.priority ?? 0,
    inputValues: seed.inputs,
    parameterValues: seed.parameters,
    runAfter: seed.runAfter === undefined ? job.createdAt : clock(seed.runAfter),
    creatorId: lookup(ids.users, seed.creator),
    createdAt: job.createdAt,
    updatedAt: job.events.at(-1)?.at ?? job.createdAt,
    version: job.events.length,
    nondeterministic: seed.nondeterministic ?? false,
    tags: [...seed.tags, DEMO_TAG],
    idempotencyKey: seed.idempotencyKey ?? null,
  };
}

function outputRow(jobKey: string, jobId: string, output: OutputSeed, at: Date): Prisma.JobOutputCreateManyInput & { content: Buffer } {
  const content = demoContent(`${jobKey}/${output.name}/${output.type}`, output);
  return {
    id: randomUUID(),
    jobId,
    name: output.name,
    type: output.type,
    size: content.length,
    sha256: createHash("sha256").update(content).digest("hex"),
    contentType: CONTENT_TYPES[output.type] ?? "application/octet-stream",
    createdAt: at,
    content,
  };
}

/**
 * Content of exactly the output's size, the same at every seeding, so that downloads in the
 * playground work: log lines for text, a JSON document for json, pseudo-random bytes otherwise.
 */
function demoContent(key: string, output: OutputSeed): Buffer {
  if (output.type === "text") {
    const lines: string[] = [];
    for (let n = 1, length = 0; length < output.size; n++) {
      const line = `[${key}] step ${n}: ok\n`;
      lines.push(line);
      length += line.length;
    }
    return Buffer.from(lines.join("")).subarray(0, output.size);
  }
  if (output.type === "json") {
    const entries: Array<{ index: number; value: number }> = [];
    while (JSON.stringify({ output: key, entries }).length < output.size - 40) entries.push({ index: entries.length, value: (entries.length * 7919) % 1000 });
    entries.pop();
    const text = JSON.stringify({ output: key, entries });
    return Buffer.from(text.padEnd(output.size - 1, " ") + "\n");
  }
  const bytes = Buffer.alloc(output.size);
  for (let offset = 0, block = 0; offset < output.size; offset += 32, block++) {
    createHash("sha256").update(`${key}:${block}`).digest().copy(bytes, offset);
  }
  return bytes;
}

/** Where a task stands given its job's status: tasks below the active one's sequence are done. */
function settle(task: TaskSeed, seed: JobSeed, status: JobStatus): { status: TaskStatus; progress: number } {
  if (status === JobStatus.SUCCEEDED) return { status: TaskStatus.SUCCEEDED, progress: 1 };
  if (status === JobStatus.QUEUED || status === JobStatus.ACQUIRED) return { status: TaskStatus.QUEUED, progress: 0 };
  const { active } = seed;
  const activeTask = active && seed.tasks.find((t) => t.name === active.task);
  if (!active || !activeTask) {
    // Cancelled before any node took it.
    if (status === JobStatus.CANCELLED) return { status: TaskStatus.CANCELLED, progress: 0 };
    throw new Error(`seed job ${seed.key} is ${status} but names no active task`);
  }
  if (task === activeTask) {
    const stopped =
      status === JobStatus.RUNNING
        ? TaskStatus.RUNNING
        : status === JobStatus.FAILED
          ? TaskStatus.FAILED
          : TaskStatus.CANCELLED;
    return { status: stopped, progress: active.progress };
  }
  if (task.sequence < activeTask.sequence) return { status: TaskStatus.SUCCEEDED, progress: 1 };
  return { status: status === JobStatus.RUNNING ? TaskStatus.QUEUED : TaskStatus.CANCELLED, progress: 0 };
}

/** A cancelled task with progress was running when its job was cancelled. */
function hasStarted(status: TaskStatus, progress: number): boolean {
  return status !== TaskStatus.QUEUED && (status !== TaskStatus.CANCELLED || progress > 0);
}

type TaskRow = Prisma.TaskCreateManyInput & {
  id: string;
  startTime: Date | null;
  endTime: Date | null;
  createdAt: Date;
};

/**
 * The job's tasks with statuses and times. The job's run is divided evenly among the sequences that
 * started, so stages follow one another and tasks of one sequence run side by side.
 */
function buildTasks(seed: JobSeed, job: Replayed, now: Date): TaskRow[] {
  const { state } = job;
  const settled = seed.tasks.map((task) => ({ task, ...settle(task, seed, state.status) }));
  const stages = [...new Set(settled.filter((t) => hasStarted(t.status, t.progress)).map((t) => t.task.sequence))].sort(
    (a, b) => a - b,
  );
  const from = state.startTime?.getTime() ?? 0;
  const to = (state.endTime ?? now).getTime();
  const slot = (sequence: number, edge: 0 | 1) =>
    new Date(from + ((stages.indexOf(sequence) + edge) / stages.length) * (to - from));
  const rows = new Map<string, TaskRow>();
  // A MAP task's children, numbered in their order, as createJob numbers them (mapIndex).
  const children = new Map<string, number>();
  settled.forEach(({ task, status, progress }, qsequence) => {
    const startTime = hasStarted(status, progress) ? slot(task.sequence, 0) : null;
    const open = status === TaskStatus.RUNNING || status === TaskStatus.QUEUED;
    const endTime = open ? null : startTime ? slot(task.sequence, 1) : state.endTime;
    const creator = task.createdBy === undefined ? undefined : rows.get(task.createdBy);
    const map = creator?.type === TaskType.MAP ? creator : undefined;
    const mapIndex = map ? (children.get(map.id) ?? 0) : 0;
    if (map) children.set(map.id, mapIndex + 1);
    const createdAt = creator?.endTime ?? creator?.startTime ?? job.createdAt;
    rows.set(task.name, {
      id: randomUUID(),
      jobId: job.id,
      name: task.name,
      type: task.type ?? TaskType.TASK,
      sequence: task.sequence,
      qsequence,
      executorName: task.executor.name,
      executorVersion: task.executor.version,
      ...(task.hints === undefined ? {} : { hints: task.hints }),
      inputs: task.inputs ?? [],
      payload: task.payload,
      cpu: task.cpu,
      memory: task.memory,
      maxExecutionTimeInSeconds: task.maxSeconds,
      parameters: task.parameters ?? {},
      output: status === TaskStatus.SUCCEEDED ? (task.output ?? keepLocator(`${seed.key}/${task.name}`)) : null,
      progress,
      success: status === TaskStatus.SUCCEEDED ? true : status === TaskStatus.FAILED ? false : null,
      // Every task that started started once; one cancelled with its job says so.
      attempts: startTime ? 1 : 0,
      reason: status === TaskStatus.CANCELLED ? (state.status === "FAILED" ? "its job failed" : "cancelled with its job") : null,
      // A MAP task's children are its own (their status makes its status), not tasks it created.
      createdByTaskId: map ? null : (creator?.id ?? null),
      ...(map ? { mapTaskId: map.id, mapIndex, ...(task.mapValue === undefined ? {} : { mapValue: task.mapValue }) } : {}),
      status,
      startTime,
      endTime,
      createdAt,
      updatedAt: endTime ?? startTime ?? createdAt,
    });
  });
  return [...rows.values()];
}

async function refuseUnlessEmpty(tx: Prisma.TransactionClient): Promise<void> {
  const jobs = await tx.job.count();
  if (jobs > 0) {
    throw new SeedRefusedError(`the database already holds ${jobs} jobs; demo data is only added to an empty database`);
  }
  // Without jobs the database may still hold real nodes or templates; colliding names would
  // otherwise surface as a bare unique-constraint failure. (Users are reused by name: start-up
  // creates the `admin` user before anyone seeds.)
  const [nodes, templates] = await Promise.all([
    tx.workerNode.findMany({ where: { name: { in: NODES.map((n) => n.name) } }, select: { name: true } }),
    tx.jobTemplate.findMany({ where: { name: { in: TEMPLATES.map((t) => t.name) } }, select: { name: true } }),
  ]);
  const taken = [...nodes, ...templates].map((row) => row.name);
  if (taken.length > 0) {
    const names = [...new Set(taken)].join(", ");
    throw new SeedRefusedError(`the database already holds nodes or templates named like the demo's: ${names}`);
  }
}

/** Points the demo's users at existing users of the same name; returns the demo users still to create. */
async function reuseUsers(db: Db, ids: Map<UserName, string>): Promise<UserSeed[]> {
  const existing = await db.user.findMany({ where: { name: { in: USERS.map((u) => u.name) } }, select: { id: true, name: true } });
  for (const user of existing) ids.set(user.name as UserName, user.id);
  return USERS.filter((u) => !existing.some((e) => e.name === u.name));
}

/**
 * Fills an empty database with a realistic sample. Refuses (throws SeedRefusedError) when the database
 * already holds jobs, or nodes or templates with the demo's names, so it never mixes with real data.
 * Users with the demo's names (admin, alice, bob) are reused as they are.
 */
export async function seedDemoData(db: Db, options: { now?: Date; outputStore?: OutputStoreConfig } = {}): Promise<SeedSummary> {
  const now = options.now ?? new Date();
  const clock: Clock = (ago) => new Date(now.getTime() - ago * 60_000);
  const ids: Ids = {
    users: new Map(USERS.map((u) => [u.name, randomUUID()])),
    nodes: new Map(NODES.map((n) => [n.name, randomUUID()])),
    templates: new Map(TEMPLATES.map((t) => [`${t.name}@${t.version}`, randomUUID()])),
    jobs: new Map(),
  };
  const jobId = (key: string) => ids.jobs.get(key) ?? ids.jobs.set(key, randomUUID()).get(key)!;
  const seeds = demoJobs(jobId);
  seeds.forEach((seed) => jobId(seed.key));
  // One id per job, or a link names a key no job has (its id would dangle inside some JSON value) or
  // two jobs share a key.
  if (ids.jobs.size !== seeds.length) throw new Error("seed data links to an undefined job key or repeats one");
  const newUsers = await reuseUsers(db, ids.users);

  // Job numbers follow insertion order and event ids are the order watchers replay in, so both go
  // in chronologically.
  const replayed = seeds
    .map((seed) => ({ seed, job: replay(seed, ids, clock) }))
    .sort((a, b) => a.job.createdAt.getTime() - b.job.createdAt.getTime());
  const jobs = replayed.map(({ seed, job }) => jobRow(seed, job, ids, clock));
  const tasks = replayed.flatMap(({ seed, job }) => buildTasks(seed, job, now));
  const outputs = replayed.flatMap(({ job }) => job.outputs);
  const events = replayed
    .flatMap(({ job }) => job.events)
    .sort((a, b) => a.at.getTime() - b.at.getTime() || a.jobVersion - b.jobVersion);
  const lastSeen = (nodeId: string) => events.findLast((e) => e.actorNodeId === nodeId)?.at;

  // The files and S3 stores' content is written before the output rows commit, as an upload's is,
  // so that no committed output lacks its content; a seed that fails removes it again.
  const store = options.outputStore;
  await db.$transaction(
    async (tx) => {
      await refuseUnlessEmpty(tx);
      for (const { id, content } of outputs) {
        if (store?.kind === "files") await storeFile(store.folder, id!, content);
        else if (store?.kind === "s3") await storeObject(store, id!, content);
      }
      await tx.user.createMany({
        data: newUsers.map((u) => ({
          id: lookup(ids.users, u.name),
          name: u.name,
          email: u.email,
          role: u.role,
          createdAt: clock(u.since),
          updatedAt: clock(u.since),
        })),
      });
      await tx.workerNode.createMany({
        data: NODES.map((n) => {
          const id = lookup(ids.nodes, n.name);
          return {
            id,
            name: n.name,
            description: n.description,
            executors: n.executors,
            cpu: n.cpu,
            memory: n.memory,
            labels: n.labels,
            lastSeenAt: lastSeen(id) ?? clock(n.since),
            createdAt: clock(n.since),
            updatedAt: clock(n.since),
          };
        }),
      });
      await tx.jobTemplate.createMany({
        data: TEMPLATES.map((t) => ({
          id: lookup(ids.templates, `${t.name}@${t.version}`),
          name: t.name,
          version: t.version,
          description: t.description,
          executorName: t.executor.name,
          executorVersion: t.executor.version,
          inputs: t.inputs,
          parameters: t.parameters,
          creatorId: lookup(ids.users, t.creator),
          createdAt: clock(t.since),
          updatedAt: clock(t.since),
        })),
      });
      await tx.job.createMany({ data: jobs });
      await tx.task.createMany({ data: tasks });
      await tx.jobOutput.createMany({ data: outputs.map(({ content: _content, ...output }) => output) });
      if (!store || store.kind === "postgres") await tx.jobOutputChunk.createMany({ data: outputs.flatMap(({ id, content }) => chunksOf(id!, content)) });
      await tx.jobEvent.createMany({ data: events });
    },
    { maxWait: 10_000, timeout: 30_000 },
  ).catch(async (error: unknown) => {
    if (store?.kind === "files") await Promise.all(outputs.map(({ id }) => fs.rm(contentPath(store.folder, id!), { force: true })));
    else if (store?.kind === "s3") for (const { id } of outputs) await removeObject(store, id!);
    throw error;
  });

  return {
    users: newUsers.length,
    nodes: NODES.length,
    templates: TEMPLATES.length,
    jobs: jobs.length,
    tasks: tasks.length,
    outputs: outputs.length,
    events: events.length,
  };
}
