import type { ApiToken, User as UserRow } from "../../db/generated/prisma/client.js";
import { CURSOR_FIELDS, type FirstRows } from "../../domain/job-reads.js";
import { countUsers, createUser, pageOfUsers } from "../../domain/auth.js";
import { mayReadUserData } from "../../domain/principal.js";
import { builder } from "../builder.js";
import { ApiTokenConnection, EDGE_NODE, listConnection, tokenPages, UserConnection, userPages } from "../connections.js";
import { firstPagesSelected, listCountsSelected } from "../selection.js";
import { ApiTokenRef } from "../model-refs.js";
import { connectionOf, countOnly, firstRows, needsRows, pageFromQuery } from "../pages.js";
import { ForbiddenError, ValidationError } from "../../domain/errors.js";
import { mutationErrors } from "../errors.js";
import { UserRoleEnum } from "./enums.js";
import { toUserFilter, UserFilter } from "./user-filter.js";

export const User = builder.prismaNode("User", {
  description: "A person, or a frontend acting for one.",
  id: { field: "id" },
  // node(id) and nodes(ids) answer null for an ID that names no row, as Relay clients expect.
  nullable: true,
  fields: (t) => ({
    name: t.exposeString("name", { description: "The user's unique name." }),
    email: t.exposeString("email", {
      nullable: true,
      description: "The user's email address; visible to the user and to admins.",
      visibleTo: (user, ctx) => mayReadUserData(ctx.viewer, user.id),
    }),
    role: t.expose("role", { type: UserRoleEnum, description: "What the user may do." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the user was created." }),
    tokens: t.connection(
      {
        type: ApiTokenRef,
        description: "The user's API tokens, newest first; visible to the user and to admins.",
        visibleTo: (user, ctx) => mayReadUserData(ctx.viewer, user.id),
        resolve: async (user, args, ctx, info) => {
          // Counted with the user when a page of users read it (see listCountsSelected).
          const counted = (user as { tokenCount?: number }).tokenCount;
          const count = () => counted ?? ctx.loaders.tokenCount.load(user.id);
          if (!needsRows(info)) return countOnly(count);
          const page = pageFromQuery(tokenPages.getQuery(args, ctx, () => true));
          return connectionOf(firstRows((user as { firstTokens?: FirstRows<ApiToken> }).firstTokens, info, page) ?? (await ctx.loaders.tokens(page).load(user.id)), args, page, count, CURSOR_FIELDS.ApiToken);
        },
      },
      ApiTokenConnection,
    ),
  }),
});

builder.queryFields((t) => ({
  users: t.connection(
    {
      type: User,
      nullable: true,
      description: "Users matching a filter, by name. Admins only: for anyone else it is null, with a FORBIDDEN error.",
      authScopes: { admin: true },
      args: { filter: t.arg({ type: UserFilter, required: false, description: "Which users." }) },
      resolve: (_root, args, ctx, info) => {
        const filter = toUserFilter(args.filter);
        const page = pageFromQuery(userPages.getQuery(args, ctx, () => true));
        const counts = listCountsSelected(info, EDGE_NODE, [["tokens", "tokens"]]);
        const firsts = firstPagesSelected(info, EDGE_NODE, "User", [["tokens", "ApiToken"]]);
        return listConnection(args, info, page, (p, counted) => pageOfUsers(ctx.db, filter, p, counted, counts, firsts), () => countUsers(ctx.db, filter), CURSOR_FIELDS.User);
      },
    },
    UserConnection,
  ),
}));

const CreateUserInput = builder.inputType("CreateUserInput", {
  description: "A new user.",
  fields: (t) => ({
    name: t.string({ required: true, description: "A unique name, up to 200 characters." }),
    email: t.string({ required: false, description: "An email address, unique if given." }),
    role: t.field({ type: UserRoleEnum, required: false, defaultValue: "USER", description: "USER unless given." }),
  }),
});

const CreateUserPayload = builder.objectRef<{ user: UserRow }>("CreateUserPayload").implement({
  description: "The user created.",
  fields: (t) => ({ user: t.field({ type: User, description: "The new user.", resolve: (p) => p.user }) }),
});

builder.mutationFields((t) => ({
  createUser: t.field({
    type: CreateUserPayload,
    description: "Creates a user. Admins only. Give the user a token with createApiToken.",
    args: { input: t.arg({ type: CreateUserInput, required: true, description: "The user." }) },
    errors: mutationErrors("createUser", [ForbiddenError, ValidationError]),
    resolve: async (_root, { input }, ctx) => ({ user: await createUser(ctx.db, ctx.viewer, input) }),
  }),
}));
