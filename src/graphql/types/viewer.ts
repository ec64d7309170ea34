import { getApiToken, getUser } from "../../domain/auth.js";
import { getWorkerNode } from "../../domain/nodes.js";
import { isAdmin, type Principal } from "../../domain/principal.js";
import { builder } from "../builder.js";
import { UserRoleEnum } from "./enums.js";

const PrincipalKindEnum = builder.enumType("PrincipalKind", {
  description: "What kind of caller a token stands for.",
  values: {
    USER: { description: "A person or a frontend acting for one." },
    NODE: { description: "A worker node." },
  } as const,
});

const Viewer = builder.objectRef<Principal>("Viewer").implement({
  description: "The caller, as identified by its token.",
  fields: (t) => ({
    kind: t.field({ type: PrincipalKindEnum, description: "A user or a worker node.", resolve: (p) => p.kind }),
    name: t.exposeString("name", { description: "The user's or the node's name." }),
    role: t.field({
      type: UserRoleEnum,
      nullable: true,
      description: "The user's role; null for a worker node.",
      resolve: (p) => (p.kind === "USER" ? p.role : null),
    }),
    isAdmin: t.boolean({ description: "Whether the caller may do everything.", resolve: (p) => isAdmin(p) }),
    user: t.prismaField({
      type: "User",
      nullable: true,
      description: "The user, when the caller is one.",
      resolve: (query, p, _args, ctx) =>
        p.kind === "USER" ? getUser(ctx.db, p.userId, query) : null,
    }),
    node: t.prismaField({
      type: "WorkerNode",
      nullable: true,
      description: "The worker node, when the caller is one.",
      resolve: (query, p, _args, ctx) =>
        p.kind === "NODE" ? getWorkerNode(ctx.db, p.nodeId, query) : null,
    }),
    token: t.prismaField({
      type: "ApiToken",
      nullable: true,
      description: "The token the caller presented.",
      resolve: (query, p, _args, ctx) => getApiToken(ctx.db, p.tokenId, query),
    }),
  }),
});

builder.queryFields((t) => ({
  viewer: t.field({
    type: Viewer,
    description: "Who the caller is: the user or worker node its token stands for.",
    resolve: (_root, _args, ctx) => ctx.viewer!,
  }),
}));
