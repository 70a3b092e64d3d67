import { conflict, forbidden, notFound } from "../api/errors.js";
import type { CreateToken, CreateTokenResponse, ListTokens } from "../api/tokens.js";
import type { Principal, TokenRecord } from "../store/auth-store.js";
import type { AccessGuard } from "./access-guard.js";
import type { ServerContext } from "./context.js";

/** The user a site's tokens act for. */
export function siteUser(site: string): string {
  return `site:${site}`;
}

/** Users' tokens: created for oneself or (administrators) for others, optionally for one workflow; listed; revoked. */
export class TokenService {
  constructor(
    private readonly ctx: Pick<ServerContext, "store">,
    private readonly guard: AccessGuard,
  ) {}

  /**
   * A new token: for the caller, or (administrators) for another user; optionally valid for one workflow
   * only, acting for its owner there and nowhere else.
   */
  async createToken(p: Principal, req: CreateToken): Promise<CreateTokenResponse> {
    if (p.kind !== "user") throw forbidden("only user tokens may create tokens");
    const expiresAt = req.expiresInMs === undefined ? null : Date.now() + req.expiresInMs;
    if (req.site !== undefined) return this.createSiteToken(p, req, req.site, expiresAt);
    if (req.user !== undefined && req.user !== p.userName && !p.admin) {
      throw forbidden(`only administrators may create tokens for other users (here: '${req.user}')`);
    }
    let userId = p.userId;
    let userName = p.userName;
    if (req.user !== undefined && req.user !== p.userName) {
      userId = await this.ctx.store.auth.ensureUser(req.user, "user");
      userName = req.user;
    }
    if (req.workflowId !== undefined) {
      await this.guard.authorizeWorkflow(p, req.workflowId);
      const owner = await this.guard.ownerOf(req.workflowId);
      if (req.user !== undefined && owner !== userId) {
        throw conflict(`workflow ${req.workflowId} does not belong to '${userName}'; a scoped token acts for the workflow's owner`);
      }
      userId = owner!;
    }
    const kind = req.workflowId === undefined ? "user" : "workflow";
    const token = await this.ctx.store.auth.createToken(userId, kind, req.name, { workflowId: req.workflowId ?? null, expiresAt });
    return { token, user: userName, workflowId: req.workflowId ?? null, site: null, expiresAt };
  }

  /**
   * A site agent's token (administrators): it acts for the site's own user (`site:NAME`, made if new, never
   * an administrator) and may only call the site endpoints of that site.
   */
  private async createSiteToken(p: Principal, req: CreateToken, site: string, expiresAt: number | null): Promise<CreateTokenResponse> {
    if (!p.admin) throw forbidden(`only administrators may create site tokens (here: for site '${site}')`);
    if (req.user !== undefined || req.workflowId !== undefined) {
      throw conflict("a site token acts for its site only: give --site without --user or --workflow");
    }
    const user = siteUser(site);
    const userId = await this.ctx.store.auth.ensureUser(user, "user");
    const token = await this.ctx.store.auth.createToken(userId, "site", req.name, { site, expiresAt });
    return { token, user, workflowId: null, site, expiresAt };
  }

  async listTokens(p: Principal, q: ListTokens): Promise<TokenRecord[]> {
    this.guard.requireUser(p, "list tokens");
    if (q.all && !p.admin) throw forbidden("only administrators may list the tokens of every user");
    return this.ctx.store.auth.listTokens(q.all ? undefined : p.userId, q.revoked);
  }

  async revokeToken(p: Principal, tokenId: number): Promise<TokenRecord> {
    this.guard.requireUser(p, "revoke tokens");
    const token = await this.ctx.store.auth.token(tokenId);
    if (!token || (!p.admin && token.userId !== p.userId)) throw notFound("token", tokenId);
    if (token.kind === "pilot" && !p.admin) throw forbidden("only administrators may revoke pilot tokens");
    await this.ctx.store.auth.revokeToken(tokenId);
    this.guard.forgetTokens();
    return (await this.ctx.store.auth.token(tokenId))!;
  }
}
