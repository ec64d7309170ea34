// Identity: API tokens, the principals they stand for, and the management of users, tokens and
// worker nodes. A token is a random secret shown once; only its SHA-256 is stored.
import { createHash, randomBytes } from "node:crypto";
import { isUniqueViolation, type Db } from "../db/client.js";
import { queryRows } from "../db/rows.js";
import type { ApiToken, User } from "../db/generated/prisma/client.js";
import { countRows, pageOfRows, rowsById, sortKey, type FirstRows, type Joins, type Page, type RowCount, type RowFirsts, type RowList } from "./job-reads.js";
import type { UserRole } from "../db/generated/prisma/enums.js";
import { ForbiddenError, NotFoundError, ValidationError, type FieldError } from "./errors.js";
import { isAdmin, type Principal } from "./principal.js";
import { checkRequiredLabels } from "./labels.js";
import { MAX_NOTE_CHARS, refuseUnstorableText } from "./text.js";

/** Secrets start with a prefix saying whose they are, so a leaked one is easy to recognise. */
const SECRET_PREFIX = { USER: "jgu_", NODE: "jgn_" } as const;
/** How much of a secret is kept in clear, to tell tokens apart in lists. */
const VISIBLE_CHARACTERS = 12;
/** last_used_at (and a node's last_seen_at) are written at most this often per token. */
const TOUCH_INTERVAL_SECONDS = 60;

