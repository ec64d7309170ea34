// The example deployment (deploy/compose/): no container runs here, so the suite checks what can
// go wrong in it without one. Every gateway's environment, as Compose would interpolate it from
// .env, is a configuration jobgraph starts with; every address in it names a service of the file
// at the port that service listens on; every file the services mount exists; the balancer spreads
// over every gateway; and PgBouncer's configuration, run by the real PgBouncer with only its
// addresses changed, pools a gateway's statements in transaction mode.
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../../src/config.js";
import { projectRoot } from "../../src/db/migrate.js";
import { POSTGRES_USER } from "../../src/db/postgres-placement.js";
import { createTestDatabase } from "../helpers/db.js";
import { havePgBouncer, pgbouncerPath } from "../helpers/pgbouncer.js";
import { freePort } from "../helpers/server-process.js";

const folder = path.join(projectRoot, "deploy", "compose");
const read = (file: string) => readFileSync(path.join(folder, file), "utf8");

type Service = {
  image?: string;
  build?: { context: string };
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown> | string[];
  volumes?: string[];
  ports?: string[];
  entrypoint?: string[];
  command?: string[];
};

/** The variables .env.example lists, each given a value as a user would. */
const dotenv = Object.fromEntries(
  read(".env.example")
    .split("\n")
    .filter((line) => /^[A-Z][A-Z0-9_]*=/.test(line))
    .map((line) => {
      const name = line.split("=")[0]!;
      return [name, name === "JOBGRAPH_ADMIN_TOKEN" ? "an-admin-token-of-enough-characters" : `${name.toLowerCase()}-value`];
    }),
);

/** Compose's interpolation: ${NAME}, ${NAME:?message} and ${NAME:-default}, and $$ for a dollar. */
function interpolate(text: string, values: Record<string, string>, used: Set<string>): string {
  return text
    .replace(/\$\{([A-Z_][A-Z0-9_]*)(?::([?-])([^}]*))?\}/g, (_all, name: string, kind?: string, rest?: string) => {
      used.add(name);
      if (values[name] !== undefined && values[name] !== "") return values[name]!;
      if (kind === "?") throw new Error(`${name} is unset: ${rest}`);
      return kind === "-" ? (rest ?? "") : "";
    })
    .replace(/\$\$/g, "$");
}

const used = new Set<string>();
const compose = parse(interpolate(read("compose.yaml"), dotenv, used), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;
const gateways = Object.entries(services).filter(([, service]) => service.build);

/** host:port of a URL, as the gateways reach a service. */
const address = (url: string) => {
  const u = new URL(url);
  return `${u.hostname}:${u.port}`;
};

/** PgBouncer's configuration, by section and key. */
function ini(text: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = {};
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith(";") || line.startsWith("#")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      sections[section] = {};
      continue;
    }
    const [key, ...value] = line.split("=");
    sections[section]![key!.trim()] = value.join("=").trim();
  }
  return sections;
}

const bouncer = ini(read("pgbouncer/pgbouncer.ini"));

