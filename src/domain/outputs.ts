// Job outputs: named, typed binary results (UFDL's job outputs). Content is streamed into storage
// while its size and SHA-256 are computed; the output row and its event are written when it is all
// in, so an upload that is refused, too large or cut off leaves nothing behind.
import { createHash, randomUUID } from "node:crypto";
import type pg from "pg";
import { isPoolExhausted, type Db } from "../db/client.js";
import { Prisma, type JobOutput } from "../db/generated/prisma/client.js";
import { AlreadyExistsError, BusyError, InvalidTransitionError, NotFoundError, TooLargeError, ValidationError, type FieldError } from "./errors.js";
import { rowsByKey } from "./job-reads.js";
import { isAdmin, type Principal } from "./principal.js";
import { jobGuard, refuseUnstorableTextOf, whyNot } from "./transitions.js";

const { sql } = Prisma;

/**
 * Where output content lives. An upload writes its content under the id its output will have,
 * before the output row exists and outside any transaction of the caller's; the row, written at
 * the end in a short transaction, is what makes it visible. Content nobody can reach any more (its
 * output was removed, or its upload abandoned) is removed later with discard().
 */
export interface ContentStore {
  /**
   * Stores the content of output `outputId`, while its upload is listed in output_uploads; throws
   * UploadAbandonedError once it is not (it was swept), and BusyError when no connection is free
   * for too long.
   */
  write(outputId: string, content: AsyncIterable<Uint8Array>): Promise<void>;
  /** Bytes `start` to `end` (inclusive) of the output's content, streamed. */
  read(outputId: string, range: ByteRange): AsyncIterable<Uint8Array>;
  /** Removes the content of `outputId`: an abandoned upload's, or a removed output's. */
  discard(outputId: string): Promise<void>;
  /**
   * Some of the stored contents last written more than `seconds` ago, by id: a part of the store
   * per call, the whole of it over successive calls. For sweepLeftoverContent; a store that cannot
   * tell has none.
   */
  olderContents?(seconds: number): Promise<string[]>;
  /**
   * A URL its holder can download the content from, without the gateway, for a while; undefined
   * (or no such method) when downloads stream through the gateway.
   */
  presign?(outputId: string, response: Presigned): Promise<string | undefined>;
  /** Lets go of what the store holds open (connections); the app calls it when it stops. */
  close?(): void;
}

/** The headers a download from a presigned URL is to be answered with, as the gateway would. */
export type Presigned = { contentType: string; contentDisposition: string };

/** The upload was swept as abandoned while it was still being written (see sweepAbandonedUploads). */
export class UploadAbandonedError extends Error {
  constructor() {
    super("the upload was given up as abandoned while it was being written");
    this.name = "UploadAbandonedError";
  }
}

export type ByteRange = { start: number; end: number };

export type OutputStorage = {
  /** Connections for output content: each upload holds one at a time, for one statement or its last transaction. */
  pool: pg.Pool;
  store: ContentStore;
  /** The largest output accepted, in bytes. */
  maxOutputBytes: number;
};

export type OutputKey = { jobId: string; name: string; type: string };

export type OutputInfo = {
  id: string;
  jobId: string;
  name: string;
  type: string;
  size: bigint;
  sha256: string;
  contentType: string;
  createdAt: Date;
};

const MAX_KEY_LENGTH = 200;
// Path separators and control characters would make download URLs and file names ambiguous or
// dangerous; "." and ".." would be read as path steps.
const UNSAFE = /[/\\\p{Cc}]/u;
// type "/" subtype, with parameters (RFC 9110 media types).
const MEDIA_TYPE = /^[\w!#$&^.+-]+\/[\w!#$&^.+-]+(\s*;\s*[\w!#$&^.+-]+=("[^"\p{Cc}]*"|[\w!#$&^.+-]+))*$/u;

function keyErrors(name: string, type: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const [field, value] of [["name", name], ["type", type]] as const) {
    if (value.length < 1 || value.length > MAX_KEY_LENGTH) errors.push({ path: [field], message: `must be 1 to ${MAX_KEY_LENGTH} characters` });
    else if (UNSAFE.test(value)) errors.push({ path: [field], message: "must not contain / or \\ or control characters" });
    else if (value === "." || value === "..") errors.push({ path: [field], message: 'must not be "." or ".."' });
  }
  return errors;
}