export function newSecret(kind: keyof typeof SECRET_PREFIX): string {
  return SECRET_PREFIX[kind] + randomBytes(32).toString("base64url");
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

function visiblePrefix(secret: string): string {
  return secret.slice(0, VISIBLE_CHARACTERS);
}

/** Reads `Bearer <secret>` from an Authorization header (case-insensitive scheme). */
export function bearerSecret(authorization: string | null | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  return match ? match[1]! : null;
}

type TokenRow = {
  token_id: string;
  stale: boolean;
  expires_at: Date | null;
  user_id: string | null;
  user_name: string | null;
  role: UserRole | null;
  node_id: string | null;
  node_name: string | null;
};

async function lookUp(db: Db, hash: string): Promise<{ principal: Principal; expiresAt: Date | null } | null> {
  // Every request runs this, so it skips Prisma's query layer (a prepared statement over the pool).
  const rows = await queryRows<TokenRow>(
    db,
    `/* authenticate */
     select t.id as token_id,
            t.last_used_at is null or t.last_used_at < now() - make_interval(secs => $2::int) as stale,
            t.expires_at,
            u.id as user_id, u.name as user_name, u.role::text as role,
            n.id as node_id, n.name as node_name
       from api_tokens t
       left join users u on u.id = t.user_id
       left join worker_nodes n on n.id = t.node_id
      where t.hash = $1::text
        and t.revoked_at is null
        and (t.expires_at is null or t.expires_at > now())
        and (t.user_id is null or u.disabled_at is null)`,
    [hash, TOUCH_INTERVAL_SECONDS],
    true,
  );
  const row = rows[0];
  if (!row) return null;
  if (row.stale) await touch(db, row.token_id);
  const principal: Principal = row.user_id
    ? { kind: "USER", userId: row.user_id, name: row.user_name!, role: row.role!, tokenId: row.token_id }
    : { kind: "NODE", nodeId: row.node_id!, name: row.node_name!, tokenId: row.token_id };
  return { principal, expiresAt: row.expires_at };
}

/**
 * The principal a secret stands for, or null when the secret is unknown, expired, revoked or
 * belongs to a disabled user: callers refuse all of these alike, without saying which.
 */
export async function authenticate(db: Db, secret: string | null): Promise<Principal | null> {
  return secret ? ((await lookUp(db, hashSecret(secret)))?.principal ?? null) : null;
}

/** Where a revocation is announced, so that every instance forgets the principals it remembers. */
export const TOKENS_CHANGED_CHANNEL = "jobgraph_tokens";

// Bumped by every revocation in this process and by every announcement from another instance;
// a principal remembered under an older generation is looked up again.
let tokenGeneration = 0;

// Told of every revocation this process makes or hears of (see onTokensChanged).
const tokenListeners = new Set<() => void>();

/** Forgets every principal remembered in this process, and tells whoever listens for revocations. */
export function forgetPrincipals(): void {
  tokenGeneration++;
  for (const listener of tokenListeners) listener();
}

/**
 * Calls `listener` after each revocation this process makes or hears announced (which may be of
 * any token); returns what stops it.
 */
export function onTokensChanged(listener: () => void): () => void {
  tokenListeners.add(listener);
  return () => tokenListeners.delete(listener);
}

/**
 * Of `tokenIds`, those that still authenticate (as lookUp finds them: not revoked, expired nor
 * deleted, and not of a disabled user), each with its user's role (null for a node's token).
 */
export async function tokensStillValid(db: Db, tokenIds: readonly string[]): Promise<Map<string, string | null>> {
  const rows = await queryRows<{ id: string; role: string | null }>(
    db,
    `/* tokensStillValid */
     select t.id, u.role::text as role
       from api_tokens t
       left join users u on u.id = t.user_id
      where t.id = any($1::uuid[])
        and t.revoked_at is null
        and (t.expires_at is null or t.expires_at > now())
        and (t.user_id is null or u.disabled_at is null)`,
    [tokenIds],
    true,
  );
  return new Map(rows.map((row) => [row.id, row.role]));
}

/** How many tokens an Authenticator remembers at most; past it, it starts again from none. */
const REMEMBERED_TOKENS = 10_000;

/**
 * authenticate(), remembering each valid token's principal for up to `ttlSeconds` (never past the
 * token's expiry), so that a worker's stream of mutations does not look its token up every time.
 * A revocation through the API is seen at once by this process and, through a NOTIFY on
 * TOKENS_CHANGED_CHANNEL that each instance's event listener hears, by the others; a change made
 * in the database by hand (a user disabled, a token deleted) is seen within `ttlSeconds`.
 * 0 remembers nothing; nor does it remember while `hearsAnnouncements()` says no announcement
 * would reach it.
 */
export class Authenticator {
  readonly #db: Db;
  readonly #ttlMs: number;
  readonly #hearsAnnouncements: () => boolean;
  readonly #remembered = new Map<string, { principal: Principal; until: number; generation: number }>();

  constructor(db: Db, ttlSeconds: number, hearsAnnouncements: () => boolean) {
    this.#db = db;
    this.#ttlMs = ttlSeconds * 1000;
    this.#hearsAnnouncements = hearsAnnouncements;
  }

  async authenticate(secret: string | null): Promise<Principal | null> {
    if (!secret) return null;
    if (this.#ttlMs <= 0 || !this.#hearsAnnouncements()) return authenticate(this.#db, secret);
    const hash = hashSecret(secret);
    const now = Date.now();
    const known = this.#remembered.get(hash);
    if (known && known.generation === tokenGeneration && known.until > now) return known.principal;
    // Taken before the look-up: a revocation while it runs leaves what it finds already outdated.
    const generation = tokenGeneration;
    const found = await lookUp(this.#db, hash);
    if (!found) {
      this.#remembered.delete(hash);
      return null;
    }
    if (this.#remembered.size >= REMEMBERED_TOKENS) this.#remembered.clear();
    const until = Math.min(now + this.#ttlMs, found.expiresAt?.getTime() ?? Infinity);
    this.#remembered.set(hash, { principal: found.principal, until, generation });
    return found.principal;
  }
}

/** Records that a token (and its node) was used. Called at most about once a minute per token. */
async function touch(db: Db, tokenId: string): Promise<void> {
  await db.$executeRaw`
    /* touchToken */
    with used as (update api_tokens set last_used_at = now() where id = ${tokenId}::uuid returning node_id)
    update worker_nodes set last_seen_at = now() where id = (select node_id from used)`.catch(() => {
    // Bookkeeping only: a failure here must not fail the request it rides on.
  });
}

function requireAdmin(actor: Principal | null, what: string): void {
  if (!isAdmin(actor)) throw new ForbiddenError(`only an admin may ${what}`);
}

// Names are shown in lists and logs: printable, trimmed, not empty.
const CONTROL_CHARACTERS = /\p{Cc}/u;

function checkName(value: string, path: string[], max: number, errors: FieldError[]): string {
  const name = value.trim();
  if (!name) errors.push({ path, message: "must not be empty" });
  else if (name.length > max) errors.push({ path, message: `must be at most ${max} characters` });
  else if (CONTROL_CHARACTERS.test(name)) errors.push({ path, message: "must not contain control characters" });
  return name;
}

function checkExpiry(expiresAt: Date | null | undefined, errors: FieldError[]): void {
  if (expiresAt && expiresAt.getTime() <= Date.now()) errors.push({ path: ["expiresAt"], message: "must be in the future" });
}

function throwIfAny(errors: FieldError[]): void {
  if (errors.length) throw new ValidationError("the input is not valid", errors);
}

export type NewUser = { name: string; email?: string | null; role?: UserRole | null };

/** Creates a user. Admins only. */
export async function createUser(db: Db, actor: Principal | null, input: NewUser) {
  requireAdmin(actor, "create users");
  refuseUnstorableText(input);
  const errors: FieldError[] = [];
  const name = checkName(input.name, ["name"], 200, errors);
  const email = input.email?.trim() || null;
  if (email && (email.length > 320 || !/^[^\s@]+@[^\s@]+$/.test(email))) {
    errors.push({ path: ["email"], message: "must be an email address" });
  }
  throwIfAny(errors);
  try {
    return await db.user.create({ data: { name, email, role: input.role ?? "USER" } });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ValidationError("a user with this name or email exists", [
        { path: ["name"], message: "must be unique, as must email" },
      ]);
    }
    throw error;
  }
}

export type NewToken = { userId: string; name: string; expiresAt?: Date | null };

/** Creates a token for a user and returns it with its secret, which is never shown again. Admins only. */
export async function createApiToken(db: Db, actor: Principal | null, input: NewToken) {
  requireAdmin(actor, "create tokens");
  refuseUnstorableText(input);
  const errors: FieldError[] = [];
  const name = checkName(input.name, ["name"], 200, errors);
  checkExpiry(input.expiresAt, errors);
  throwIfAny(errors);
  const user = await db.user.findUnique({ where: { id: input.userId }, select: { id: true } });
  if (!user) throw new NotFoundError("user", input.userId);
  const secret = newSecret("USER");
  const token = await db.apiToken.create({
    data: { name, userId: user.id, prefix: visiblePrefix(secret), hash: hashSecret(secret), expiresAt: input.expiresAt ?? null },
  });
  return { token, secret };
}

/** Revokes a token at once; revoking a revoked token changes nothing. Admins only. */
export async function revokeApiToken(db: Db, actor: Principal | null, tokenId: string) {
  requireAdmin(actor, "revoke tokens");
  const [revoked] = await db.$queryRaw<{ id: string }[]>`
    /* revokeApiToken */
    update api_tokens set revoked_at = coalesce(revoked_at, now()) where id = ${tokenId}::uuid returning id`;
  if (!revoked) throw new NotFoundError("token", tokenId);
  forgetPrincipals();
  // After the revocation committed (NOTIFY inside its transaction would serialise commits).
  await db.$executeRaw`/* tokensChanged */ select pg_notify(${TOKENS_CHANGED_CHANNEL}::text, '')`;
  return db.apiToken.findUniqueOrThrow({ where: { id: revoked.id } });
}

export type NewWorkerNode = {
  name: string;
  description?: string | null;
  executors?: string[] | null;
  cpu?: number | null;
  memory?: number | null;
  labels?: Record<string, string> | null;
};

/** Registers a worker node and creates its token; returns both, with the secret shown this once. Admins only. */
export async function registerWorkerNode(db: Db, actor: Principal | null, input: NewWorkerNode) {
  requireAdmin(actor, "register worker nodes");
  refuseUnstorableText(input);
  const errors: FieldError[] = [];
  const name = checkName(input.name, ["name"], 200, errors);
  for (const [field, value] of [["cpu", input.cpu], ["memory", input.memory]] as const) {
    if (value != null && value < 1) errors.push({ path: [field], message: "must be at least 1" });
  }
  (input.executors ?? []).forEach((executor, i) => checkName(executor, ["executors", String(i)], 200, errors));
  if ((input.description?.length ?? 0) > MAX_NOTE_CHARS) errors.push({ path: ["description"], message: `must be at most ${MAX_NOTE_CHARS} characters` });
  // What a job may require of a node, a node may carry: as many labels, as short.
  if (input.labels != null) errors.push(...checkRequiredLabels(input.labels, ["labels"]));
  throwIfAny(errors);
  const secret = newSecret("NODE");
  try {
    return await db.$transaction(async (tx) => {
      const node = await tx.workerNode.create({
        data: {
          name,
          description: input.description ?? null,
          executors: (input.executors ?? []).map((e) => e.trim()),
          cpu: input.cpu ?? null,
          memory: input.memory ?? null,
          labels: input.labels ?? {},
        },
      });
      const token = await tx.apiToken.create({
        data: { name: `${name} node token`, nodeId: node.id, prefix: visiblePrefix(secret), hash: hashSecret(secret) },
      });
      return { node, token, secret };
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ValidationError("a worker node with this name exists", [{ path: ["name"], message: "must be unique" }]);
    }
    throw error;
  }
}

/**
 * Makes `secret` a valid token of the admin user `admin` (created if missing), whatever state an
 * earlier start left it in. Used at start-up for JOBGRAPH_ADMIN_TOKEN and the development token.
 */
export async function ensureAdminToken(db: Db, secret: string, tokenName: string): Promise<void> {
  await db.$transaction(async (tx) => {
    const admin = await tx.user.upsert({
      where: { name: "admin" },
      create: { name: "admin", role: "ADMIN" },
      update: { role: "ADMIN", disabledAt: null },
    });
    await tx.apiToken.upsert({
      where: { hash: hashSecret(secret) },
      create: { name: tokenName, userId: admin.id, prefix: visiblePrefix(secret), hash: hashSecret(secret) },
      update: { userId: admin.id, nodeId: null, revokedAt: null, expiresAt: null },
    });
  });
}

/** Whether some enabled admin holds a token that works: otherwise nobody can manage the gateway through its API. */
export async function adminCanSignIn(db: Db): Promise<boolean> {
  const found = await db.apiToken.findFirst({
    where: { revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }], user: { role: "ADMIN", disabledAt: null } },
    select: { id: true },
  });
  return found !== null;
}

/** Which users to list; every condition given must hold. */
export type UserFilter = {
  /** Exactly this name (names are unique, so at most one user). */
  name?: string | null;
  /** Names that contain this, whatever the case. */
  nameContains?: string | null;
};

/** LIKE's wildcards and its escape character, taken literally in a substring match. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The users a filter matches, by name (names are unique). */
function userList(filter: UserFilter = {}): RowList {
  return {
    model: "User",
    table: "users",
    keys: [sortKey("name", true), sortKey("id", true)],
    conditions: (p, u) => [
      ...(filter.name != null ? [`${u}.name = ${p.add(filter.name)}::text`] : []),
      ...(filter.nameContains != null ? [`${u}.name ilike ${p.add(`%${likeLiteral(filter.nameContains)}%`)}`] : []),
    ],
  };
}

/**
 * A page of the users matching a filter, by name, and how many match when `counted` (see
 * pageOfRows). Admins only: the API refuses everyone else before calling this (a user's name, role
 * and existence are an admin's business).
 */
export function pageOfUsers(db: Db, filter: UserFilter | undefined, page: Page, counted: boolean, counts: ReadonlyArray<RowCount<"User">> = [], firsts?: RowFirsts<"User">) {
  return pageOfRows<User & { tokenCount?: number; firstTokens?: FirstRows<ApiToken> }>(db, userList(filter), page, counted, counts, undefined, firsts);
}

/** How many users match a filter. Admins only, as pageOfUsers. */
export function countUsers(db: Db, filter?: UserFilter): Promise<number> {
  return countRows(db, userList(filter));
}

/** Users by id, in no particular order (a missing one left out): the creators of a page of jobs, in one statement. */
export function usersByIds(db: Db, ids: readonly string[]): Promise<User[]> {
  return rowsById<User>(db, "User", "users", ids);
}

/** API tokens by id, in no particular order, in one statement, with the rows `joins` names (see rowsById). */
export function tokensByIds(db: Db, ids: readonly string[], joins?: Joins): Promise<ApiToken[]> {
  return rowsById<ApiToken>(db, "ApiToken", "api_tokens", ids, "", joins);
}
