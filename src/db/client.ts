// The Prisma client over node-postgres. Prisma's query compiler runs as WebAssembly (engineType
// "client"), so no native engine is downloaded or loaded.
import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";
import { PrismaClient } from "./generated/prisma/client.js";

export type Db = PrismaClient;

export type DbOptions = {
  url: string;
  poolSize?: number;
  /** A pg.Client subclass, e.g. one that counts statements in tests. */
  Client?: typeof pg.Client;
};

export function createDb({ url, poolSize = 10, Client }: DbOptions): Db {
  const adapter = new PrismaPg({
    connectionString: url,
    max: poolSize,
    // A refused connection should fail a request quickly, not hang it.
    connectionTimeoutMillis: 5_000,
    ...(Client ? { Client } : {}),
  });
  return new PrismaClient({ adapter });
}