function checkKey(name: string, type: string, more: FieldError[] = []): void {
  const errors = [...keyErrors(name, type), ...more];
  if (errors.length) throw new ValidationError("the output is not valid", errors);
}

const DEFAULT_CONTENT_TYPE = "application/octet-stream";

export type NewOutput = OutputKey & {
  /** The media type to serve the content with; application/octet-stream when not given. */
  contentType?: string | null;
  /** Replace an existing output with this name and type instead of refusing. */
  replace?: boolean | null;
  /** The holding node's lease token (admins need none). */
  leaseToken?: string | null;
};

/**
 * Counts and hashes the content as it passes, and stops it once it grows past the limit (the
 * transaction it is being written in then rolls back).
 */
async function* measured(content: AsyncIterable<Uint8Array>, maxBytes: number, into: { size: number; sha256: string }) {
  const hash = createHash("sha256");
  let size = 0;
  for await (const piece of content) {
    size += piece.byteLength;
    if (size > maxBytes) throw new TooLargeError(maxBytes);
    hash.update(piece);
    yield piece;
  }
  into.size = size;
  into.sha256 = hash.digest("hex");
}

/** Refuses an upload before any of its content is read, when the job's state already decides it. */
async function precheck(db: Db, actor: Principal, input: NewOutput): Promise<void> {
  const job = await db.job.findUnique({
    where: { id: input.jobId },
    select: { status: true, deletedAt: true, nodeId: true, leaseToken: true },
  });
  const holds =
    actor.kind === "NODE" && job?.nodeId === actor.nodeId && job.leaseToken === (input.leaseToken ?? null) && (job.status === "ACQUIRED" || job.status === "RUNNING");
  if (!job || job.deletedAt || !(isAdmin(actor) || holds)) throw await whyNot(db, actor, input.jobId, "addOutput", input.leaseToken);
  if (!input.replace && (await db.jobOutput.findFirst({ where: { jobId: input.jobId, name: input.name, type: input.type }, select: { id: true } }))) {
    throw exists(input);
  }
}

function exists(key: OutputKey): AlreadyExistsError {
  return new AlreadyExistsError("output", `${key.name} (${key.type})`, `the job has an output named ${key.name} of type ${key.type}; pass replace: true to replace it`);
}

/** How long an upload may go without writing a chunk before it is taken for abandoned and swept. */
export const ABANDONED_UPLOAD_SECONDS = 15 * 60;

/** How long a client is asked to wait before retrying when the gateway is busy. */
export const BUSY_RETRY_SECONDS = 5;

/** Runs one statement of the upload's bookkeeping on a connection of its own, taken and given back. */
async function bookkeeping<R extends pg.QueryResultRow>(storage: OutputStorage, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
  const client = await connect(storage.pool);
  try {
    return await client.query<R>(text, values);
  } finally {
    client.release();
  }
}

/**
 * Marks an upload alive, for a store that writes its content elsewhere than in PostgreSQL (the
 * files and S3 stores); UploadAbandonedError once it has been swept.
 */
export async function touchUpload(pool: pg.Pool, outputId: string): Promise<void> {
  const client = await connect(pool);
  try {
    const { rowCount } = await client.query("/* touchUpload */ update output_uploads set touched_at = now() where id = $1::uuid", [outputId]);
    if (rowCount !== 1) throw new UploadAbandonedError();
  } finally {
    client.release();
  }
}

/** A connection for output content; BusyError when every one stays busy for the pool's wait. */
export async function connect(pool: pg.Pool): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (error) {
    if (isPoolExhausted(error)) throw new BusyError(BUSY_RETRY_SECONDS);
    throw error;
  }
}

