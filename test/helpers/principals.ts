// Callers for tests: users of each role and worker nodes, each with a working token.
import { randomBytes } from "node:crypto";
import type { Db } from "../../src/db/client.js";
import type { UserRole } from "../../src/db/generated/prisma/enums.js";
import { hashSecret, newSecret } from "../../src/domain/auth.js";

export type TestUser = { kind: "USER"; id: string; name: string; secret: string; tokenId: string };
export type TestNode = { kind: "NODE"; id: string; name: string; secret: string; tokenId: string };

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString("hex")}`;

export async function createTestUser(db: Db, role: UserRole = "USER", name = unique(role.toLowerCase())): Promise<TestUser> {
  const secret = newSecret("USER");
  const user = await db.user.create({
    data: { name, role, tokens: { create: { name: "test", prefix: secret.slice(0, 12), hash: hashSecret(secret) } } },
    include: { tokens: true },
  });
  return { kind: "USER", id: user.id, name, secret, tokenId: user.tokens[0]!.id };
}

export async function createTestNode(db: Db, name = unique("node")): Promise<TestNode> {
  const secret = newSecret("NODE");
  const node = await db.workerNode.create({
    data: { name, tokens: { create: { name: "test", prefix: secret.slice(0, 12), hash: hashSecret(secret) } } },
    include: { tokens: true },
  });
  return { kind: "NODE", id: node.id, name, secret, tokenId: node.tokens[0]!.id };
}
