// Output content as objects in an S3-compatible bucket, one object per output, under a prefix and
// named by the output's id.
//
// For gateways on several machines that should not keep every output byte in PostgreSQL. As with
// the other stores, the output row is what makes content visible: an object is written under the
// output's id before its row commits, and no one can reach it until the row does. So an upload
// needs no temporary key to copy from (a copy of a large object is a second upload inside S3):
// an object whose row never committed, or whose output was removed, is deleted by the same
// housekeeping as the other stores' content (src/domain/outputs.ts), and a multipart upload a
// killed gateway left open is aborted by it too.
import type { S3Client } from "@aws-sdk/client-s3";
import { Readable } from "node:stream";
import type pg from "pg";
import type { S3StoreConfig } from "../config.js";
import { BusyError } from "../domain/errors.js";
import { BUSY_RETRY_SECONDS, touchUpload, type ByteRange, type ContentStore, type Presigned } from "../domain/outputs.js";

/**
 * What a client is told when the bucket fails a request (after the SDK's own retries): a busy
 * gateway's answer, since trying again later is what it should do. The bucket's own message,
 * which may name the bucket and the credentials' account, is not passed on.
 */
function unavailable(what: "upload" | "download"): BusyError {
  return new BusyError(BUSY_RETRY_SECONDS, what === "upload" ? "the output store did not take the content; nothing was stored" : "the output store did not answer");
}

/** What objects are named after their prefix: their output's id. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** S3's smallest part (but the last) and most parts of one multipart upload. */
const MIN_PART_BYTES = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;

/**
 * Parts of one upload sent at once. The uploader holds at most this many parts and the one it is
 * filling in memory: 15 MiB an upload at the smallest part size.
 */
const PARTS_IN_FLIGHT = 2;

/** As FileContentStore's: how often a long upload tells the database it is alive. */
const TOUCH_MS = 30_000;

/** Objects listed by each olderContents call. */
const LIST_PAGE = 1000;

/**
 * The AWS SDK, loaded when an S3 store is first used: it takes about 200 ms to load, which every
 * gateway and command would pay otherwise.
 */
let loading: Promise<[typeof import("@aws-sdk/client-s3"), typeof import("@aws-sdk/lib-storage"), typeof import("@aws-sdk/s3-request-presigner")]> | undefined;
function sdk() {
  loading ??= Promise.all([import("@aws-sdk/client-s3"), import("@aws-sdk/lib-storage"), import("@aws-sdk/s3-request-presigner")]);
  return loading;
}