/**
 * Adds an output to a job, streaming its content into storage. The node holding the job (with its
 * lease token) while it holds it, or an admin at any time. Refused before any content is read when
 * the job's state already says no; checked again, under the job's lock, when the content is in.
 *
 * The content is written chunk by chunk (ContentStore.write), each chunk on a connection taken for
 * it, so an upload holds at most one connection at a time and never a transaction while its client
 * sends; the output row and its event are written at the end, in one short transaction. An upload
 * that fails or is refused removes what it wrote; one whose gateway dies is swept later.
 */
export async function addJobOutput(
  db: Db,
  storage: OutputStorage,
  actor: Principal,
  input: NewOutput,
  content: AsyncIterable<Uint8Array>,
): Promise<OutputInfo> {
  await refuseUnstorableTextOf(db, actor, input.jobId, "addOutput", input.leaseToken, {
    name: input.name,
    type: input.type,
    contentType: input.contentType,
    leaseToken: input.leaseToken,
  });
  // A blank media type is refused rather than read as none: a client that sent one meant something.
  const contentType = input.contentType == null ? DEFAULT_CONTENT_TYPE : input.contentType.trim();
  checkKey(input.name, input.type, MEDIA_TYPE.test(contentType) && contentType.length <= 200 ? [] : [{ path: ["contentType"], message: "must be a media type such as application/json" }]);
  await precheck(db, actor, input);

  const outputId = randomUUID();
  await bookkeeping(storage, "/* beginUpload */ insert into output_uploads (id, job_id) values ($1::uuid, $2::uuid)", [outputId, input.jobId]);
  let finished = false;
  try {
    const measure = { size: 0, sha256: "" };
    await storage.store.write(outputId, measured(content, storage.maxOutputBytes, measure));
    const added = await commitOutput(db, storage, actor, input, { id: outputId, contentType, ...measure });
    finished = true;
    return added;
  } catch (error) {
    if (error instanceof UploadAbandonedError) throw new BusyError(BUSY_RETRY_SECONDS);
    throw error;
  } finally {
    if (!finished) await abandonUpload(storage, outputId).catch(() => undefined);
  }
}

/** Removes an upload that will not finish, and what it wrote. */
async function abandonUpload(storage: OutputStorage, outputId: string): Promise<void> {
  await bookkeeping(storage, "/* abandonUpload */ delete from output_uploads where id = $1::uuid", [outputId]);
  await storage.store.discard(outputId);
}

/**
 * Removes uploads that have written nothing for ABANDONED_UPLOAD_SECONDS (their gateway died, or
 * their client stopped sending) with what they wrote; returns how many. Safe in every instance
 * at once: each upload is removed by one of them.
 */
export async function sweepAbandonedUploads(storage: OutputStorage): Promise<number> {
  const { rows } = await bookkeeping<{ id: string }>(
    storage,
    `/* sweepAbandonedUploads */ delete from output_uploads where touched_at < now() - make_interval(secs => $1::int) returning id`,
    [ABANDONED_UPLOAD_SECONDS],
  );
  for (const { id } of rows) await storage.store.discard(id);
  return rows.length;
}

/**
 * Deletes content that nothing names any more and nothing will remove: written long ago, yet of no
 * output, no upload in progress and no removal to come. A gateway killed between sweeping an
 * upload's listing and deleting its content leaves such content. Returns how many it deleted.
 */
export async function sweepLeftoverContent(storage: OutputStorage): Promise<number> {
  const ids = (await storage.store.olderContents?.(ABANDONED_UPLOAD_SECONDS)) ?? [];
  if (!ids.length) return 0;
  const { rows } = await bookkeeping<{ id: string }>(
    storage,
    `/* leftoverContent */
     select id::text from unnest($1::uuid[]) as s(id)
      where not exists (select 1 from job_outputs o where o.id = s.id)
        and not exists (select 1 from output_uploads u where u.id = s.id)
        and not exists (select 1 from output_removals r where r.output_id = s.id)`,
    [ids],
  );
  for (const { id } of rows) await storage.store.discard(id);
  return rows.length;
}

/** How many removed outputs removeContentOfRemovedOutputs takes from the list at a time. */
const REMOVALS_PER_BATCH = 20;
/** How many of them have their content deleted at once (each an S3 request, a file, or a statement on an output connection). */
const REMOVALS_AT_ONCE = 2;
/**
 * How long one pass goes on taking batches while the list holds more: a job deleted with many
 * outputs, or the retention deleting thousands of jobs, empties the list in minutes rather than
 * a batch per reclaimer interval, and the pass (which reclaims leases too) stays short.
 */
