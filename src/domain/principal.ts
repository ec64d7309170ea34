// Who is calling: a user (with a role) or a worker node, identified by the token it presented.
import type { UserRole } from "../db/generated/prisma/enums.js";

export type UserPrincipal = { kind: "USER"; userId: string; name: string; role: UserRole; tokenId: string };
export type NodePrincipal = { kind: "NODE"; nodeId: string; name: string; tokenId: string };
export type Principal = UserPrincipal | NodePrincipal;

export function isAdmin(principal: Principal | null): boolean {
  return principal?.kind === "USER" && principal.role === "ADMIN";
}

/** Whether `principal` may read an API token: admins, and the user or worker node it belongs to. */
export function mayReadToken(principal: Principal | null, token: { userId: string | null; nodeId: string | null }): boolean {
  if (!principal) return false;
  if (principal.kind === "USER") return principal.role === "ADMIN" || principal.userId === token.userId;
  return principal.nodeId === token.nodeId;
}

/** Whether `principal` may read a user's own data (its email, its tokens): admins and that user. */
export function mayReadUserData(principal: Principal | null, userId: string): boolean {
  return principal?.kind === "USER" && (principal.role === "ADMIN" || principal.userId === userId);
}