/** The S3 client of a store's settings; credentials, unless given, come from the usual AWS variables and files. */
export async function s3Client(config: S3StoreConfig): Promise<S3Client> {
  const [{ S3Client }] = await sdk();
  return new S3Client({
    ...(config.region ? { region: config.region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    forcePathStyle: config.forcePathStyle,
    ...(config.credentials ? { credentials: config.credentials } : {}),
  });
}

export class S3ContentStore implements ContentStore {
  private client: S3Client | undefined;
  private readonly partBytes: number;

  /** `pool` serves the upload's bookkeeping; `maxOutputBytes` sizes the parts so that the largest output fits in S3's 10,000. */
  constructor(
    private readonly config: S3StoreConfig,
    private readonly pool: pg.Pool,
    maxOutputBytes: number,
    private readonly touchMs = TOUCH_MS,
  ) {
    this.partBytes = Math.max(MIN_PART_BYTES, Math.ceil(maxOutputBytes / MAX_PARTS));
  }

  /** The client, made at first use, with the SDK. */
  private async s3() {
    const [s3, storage, presigner] = await sdk();
    this.client ??= await s3Client(this.config);
    return { client: this.client, s3, storage, presigner };
  }

  private key(outputId: string): string {
    return `${this.config.prefix}${outputId}`;
  }

  /**
   * Streams the content to its object: one PUT when it fits in a part, else a multipart upload of
   * PARTS_IN_FLIGHT parts at a time, which is aborted (its parts deleted) when the content or the
   * bucket fails. The upload is marked alive before the first byte and as it goes; an upload swept
   * meanwhile fails with UploadAbandonedError and its object, if it was completed, is deleted by
   * whoever removes the upload (or later by sweepLeftoverContent).
   */
  async write(outputId: string, content: AsyncIterable<Uint8Array>): Promise<void> {
    const { client, storage } = await this.s3();
    await touchUpload(this.pool, outputId);
    // The content's own failure (too large, cut off, swept) is what the caller must see, not the
    // uploader's account of it.
    let failed: { error: unknown } | undefined;
    const store = this;
    async function* alive() {
      let touched = Date.now();
      try {
        for await (const piece of content) {
          yield piece;
          if (Date.now() - touched >= store.touchMs) {
            await touchUpload(store.pool, outputId);
            touched = Date.now();
          }
        }
      } catch (error) {
        failed = { error };
        throw error;
      }
    }
    const upload = new storage.Upload({
      client,
      params: { Bucket: this.config.bucket, Key: this.key(outputId), Body: Readable.from(alive(), { objectMode: false }) },
      partSize: this.partBytes,
      queueSize: PARTS_IN_FLIGHT,
    });
    try {
      await upload.done();
    } catch (error) {
      if (failed) throw failed.error;
      throw unavailable("upload");
    }
  }

  async *read(outputId: string, { start, end }: ByteRange): AsyncIterable<Uint8Array> {
    const { client, s3 } = await this.s3();
    let body: AsyncIterable<Uint8Array>;
    try {
      const object = await client.send(new s3.GetObjectCommand({ Bucket: this.config.bucket, Key: this.key(outputId), Range: `bytes=${start}-${end}` }));
      body = object.Body as AsyncIterable<Uint8Array>;
    } catch (error) {
      if (error instanceof s3.S3ServiceException && (error.name === "NoSuchKey" || error.$metadata.httpStatusCode === 404)) throw new Error(`the content of output ${outputId} is gone`);
      // Before the response's status is sent: the download is answered 503, to be retried.
      throw unavailable("download");
    }
    // No more than the range, whatever comes: some S3-compatible servers read `bytes=0-0` as the
    // whole object.
    const length = end - start + 1;
    let received = 0;
    for await (const piece of body) {
      const take = piece.subarray(0, length - received);
      received += take.byteLength;
      yield take;
      if (received === length) break;
    }
    // The object is shorter than its output row says: it was removed or replaced under us.
    if (received !== length) throw new Error(`the content of output ${outputId} ends before byte ${start + received}`);
  }

  async discard(outputId: string): Promise<void> {
    const { client, s3 } = await this.s3();
    // Deleting an object that is not there succeeds.
    await client.send(new s3.DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.key(outputId) }));
    for (const uploadId of this.openUploads.get(outputId) ?? []) {
      try {
        await client.send(new s3.AbortMultipartUploadCommand({ Bucket: this.config.bucket, Key: this.key(outputId), UploadId: uploadId }));
      } catch (error) {
        // Completed or aborted since it was listed: nothing is left to abort.
        if (!(error instanceof s3.S3ServiceException && error.name === "NoSuchUpload")) throw error;
      }
    }
    this.openUploads.delete(outputId);
  }

  /** Where the next olderContents call goes on listing the bucket from; undefined: from the start. */
  private nextPage: string | undefined;

  /** Whether the bucket lists multipart uploads (some S3-compatible servers do not). */
  private listsUploads = true;

  /**
   * The multipart uploads begun long ago that the last olderContents call found open, by output
   * id: discard aborts them, once sweepLeftoverContent has found that no upload is under way for
   * that id (a long upload of a live gateway stays open for as long as it takes).
   */
  private openUploads = new Map<string, string[]>();

  /**
   * A page of the prefix's objects last written more than `seconds` ago, and the page after it on
   * the next call; with them, the ids of multipart uploads begun more than `seconds` ago and still
   * open. A gateway killed while uploading leaves such an upload, and S3 keeps (and bills) its
   * parts until it is aborted.
   */
  async olderContents(seconds: number): Promise<string[]> {
    const { client, s3 } = await this.s3();
    const before = Date.now() - seconds * 1000;
    const page = await client.send(
      new s3.ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: this.config.prefix, MaxKeys: LIST_PAGE, ContinuationToken: this.nextPage }),
    );
    this.nextPage = page.IsTruncated ? page.NextContinuationToken : undefined;
    const old = (page.Contents ?? []).filter((object) => object.LastModified && object.LastModified.getTime() < before).map((object) => this.idOf(object.Key));
    this.openUploads = await this.oldMultipartUploads(before);
    return [...new Set([...old, ...this.openUploads.keys()])].filter((id): id is string => id !== undefined);
  }

  private async oldMultipartUploads(before: number): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    if (!this.listsUploads) return found;
    const { client, s3 } = await this.s3();
    let listed;
    try {
      listed = await client.send(new s3.ListMultipartUploadsCommand({ Bucket: this.config.bucket, Prefix: this.config.prefix, MaxUploads: LIST_PAGE }));
    } catch (error) {
      if (error instanceof s3.S3ServiceException && error.name === "NotImplemented") {
        this.listsUploads = false;
        return found;
      }
      throw error;
    }
    for (const open of listed.Uploads ?? []) {
      const id = this.idOf(open.Key);
      if (!id || !open.UploadId || !open.Initiated || open.Initiated.getTime() >= before) continue;
      found.set(id, [...(found.get(id) ?? []), open.UploadId]);
    }
    return found;
  }

  /** The output id an object's key names; undefined for a key of something else under the prefix. */
  private idOf(key: string | undefined): string | undefined {
    const id = key?.slice(this.config.prefix.length);
    return id && UUID.test(id) ? id : undefined;
  }

  /**
   * A URL that lets its holder download the output's content from the bucket itself for
   * `presignSeconds`, with the gateway's media type and file name; undefined when the store is set
   * to stream downloads through the gateway.
   */
  async presign(outputId: string, response: Presigned): Promise<string | undefined> {
    if (!this.config.presignSeconds) return undefined;
    const { client, s3, presigner } = await this.s3();
    try {
      return await presigner.getSignedUrl(
        client,
        new s3.GetObjectCommand({
          Bucket: this.config.bucket,
          Key: this.key(outputId),
          ResponseContentType: response.contentType,
          ResponseContentDisposition: response.contentDisposition,
        }),
        { expiresIn: this.config.presignSeconds },
      );
    } catch {
      // Signing needs the credentials, which may come from a source that fails for a while (an
      // instance role's metadata service): the download is answered 503, to be retried.
      throw unavailable("download");
    }
  }

  /** Stops the client's connections. */
  close(): void {
    this.client?.destroy();
  }
}