const REMOVAL_PASS_MS = 1_000;

/**
 * Deletes the content of outputs that were removed (listed in output_removals by a trigger on
 * job_outputs), a batch at a time, oldest first, for up to a second; returns how many outputs it
 * cleared. Safe in every instance at once: an output's content is deleted before it leaves the
 * list, so one whose instance died meanwhile is taken again, and deleting it twice does no harm.
 */
export async function removeContentOfRemovedOutputs(storage: OutputStorage): Promise<number> {
  const started = Date.now();
  let removed = 0;
  for (;;) {
    const { rows } = await bookkeeping<{ output_id: string }>(
      storage,
      `/* removedOutputs */ select output_id from output_removals order by removed_at limit $1::int`,
      [REMOVALS_PER_BATCH],
    );
    const ids = rows.map((row) => row.output_id);
    for (let next = 0; next < ids.length; next += REMOVALS_AT_ONCE) {
      await Promise.all(ids.slice(next, next + REMOVALS_AT_ONCE).map((id) => storage.store.discard(id)));
    }
    if (ids.length) await bookkeeping(storage, `/* removalsDone */ delete from output_removals where output_id = any($1::uuid[])`, [ids]);
    removed += ids.length;
    if (ids.length < REMOVALS_PER_BATCH || Date.now() - started >= REMOVAL_PASS_MS) return removed;
  }
}

/**
 * Makes an uploaded content an output of the job, in one short transaction: checks under the
 * job's lock that the caller may still add it, replaces an output of the same name and type if
 * asked, writes the row and its event, and takes the upload off the list (which it must still be
 * on: a swept upload's content is gone).
 */
async function commitOutput(
  db: Db,
  storage: OutputStorage,
  actor: Principal,
  input: NewOutput,
  content: { id: string; contentType: string; size: number; sha256: string },
): Promise<OutputInfo> {
  const client = await connect(storage.pool);
  let broken: Error | undefined;
  try {
    await client.query("begin");
    // Chunks commit asynchronously (PostgresContentStore's writeChunk); this commit is the one that
    // makes the output durable, its chunks with it, whatever the server's default.
    await client.query("set local synchronous_commit = on");
    const guard = jobGuard(actor, input.jobId, "addOutput", input.leaseToken);
    const job = (await client.query<{ id: string; version: number; event_txid: string }>(guard.text, guard.values)).rows[0];
    if (!job) {
      await client.query("rollback");
      throw await whyNot(db, actor, input.jobId, "addOutput", input.leaseToken);
    }
    // The job is locked now, so no other upload or removal of this output can slip in between.
    const replaced = await client.query<{ id: string }>(
      `/* replaceJobOutput */ delete from job_outputs where job_id = $1::uuid and name = $2 and type = $3 and $4::boolean returning id`,
      [input.jobId, input.name, input.type, Boolean(input.replace)],
    );
    const write = sql`
      /* addJobOutput */
      with upload as (
        delete from output_uploads where id = ${content.id}::uuid returning id
      ), added as (
        insert into job_outputs (id, job_id, name, type, size, sha256, content_type)
        select id, ${input.jobId}::uuid, ${input.name}, ${input.type}, ${content.size}::bigint, ${content.sha256}, ${content.contentType}
          from upload
        on conflict (job_id, name, type) do nothing
        returning id, job_id, name, type, size, sha256, content_type, created_at
      ), event as (
        insert into job_events (job_id, kind, detail, actor_user_id, actor_node_id, job_version, txid)
        select job_id, 'OUTPUT_ADDED',
               jsonb_build_object('outputId', id, 'name', name, 'type', type, 'replaced', ${replaced.rows[0]?.id ?? null}::uuid),
               ${actor.kind === "USER" ? actor.userId : null}::uuid, ${actor.kind === "NODE" ? actor.nodeId : null}::uuid,
               ${job.version}::int, ${job.event_txid}::xid8
          from added
      )
      select (select count(*) from upload)::int as listed, id, job_id as "jobId", name, type, size, sha256,
             content_type as "contentType", created_at as "createdAt"
        from (select 1) one left join added on true`;
    const row = (await client.query<OutputInfo & { listed: number; id: string | null }>(write.text, write.values)).rows[0]!;
    if (!row.listed) {
      await client.query("rollback");
      throw new UploadAbandonedError();
    }
    if (!row.id) {
      await client.query("rollback");
      throw exists(input);
    }
    await client.query("commit");
    const { listed: _listed, ...added } = row;
    return { ...added, size: BigInt(added.size) };
  } catch (error) {
    // A connection that failed mid-statement is not given back to the pool.
    broken = await client.query("rollback").then(
      () => undefined,
      (e: Error) => e,
    );
    throw error;
  } finally {
    client.release(broken);
  }
}

