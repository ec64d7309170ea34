// Who is calling: a user (with a role) or a worker node, identified by the token it presented.
import type { UserRole } from "../db/generated/prisma/enums.js";

export type UserPrincipal = { kind: "USER"; userId: string; name: string; role: UserRole; tokenId: string };
export type NodePrincipal = { kind: "NODE"; nodeId: string; name: string; tokenId: string };
export type Principal = UserPrincipal | NodePrincipal;

export function isAdmin(principal: Principal | null): boolean {
  return principal?.kind === "USER" && principal.role === "ADMIN";
}