/**
 * Stores content that is whole in memory (the demo data's) as S3ContentStore.write would, for a
 * caller that writes its output rows itself, after this returns.
 */
export async function storeObject(config: S3StoreConfig, outputId: string, content: Uint8Array): Promise<void> {
  const [{ PutObjectCommand }] = await sdk();
  const client = await s3Client(config);
  try {
    await client.send(new PutObjectCommand({ Bucket: config.bucket, Key: `${config.prefix}${outputId}`, Body: content }));
  } finally {
    client.destroy();
  }
}

/** Removes what storeObject stored. */
export async function removeObject(config: S3StoreConfig, outputId: string): Promise<void> {
  const [{ DeleteObjectCommand }] = await sdk();
  const client = await s3Client(config);
  try {
    await client.send(new DeleteObjectCommand({ Bucket: config.bucket, Key: `${config.prefix}${outputId}` }));
  } finally {
    client.destroy();
  }
}

/**
 * Refuses to start a gateway whose bucket cannot be reached with its settings and credentials,
 * saying why, rather than failing the first upload.
 */
export async function checkBucket(config: S3StoreConfig): Promise<void> {
  const [{ HeadBucketCommand }] = await sdk();
  const client = await s3Client(config);
  try {
    await client.send(new HeadBucketCommand({ Bucket: config.bucket }));
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const why = status === 404 ? "it does not exist" : status === 403 ? "access is denied to these credentials" : (error as Error).message || (error as Error).name;
    throw new Error(`the output bucket ${config.bucket}${config.endpoint ? ` at ${config.endpoint}` : ""} cannot be used: ${why}`);
  } finally {
    client.destroy();
  }
}
