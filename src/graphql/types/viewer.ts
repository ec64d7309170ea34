import { isAdmin, type Principal } from "../../domain/principal.js";
import { builder } from "../builder.js";
import { joinsSelected } from "../selection.js";
import { ApiToken } from "./api-token.js";
import { UserRoleEnum } from "./enums.js";
import { User } from "./user.js";
import { WorkerNode } from "./worker-node.js";

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
    user: t.field({
      type: User,
      nullable: true,
      description: "The user, when the caller is one.",
      resolve: (p, _args, ctx) => (p.kind === "USER" ? ctx.loaders.user.load(p.userId) : null),
    }),
    node: t.field({
      type: WorkerNode,
      nullable: true,
      description: "The worker node, when the caller is one.",
      resolve: (p, _args, ctx) => (p.kind === "NODE" ? ctx.loaders.workerNode.load(p.nodeId) : null),
    }),
    token: t.field({
      type: ApiToken,
      nullable: true,
      description: "The token the caller presented.",
      resolve: (p, _args, ctx, info) => ctx.loaders.token(joinsSelected("ApiToken", info)).load(p.tokenId),
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
