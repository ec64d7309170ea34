import { builder } from "../builder.js";
import { UserRoleEnum } from "./enums.js";

export const User = builder.prismaNode("User", {
  description: "A person, or a frontend acting for one.",
  id: { field: "id" },
  // node(id) and nodes(ids) answer null for an ID that names no row, as Relay clients expect.
  nullable: true,
  fields: (t) => ({
    name: t.exposeString("name", { description: "The user's unique name." }),
    email: t.exposeString("email", { nullable: true, description: "The user's email address." }),
    role: t.expose("role", { type: UserRoleEnum, description: "What the user may do." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the user was created." }),
  }),
});
