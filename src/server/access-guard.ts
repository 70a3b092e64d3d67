import { forbidden, notFound } from "../api/errors.js";
import { SingleFlight } from "../core/single-flight.js";
import type { Principal } from "../store/auth-store.js";
import type { ServerContext } from "./context.js";
import { Topics } from "./events.js";

const TOKEN_CACHE_MS = 5_000;
const MAX_CACHED_TOKENS = 10_000;
const MAX_CACHED_OWNERS = 100_000;

/**
 * Who may do what: the principal behind a token (cached a few seconds, and read once for all the requests
 * that find it out of date together), the owner of each workflow (cached for good: it never changes), and
 * the rules every service applies before acting.
 */
export class AccessGuard {
  private readonly tokenCache = new Map<string, { principal: Principal | undefined; until: number }>();
  private readonly owners = new Map<number, number>();
  /** Token reads in flight; `revocations` moves on when tokens are revoked, so that no later request shares an earlier read. */
  private readonly lookups = new SingleFlight<string>();
  private revocations = 0;

  constructor(private readonly ctx: Pick<ServerContext, "store" | "events">) {
    void this.forgetRevokedTokens();
  }

  /**
   * Tokens are cached for a few seconds; a revocation on any replica reaches every replica's cache through
   * its topic (relayed like every wake-up), so a revoked token stops working everywhere at once. Owners go
   * too: the topic also says that workflows were deleted.
   */
  private async forgetRevokedTokens(): Promise<void> {
    const sub = this.ctx.events.subscribe([Topics.tokens]);
    try {
      while (!this.ctx.events.stopped) {
        if (await sub.wait(60_000)) {
          this.revocations++;
          this.tokenCache.clear();
          this.owners.clear();
        }
      }
    } finally {
      sub.close();
    }
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    const now = Date.now();
    const cached = this.tokenCache.get(token);
    // A token that expired while cached is refused at once.
    if (cached && cached.until > now) return cached.principal && (cached.principal.expiresAt ?? Infinity) > now ? cached.principal : undefined;
    const principal = await this.lookups.run(`${this.revocations} ${token}`, () => this.ctx.store.auth.principalForToken(token));
    if (this.tokenCache.size > MAX_CACHED_TOKENS) this.tokenCache.clear();
    this.tokenCache.set(token, { principal, until: now + TOKEN_CACHE_MS });
    return principal;
  }

  /**
   * Why a token authenticate() refused is refused: an expired one says when it expired and that a new one is
   * needed, since it is neither unknown nor revoked. Asked only for refused tokens, off the hot path.
   */
  async refusal(token: string): Promise<string> {
    const expiredAt = await this.ctx.store.auth.expiredAt(token);
    if (expiredAt !== undefined) {
      return `the bearer token expired at ${new Date(expiredAt).toISOString()}: ask an administrator for a new one (pando token create)`;
    }
    return "the bearer token is not valid (unknown or revoked)";
  }

  /** Tokens were revoked: every replica asks the database again on the next request. */
  forgetTokens(): void {
    this.tokenCache.clear();
    this.ctx.events.tokensRevoked();
  }

  /**
   * Workflows were deleted, and their scoped tokens with them: every replica forgets the owners it knew (a
   * deleted workflow is not found) and its cached tokens.
   */
  workflowsDeleted(): void {
    this.owners.clear();
    this.forgetTokens();
  }

  /** A workflow's owner never changes, so it is read once (and forgotten when workflows are deleted). */
  async ownerOf(workflowId: number): Promise<number | undefined> {
    const cached = this.owners.get(workflowId);
    if (cached !== undefined) return cached;
    const owner = await this.ctx.store.workflows.ownerOf(workflowId);
    if (owner !== undefined) {
      if (this.owners.size >= MAX_CACHED_OWNERS) this.owners.clear();
      this.owners.set(workflowId, owner);
    }
    return owner;
  }

  async authorizeWorkflow(p: Principal, workflowId: number): Promise<void> {
    const owner = await this.ownerOf(workflowId);
    if (owner === undefined) throw notFound("workflow", workflowId);
    if (p.kind === "pilot" || p.kind === "site") throw forbidden(`a ${p.kind} token cannot act on workflows; use a user token`);
    if (p.workflowId !== null && p.workflowId !== workflowId) {
      throw forbidden(`this token is scoped to workflow ${p.workflowId} and cannot access workflow ${workflowId}`);
    }
    if (!p.admin && owner !== p.userId) {
      throw forbidden(`workflow ${workflowId} belongs to another user; only its owner or an administrator may access it`);
    }
  }

  /** Checks access to the task's workflow; returns that workflow's id. */
  async authorizeTask(p: Principal, taskId: number): Promise<number> {
    const info = await this.ctx.store.taskReads.info(taskId);
    if (!info) throw notFound("task", taskId);
    await this.authorizeWorkflow(p, info.workflowId);
    return info.workflowId;
  }

  requirePilotRole(p: Principal): void {
    if (p.kind !== "pilot" && !p.admin) {
      throw forbidden("only pilot tokens (or administrators) may act as pilots");
    }
  }

  /** The site's own token (a site agent's), or an administrator's user token: it acts for that site. */
  requireSite(p: Principal, site: string, what: string): void {
    if (p.admin && p.kind === "user") return;
    if (p.kind !== "site") throw forbidden(`only site '${site}''s token (or an administrator's) may ${what}`);
    if (p.site !== site) {
      throw forbidden(`this token is site '${p.site}''s: it cannot ${what} of site '${site}'; use that site's token`);
    }
  }

  /** A user's own token, not a pilot's nor one scoped to a workflow. */
  requireUser(p: Principal, what: string): void {
    if (p.kind === "pilot" || p.kind === "site") throw forbidden(`a ${p.kind} token cannot ${what}; use a user token`);
    if (p.workflowId !== null) throw forbidden(`this token is scoped to workflow ${p.workflowId} and cannot ${what}`);
  }
}
