import type { UserFilter as UserFilterValue } from "../../domain/auth.js";
import { builder } from "../builder.js";
import { checkSearch } from "../input-guard.js";

export const UserFilter = builder.inputType("UserFilter", {
  description: "Which users to list. Every condition given must hold.",
  fields: (t) => ({
    name: t.string({ required: false, description: "Exactly this name (names are unique, so at most one user)." }),
    nameContains: t.string({ required: false, description: "Names that contain this text, whatever the case; at most 1000 characters." }),
  }),
});

export function toUserFilter(input: typeof UserFilter.$inferInput | null | undefined): UserFilterValue {
  checkSearch(input?.nameContains, "nameContains");
  return { name: input?.name, nameContains: input?.nameContains };
}
