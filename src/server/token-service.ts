import { conflict, forbidden, notFound } from "../api/errors.js";
import type { CreateToken, CreateTokenResponse, ListTokens } from "../api/tokens.js";
import type { Principal, TokenRecord } from "../store/auth-store.js";
import type { AccessGuard } from "./access-guard.js";
import type { ServerContext } from "./context.js";

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
    const token = await this.ctx.store.auth.createToken(userId, kind, req.name, req.workflowId ?? null);
    return { token, user: userName, workflowId: req.workflowId ?? null };
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