describe("the example deployment (deploy/compose)", () => {
  it("asks .env for exactly the variables .env.example lists, and refuses to start without them", () => {
    expect([...used].sort()).toEqual(Object.keys(dotenv).sort());
    expect(() => interpolate(read("compose.yaml"), {}, new Set())).toThrow(/set POSTGRES_PASSWORD in \.env/);
  });

  it("has a primary, a replica, PgBouncer, a bucket, three gateways built from the project's Dockerfile, and a balancer", () => {
    expect(gateways.map(([name]) => name)).toEqual(["gateway-1", "gateway-2", "gateway-3"]);
    for (const [, gateway] of gateways) {
      expect(path.resolve(folder, gateway.build!.context)).toBe(projectRoot);
      expect(existsSync(path.join(projectRoot, "Dockerfile"))).toBe(true);
    }
    expect(services.postgres!.image).toMatch(/^postgres:/);
    expect(services.replica!.image).toBe(services.postgres!.image);
    expect(services.pgbouncer!.image).toMatch(/pgbouncer/);
    expect(services.minio!.image).toMatch(/minio/);
    expect(services.balancer!.ports).toEqual(["4000:80"]);
  });

  it("gives every gateway settings jobgraph starts with, whose addresses are the services' own", () => {
    const bucket = /mc mb --ignore-existing store\/([\w.-]+)/.exec(services.bucket!.entrypoint!.join(" "))?.[1];
    expect(bucket).toBeDefined();
    for (const [, gateway] of gateways) {
      const config = loadConfig(gateway.environment);
      expect(config.production).toBe(true);
      expect(address(config.databaseUrl!)).toBe(`pgbouncer:${bouncer.pgbouncer!.listen_port}`);
      expect(address(config.directDatabaseUrl!)).toBe("postgres:5432");
      expect(config.replicas!.urls.map(address)).toEqual(["replica:5432"]);
      expect(config.outputStore).toMatchObject({ kind: "s3", bucket, endpoint: "http://minio:9000", forcePathStyle: true });
      expect(config.adminToken).toBe(dotenv.JOBGRAPH_ADMIN_TOKEN);
      // Every gateway logs in as the user the primary is made with, with its password.
      for (const url of [config.databaseUrl!, config.directDatabaseUrl!, ...config.replicas!.urls]) {
        expect(new URL(url).username).toBe(services.postgres!.environment!.POSTGRES_USER);
        expect(decodeURIComponent(new URL(url).password)).toBe(services.postgres!.environment!.POSTGRES_PASSWORD);
        expect(new URL(url).pathname).toBe(`/${services.postgres!.environment!.POSTGRES_DB}`);
      }
      expect(gateway.environment!.AWS_SECRET_ACCESS_KEY).toBe(services.minio!.environment!.MINIO_ROOT_PASSWORD);
      expect(gateway.environment!.AWS_ACCESS_KEY_ID).toBe(services.minio!.environment!.MINIO_ROOT_USER);
    }
    // One instance handles the schedules.
    expect(gateways.map(([, gateway]) => loadConfig(gateway.environment).scheduleIntervalMs > 0)).toEqual([true, false, false]);
  });

  it("names only services it has, and mounts only files it has", () => {
    for (const [name, service] of Object.entries(services)) {
      const dependencies = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
      for (const dependency of dependencies) expect(Object.keys(services), `${name} depends on ${dependency}`).toContain(dependency);
      for (const volume of service.volumes ?? []) {
        const [source] = volume.split(":");
        if (source!.startsWith(".")) expect(existsSync(path.join(folder, source!)), `${name} mounts ${source}`).toBe(true);
        else expect(Object.keys(compose.volumes), `${name} mounts the volume ${source}`).toContain(source);
      }
    }
    expect(bouncer.databases!.jobgraph).toBe("host=postgres port=5432 dbname=jobgraph");
    expect(bouncer.pgbouncer!.pool_mode).toBe("transaction");
    // The replica's base backup is of the primary service, as the user the gateways log in as.
    expect(read("replica/start.sh")).toMatch(/pg_basebackup -h postgres -U jobgraph .*-R/);
    expect(read("postgres/pg_hba.conf")).toMatch(/^host\s+replication\s+jobgraph\s+all\s+scram-sha-256$/m);
  });

  it("spreads the balancer's requests over every gateway, WebSockets included", () => {
    const nginx = read("nginx/nginx.conf");
    const upstream = [...nginx.matchAll(/^\s*server (gateway-\d+):(\d+);$/gm)].map((m) => `${m[1]}:${m[2]}`);
    expect(upstream).toEqual(gateways.map(([name, gateway]) => `${name}:${gateway.environment!.PORT}`));
    expect(nginx).toContain("proxy_set_header Upgrade $http_upgrade;");
  });

  describe.skipIf(!havePgBouncer)("PgBouncer's configuration, run by PgBouncer", () => {
    const cleanups: Array<() => unknown> = [];
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    it("pools a gateway's statements in transaction mode, logging in with the password from the environment", async () => {
      const database = await createTestDatabase();
      const server = new URL(database.directUrl);
      const scratch = mkdtempSync(path.join(os.tmpdir(), "jobgraph-compose-"));
      chmodSync(scratch, 0o755);
      cleanups.push(() => rmSync(scratch, { recursive: true, force: true }));
      const port = await freePort();
      // The file as it is, with only what differs here changed: where PostgreSQL and the auth file are, the port.
      const dbName = server.pathname.slice(1);
      const text = read("pgbouncer/pgbouncer.ini")
        .replace("jobgraph = host=postgres port=5432 dbname=jobgraph", `jobgraph = host=${server.hostname} port=${server.port} dbname=${dbName}`)
        .replace("listen_addr = 0.0.0.0", "listen_addr = 127.0.0.1")
        .replace("listen_port = 6432", `listen_port = ${port}`)
        .replace("auth_file = /tmp/userlist.txt", `auth_file = ${path.join(scratch, "userlist.txt")}`);
      writeFileSync(path.join(scratch, "pgbouncer.ini"), text, { mode: 0o644 });
      // As the service's entrypoint writes it, for the user the gateways log in as.
      writeFileSync(path.join(scratch, "userlist.txt"), `"${decodeURIComponent(server.username)}" "${decodeURIComponent(server.password)}"\n`, { mode: 0o644 });
      const args = process.getuid?.() === 0 ? ["-u", POSTGRES_USER, path.join(scratch, "pgbouncer.ini")] : [path.join(scratch, "pgbouncer.ini")];
      const child = spawn(pgbouncerPath, args, { stdio: ["ignore", "ignore", "pipe"] });
      let output = "";
      child.stderr.on("data", (chunk: Buffer) => (output += chunk));
      cleanups.push(() => child.kill("SIGKILL"));
      const url = `postgresql://${server.username}:${server.password}@127.0.0.1:${port}/jobgraph`;
      let client: pg.Client | undefined;
      for (let i = 0; i < 100 && !client; i++) {
        const attempt = new pg.Client({ connectionString: url });
        attempt.on("error", () => undefined);
        try {
          await attempt.connect();
          client = attempt;
        } catch {
          await attempt.end().catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      expect(client, output).toBeDefined();
      try {
        const { rows } = await client!.query("select current_database() as name");
        expect(rows[0].name).toBe(dbName);
        const mode = await client!.query("show transaction_isolation");
        expect(mode.rows).toHaveLength(1);
      } finally {
        await client!.end();
      }
      const admin = new pg.Client({ connectionString: `postgresql://${server.username}:${server.password}@127.0.0.1:${port}/pgbouncer` });
      admin.on("error", () => undefined);
      // The pooler's own console is for its admin users alone; what counts here is the mode it reports.
      await admin.connect().then(
        async () => {
          const pools = await admin.query("show pools");
          expect(pools.rows.find((row) => row.database === "jobgraph")?.pool_mode).toBe("transaction");
          await admin.end();
        },
        () => expect(text).toMatch(/^pool_mode = transaction$/m),
      );
    }, 60_000);
  });
});
