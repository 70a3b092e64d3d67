import { randomBytes } from "node:crypto";
import { sha256Hex } from "../codec/sha256.js";
import type { StoreContext, Tx } from "./context.js";

export type TokenKind = "user" | "pilot" | "workflow" | "site";

/** Who a request acts for, resolved from its bearer token. */
export interface Principal {
  userId: number;
  userName: string;
  admin: boolean;
  kind: TokenKind;
  /** For workflow-scoped tokens: the only workflow they may touch. */
  workflowId: number | null;
  /**
   * A site agent's token ("site"), or a pilot token issued to a site's pilots: the site, whose queues alone
   * it may serve. Null for every other token.
   */
  site: string | null;
  /** When the token stops being accepted; null: never. */
  expiresAt: number | null;
  /** The pilot key the request carried (x-pando-pilot-key): proves which pilot a pilot token acts as. */
  pilotKey?: string;
}

export function hashToken(token: string): string {
  return sha256Hex(token);
}

/** A token as listed: its name and owner, never the token itself. */
export interface TokenRecord {
  id: number;
  name: string;
  user: string;
  userId: number;
  kind: TokenKind;
  workflowId: number | null;
  site: string | null;
  createdAt: number;
  revokedAt: number | null;
  expiresAt: number | null;
}

/** What else a new token is: valid for one workflow, one site, and until when. */
export interface TokenScope {
  workflowId?: number | null;
  site?: string | null;
  expiresAt?: number | null;
}

/** Users and their bearer tokens (stored as sha256 hashes only). */
export class AuthStore {
  constructor(private readonly ctx: StoreContext) {}