/** Removes an output and its content. The node holding the job (with its lease token), or an admin. */
export async function deleteJobOutput(db: Db, actor: Principal, key: OutputKey & { leaseToken?: string | null }): Promise<OutputInfo> {
  await refuseUnstorableTextOf(db, actor, key.jobId, "deleteOutput", key.leaseToken, { name: key.name, type: key.type, leaseToken: key.leaseToken });
  checkKey(key.name, key.type);
  const output = await db.jobOutput.findFirst({ where: { jobId: key.jobId, name: key.name, type: key.type } });
  if (!output) {
    const job = await db.job.findUnique({ where: { id: key.jobId }, select: { id: true } });
    throw job ? new NotFoundError("output", `${key.name} (${key.type})`) : new NotFoundError("job", key.jobId);
  }
  const guard = jobGuard(actor, key.jobId, "deleteOutput", key.leaseToken, sql`exists (select 1 from job_outputs o where o.id = ${output.id}::uuid)`);
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    /* deleteJobOutput */
    with job as (${guard}), removed as (
      delete from job_outputs o using job
       where o.id = ${output.id}::uuid and o.job_id = job.id
      returning o.id, o.job_id, o.name, o.type
    ), event as (
      insert into job_events (job_id, kind, detail, actor_user_id, actor_node_id, job_version)
      select removed.job_id, 'OUTPUT_DELETED', jsonb_build_object('outputId', removed.id, 'name', removed.name, 'type', removed.type),
             ${actor.kind === "USER" ? actor.userId : null}::uuid, ${actor.kind === "NODE" ? actor.nodeId : null}::uuid, job.version
        from removed join job on job.id = removed.job_id
    )
    select id from removed`;
  if (rows.length) return output;
  const refusal = await whyNot(db, actor, key.jobId, "deleteOutput", key.leaseToken);
  // The job's state would have allowed it, but the output went away meanwhile.
  if (refusal instanceof InvalidTransitionError && !(await db.jobOutput.findUnique({ where: { id: output.id }, select: { id: true } }))) {
    throw new NotFoundError("output", `${key.name} (${key.type})`);
  }
  throw refusal;
}

/** An output's info by its id, or null. */
export function findOutputById(db: Db, id: string): Promise<OutputInfo | null> {
  return db.jobOutput.findUnique({ where: { id } });
}

/**
 * Outputs by job, name and type, in no particular order, in one statement; a key no output can
 * have (see keyErrors) is not looked for.
 */
export function outputsByKeys(db: Db, keys: readonly OutputKey[]): Promise<JobOutput[]> {
  const possible = keys.filter((k) => !keyErrors(k.name, k.type).length);
  if (!possible.length) return Promise.resolve([]);
  const key = [["job_id", "uuid"], ["name", "text"], ["type", "text"]] as const;
  return rowsByKey<JobOutput>(db, "JobOutput", "job_outputs", key, possible.map((k) => [k.jobId, k.name, k.type]));
}

/** An output by job, name and type, or null. */
export function findOutput(db: Db, key: OutputKey) {
  if (keyErrors(key.name, key.type).length) return Promise.resolve(null);
  return db.jobOutput.findFirst({ where: { jobId: key.jobId, name: key.name, type: key.type } });
}
