// An S3-compatible server for the tests (s3rver, which keeps objects as files in a folder), and a
// proxy in front of it that can be told to fail, for a bucket that breaks mid-upload.
import { mkdtempSync, rmSync, utimesSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import S3rver from "s3rver";

/** The bucket every test server has. */
export const TEST_BUCKET = "jobgraph-test";

/** The credentials s3rver takes (it checks signatures made with them). */
export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export type S3Server = {
  endpoint: string;
  /** The folder s3rver keeps its objects in. */
  directory: string;
  stop(): Promise<void>;
};

export async function startS3Server(): Promise<S3Server> {
  const directory = mkdtempSync(path.join(os.tmpdir(), "jobgraph-s3-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, configureBuckets: [{ name: TEST_BUCKET, configs: [] }] });
  const { address, port } = (await server.run()) as AddressInfo;
  return {
    endpoint: `http://${address}:${port}`,
    directory,
    async stop() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Makes the object `key` of `bucket` look last written `seconds` ago (s3rver gives its file's time). */
export function ageObject(directory: string, bucket: string, key: string, seconds: number): void {
  const file = path.join(directory, bucket, `${key}._S3rver_object`);
  const then = new Date(Date.now() - seconds * 1000);
  utimesSync(file, then, then);
}

export type FailingProxy = {
  endpoint: string;
  /**
   * While on, every request to upload a part numbered 2 or more has its connection cut after
   * some of its body arrived, as a store that falls over mid-upload does; everything else passes.
   */
  failParts: boolean;
  /** While on, every request is answered 503, as a store that is down. */
  down: boolean;
  /**
   * Multipart uploads to answer a ListMultipartUploads with (s3rver does not list them), as
   * S3 would list those a killed gateway left open. An abort of one is answered as S3 would:
   * done (204), or NoSuchUpload when it is `gone` (completed or aborted since it was listed).
   */
  openUploads: Array<{ key: string; uploadId: string; initiated: Date; gone?: boolean }>;
  /** The requests passed on or failed, as "METHOD path?query". */
  seen: string[];
  stop(): Promise<void>;
};

/** A proxy to `target` (an S3 server's endpoint) that fails when told to. */
export async function failingProxy(target: string): Promise<FailingProxy> {
  const to = new URL(target);
  const proxy: FailingProxy = {
    endpoint: "",
    failParts: false,
    down: false,
    openUploads: [],
    seen: [],
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((request, response) => {
    proxy.seen.push(`${request.method} ${request.url}`);
    if (proxy.down) {
      request.resume();
      response.writeHead(503, { "content-type": "application/xml" }).end("<Error><Code>ServiceUnavailable</Code><Message>down</Message></Error>");
      return;
    }
    const url = new URL(request.url ?? "/", "http://x");
    if (request.method === "GET" && url.searchParams.has("uploads")) {
      request.resume();
      const prefix = url.searchParams.get("prefix") ?? "";
      const uploads = proxy.openUploads
        .filter((upload) => upload.key.startsWith(prefix))
        .map((upload) => `<Upload><Key>${upload.key}</Key><UploadId>${upload.uploadId}</UploadId><Initiated>${upload.initiated.toISOString()}</Initiated></Upload>`);
      response
        .writeHead(200, { "content-type": "application/xml" })
        .end(`<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult><Bucket>${TEST_BUCKET}</Bucket><Prefix>${prefix}</Prefix><IsTruncated>false</IsTruncated>${uploads.join("")}</ListMultipartUploadsResult>`);
      return;
    }
    const listed = proxy.openUploads.find((upload) => upload.uploadId === url.searchParams.get("uploadId"));
    if (request.method === "DELETE" && listed) {
      request.resume();
      if (listed.gone) {
        response
          .writeHead(404, { "content-type": "application/xml" })
          .end("<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>");
      } else {
        response.writeHead(204).end();
      }
      return;
    }
    const part = Number(url.searchParams.get("partNumber") ?? 0);
    if (proxy.failParts && request.method === "PUT" && part >= 2) {
      let received = 0;
      request.on("data", (data: Buffer) => {
        received += data.length;
        if (received > 64 * 1024) request.socket.destroy();
      });
      request.on("end", () => request.socket.destroy());
      return;
    }
    const forward = http.request(
      { host: to.hostname, port: to.port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forward.on("error", () => response.destroy());
    request.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