  /** Returns the user of that name, creating it with the given role if it does not exist. */
  async ensureUser(name: string, role: "admin" | "user"): Promise<number> {
    const db = this.ctx.db;
    const found = await db.selectFrom("users").select("id").where("name", "=", name).executeTakeFirst();
    if (found) return found.id;
    const row = await db
      .insertInto("users")
      .values({ name, role, created_at: Date.now() })
      .returning("id")
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** Creates a token and returns it; only its hash is kept. */
  async createToken(
    userId: number,
    kind: TokenKind,
    name: string,
    scope: TokenScope = {},
    db: Tx = this.ctx.db,
  ): Promise<string> {
    const token = `pando_${randomBytes(24).toString("base64url")}`;
    await db
      .insertInto("tokens")
      .values({
        user_id: userId,
        name,
        hash: hashToken(token),
        kind,
        workflow_id: scope.workflowId ?? null,
        site: scope.site ?? null,
        created_at: Date.now(),
        revoked_at: null,
        expires_at: scope.expiresAt ?? null,
      })
      .execute();
    return token;
  }

  async principalForToken(token: string): Promise<Principal | undefined> {
    const row = await this.ctx.db
      .selectFrom("tokens")
      .innerJoin("users", "users.id", "tokens.user_id")
      .select(["users.id as userId", "users.name as userName", "users.role", "tokens.kind", "tokens.workflow_id", "tokens.site", "tokens.expires_at"])
      .where("tokens.hash", "=", hashToken(token))
      .where("tokens.revoked_at", "is", null)
      .executeTakeFirst();
    if (!row || (row.expires_at !== null && row.expires_at <= Date.now())) return undefined;
    return {
      userId: row.userId,
      userName: row.userName,
      // A workflow's token acts for its owner within that workflow only, never with the owner's admin rights.
      // Nor does a site's token (its user is the site's own, never an administrator, but say it here too).
      admin: row.role === "admin" && (row.kind === "user" || row.kind === "pilot"),
      kind: row.kind,
      workflowId: row.workflow_id,
      site: row.site,
      expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    };
  }

  /** When a token that is known and not revoked expired; undefined for any other token (unknown, revoked, valid). */
  async expiredAt(token: string): Promise<number | undefined> {
    const row = await this.ctx.db
      .selectFrom("tokens")
      .select("expires_at")
      .where("hash", "=", hashToken(token))
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    const at = row?.expires_at === null || row?.expires_at === undefined ? undefined : Number(row.expires_at);
    return at !== undefined && at <= Date.now() ? at : undefined;
  }

  async userIdByName(name: string): Promise<number | undefined> {
    const row = await this.ctx.db.selectFrom("users").select("id").where("name", "=", name).executeTakeFirst();
    return row?.id;
  }

  private tokenRecords() {
    return this.ctx.db
      .selectFrom("tokens")
      .innerJoin("users", "users.id", "tokens.user_id")
      .select([
        "tokens.id",
        "tokens.name",
        "users.name as user",
        "tokens.user_id as userId",
        "tokens.kind",
        "tokens.workflow_id as workflowId",
        "tokens.site",
        "tokens.created_at as createdAt",
        "tokens.revoked_at as revokedAt",
        "tokens.expires_at as expiresAt",
      ]);
  }

  /** Tokens of one user (or of everyone), newest first; never the tokens themselves, only their names. */
  async listTokens(userId: number | undefined, includeRevoked: boolean): Promise<TokenRecord[]> {
    let q = this.tokenRecords().orderBy("tokens.id", "desc").limit(10_000);
    if (userId !== undefined) q = q.where("tokens.user_id", "=", userId);
    if (!includeRevoked) q = q.where("tokens.revoked_at", "is", null);
    return q.execute();
  }

  async token(id: number): Promise<TokenRecord | undefined> {
    return this.tokenRecords().where("tokens.id", "=", id).executeTakeFirst();
  }

  async revokeToken(id: number): Promise<void> {
    await this.ctx.db.updateTable("tokens").set({ revoked_at: Date.now() }).where("id", "=", id).where("revoked_at", "is", null).execute();
  }

  /** The id of a site's pilot token that is valid (neither revoked nor expired); undefined for any other token. */
  async sitePilotTokenId(token: string, site: string): Promise<number | undefined> {
    const row = await this.ctx.db
      .selectFrom("tokens")
      .select(["id", "expires_at"])
      .where("hash", "=", hashToken(token))
      .where("kind", "=", "pilot")
      .where("site", "=", site)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return row && (row.expires_at === null || Number(row.expires_at) > Date.now()) ? row.id : undefined;
  }

  /** The site's agent holds this pilot token now; false when it is not a valid pilot token of that site. */
  async holdSitePilotToken(id: number, site: string): Promise<boolean> {
    const now = Date.now();
    const r = await this.ctx.db
      .updateTable("tokens")
      .set({ held_at: now })
      .where("id", "=", id)
      .where("kind", "=", "pilot")
      .where("site", "=", site)
      .where("revoked_at", "is", null)
      .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /**
   * Revokes the site's pilot tokens that no agent held since heldSince and that no live worker was started
   * with; returns how many. Nothing is revoked while a live worker of the site does not say which token it
   * was started with (one started before workers recorded it): its pilot may hold any of them.
   */
  async retireSitePilotTokens(site: string, heldSince: number): Promise<number> {
    const db = this.ctx.db;
    const unknown = await db
      .selectFrom("workers")
      .select("id")
      .where("site", "=", site)
      .where("status", "!=", "ended")
      .where("pilot_token_id", "is", null)
      .executeTakeFirst();
    if (unknown) return 0;
    const r = await db
      .updateTable("tokens")
      .set({ revoked_at: Date.now() })
      .where("kind", "=", "pilot")
      .where("site", "=", site)
      .where("revoked_at", "is", null)
      .where((eb) => eb.or([eb("held_at", "is", null), eb("held_at", "<", heldSince)]))
      .where((eb) =>
        eb(
          "id",
          "not in",
          eb.selectFrom("workers").select("pilot_token_id").where("site", "=", site).where("status", "!=", "ended").where("pilot_token_id", "is not", null),
        ),
      )
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Revokes the tokens scoped to a workflow (it has ended: its driver needs them no more). */
  async revokeWorkflowTokens(workflowId: number, db: Tx = this.ctx.db): Promise<void> {
    await db
      .updateTable("tokens")
      .set({ revoked_at: Date.now() })
      .where("workflow_id", "=", workflowId)
      .where("revoked_at", "is", null)
      .execute();
  }
}
