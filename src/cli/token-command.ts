import type { CreateTokenRequest } from "../api/tokens.js";
import { formatTime, table } from "./format.js";
import type { ClientFlags } from "./client-options.js";
import { note, print, printJson, withServer } from "./server-call.js";

export interface TokenCreateFlags extends ClientFlags {
  user?: string;
  workflow?: number;
  site?: string;
  /** Milliseconds. */
  expires?: number;
}

export interface TokenListFlags extends ClientFlags {
  all?: boolean;
  revoked?: boolean;
}

/**
 * `pando token create <name>`: a new token for the caller, for another user (--user, administrators), or
 * valid for one workflow only (--workflow). The server keeps only its hash: it is printed this once, alone
 * on stdout so that `$(pando token create …)` captures it.
 */
export async function tokenCreateCommand(name: string, flags: TokenCreateFlags): Promise<void> {
  const request: CreateTokenRequest = { name, user: flags.user, workflowId: flags.workflow, site: flags.site, expiresInMs: flags.expires };
  const created = await withServer(flags, (api) => api.createToken({ body: request }));
  if (flags.json) return printJson(created);
  print(created.token);
  const scope =
    created.site !== null
      ? `, the agent of site ${created.site}`
      : created.workflowId === null
        ? ""
        : `, valid for workflow ${created.workflowId} only`;
  const expiry = created.expiresAt === null ? "" : `, until ${formatTime(created.expiresAt)}`;
  note(`token '${name}' of user ${created.user}${scope}${expiry}: it is shown only this once`);
}

/** `pando token list`: your tokens (--all: every user's, administrators), never the tokens themselves. */
export async function tokenListCommand(flags: TokenListFlags): Promise<void> {
  const query = { all: flags.all ? "true" : undefined, revoked: flags.revoked ? "true" : undefined };
  const tokens = await withServer(flags, (api) => api.listTokens({ query }));
  if (flags.json) return printJson(tokens);
  if (tokens.length === 0) return note("no tokens");
  print(
    table(
      ["ID", "NAME", "USER", "KIND", "WORKFLOW", "SITE", "CREATED", "EXPIRES", "REVOKED"],
      tokens.map((t) => [
        String(t.id),
        t.name,
        t.user,
        t.kind,
        t.workflowId === null ? "-" : String(t.workflowId),
        t.site ?? "-",
        formatTime(t.createdAt),
        formatTime(t.expiresAt),
        formatTime(t.revokedAt),
      ]),
    ),
  );
}

/** `pando token revoke <id>`: the token is refused from now on. */
export async function tokenRevokeCommand(id: number, flags: ClientFlags): Promise<void> {
  const token = await withServer(flags, (api) => api.revokeToken({ params: { id } }));
  if (flags.json) return printJson(token);
  print(`token ${token.id} ('${token.name}' of user ${token.user}) revoked`);
}
