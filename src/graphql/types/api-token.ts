import type { ApiToken as ApiTokenRow } from "../../db/generated/prisma/client.js";
import { createApiToken, revokeApiToken } from "../../domain/auth.js";
import { mayReadToken } from "../../domain/principal.js";
import { builder } from "../builder.js";
import { ForbiddenError, NotFoundError, ValidationError } from "../../domain/errors.js";
import { mutationErrors } from "../errors.js";
import { User } from "./user.js";
import { joinedOr } from "../loaders.js";
import { WorkerNode } from "./worker-node.js";

export const ApiToken = builder.prismaNode("ApiToken", {
  description:
    "A bearer token of a user or a worker node. Its secret is shown once, when it is created; only a hash is kept. Visible to its owner and to admins.",
  id: { field: "id" },
  // node(id) and nodes(ids) answer null for an ID that names no row, as Relay clients expect.
  nullable: true,
  // Checked before each field of each token (see row-auth.ts), through node(id) and every field that leads to tokens.
  visibleTo: (token, ctx) => mayReadToken(ctx.viewer, token),
  fields: (t) => ({
    name: t.exposeString("name", { description: "What the token is for." }),
    prefix: t.exposeString("prefix", { description: "The first characters of the secret, to tell tokens apart." }),
    user: t.field({
      type: User,
      nullable: true,
      description: "The user the token belongs to, if a user's.",
      resolve: (token, _args, ctx) => joinedOr(token, "user", () => (token.userId ? ctx.loaders.user.load(token.userId) : null)),
    }),
    node: t.field({
      type: WorkerNode,
      nullable: true,
      description: "The worker node the token belongs to, if a node's.",
      resolve: (token, _args, ctx) => joinedOr(token, "node", () => (token.nodeId ? ctx.loaders.workerNode.load(token.nodeId) : null)),
    }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true, description: "When the token stops working; null: never." }),
    lastUsedAt: t.expose("lastUsedAt", {
      type: "DateTime",
      nullable: true,
      description: "When the token was last used (recorded at most once a minute).",
    }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true, description: "When the token was revoked, if it was." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the token was created." }),
    active: t.boolean({
      description: "Whether the token works now: neither revoked nor expired.",
      resolve: (token) => !token.revokedAt && (!token.expiresAt || token.expiresAt > new Date()),
    }),
  }),
});

const CreateApiTokenInput = builder.inputType("CreateApiTokenInput", {
  description: "A new token for a user.",
  fields: (t) => ({
    user: t.globalID({ required: true, for: [User], description: "The user the token acts as." }),
    name: t.string({ required: true, description: "What the token is for, up to 200 characters." }),
    expiresAt: t.field({ type: "DateTime", required: false, description: "When it stops working; never if omitted." }),
  }),
});

const CreateApiTokenPayload = builder
  .objectRef<{ token: ApiTokenRow; secret: string }>("CreateApiTokenPayload")
  .implement({
    description: "The token created, and its secret.",
    fields: (t) => ({
      token: t.field({ type: ApiToken, description: "The new token.", resolve: (p) => p.token }),
      secret: t.exposeString("secret", {
        description: "The secret to send as `Authorization: Bearer <secret>`. Shown only now: store it safely.",
      }),
    }),
  });

const RevokeApiTokenPayload = builder.objectRef<{ token: ApiTokenRow }>("RevokeApiTokenPayload").implement({
  description: "The token revoked.",
  fields: (t) => ({ token: t.field({ type: ApiToken, description: "The revoked token.", resolve: (p) => p.token }) }),
});

builder.mutationFields((t) => ({
  createApiToken: t.field({
    type: CreateApiTokenPayload,
    description: "Creates a token for a user and returns its secret, once. Admins only.",
    args: { input: t.arg({ type: CreateApiTokenInput, required: true, description: "The token." }) },
    errors: mutationErrors("createApiToken", [ForbiddenError, ValidationError, NotFoundError]),
    resolve: (_root, { input }, ctx) =>
      createApiToken(ctx.db, ctx.viewer, { userId: input.user.id, name: input.name, expiresAt: input.expiresAt }),
  }),
  revokeApiToken: t.field({
    type: RevokeApiTokenPayload,
    description: "Revokes a token: it stops working at once. Revoking a revoked token changes nothing. Admins only.",
    args: { id: t.arg.globalID({ required: true, for: [ApiToken], description: "The token's global ID." }) },
    errors: mutationErrors("revokeApiToken", [ForbiddenError, ValidationError, NotFoundError]),
    resolve: async (_root, { id }, ctx) => ({ token: await revokeApiToken(ctx.db, ctx.viewer, id.id) }),
  }),
}));
