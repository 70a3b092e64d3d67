// Tokens: creating one (printed once, stored hashed), listing and revoking them.
import { z } from "../vendor/zod.js";
import { id, idParams, label, name, siteName, time } from "./common.js";
import type { Contract } from "./contract.js";

export const createTokenBody = z.object({
  name: label(200),
  /** Administrators only: the user the token acts for (created if new); default the caller. */
  user: name.optional(),
  /** A token valid for this workflow only (its owner's, or an administrator's choice). */
  workflowId: id.optional(),
  /**
   * Administrators only: a site agent's token for the site of this name, which may only register that site's
   * queues, follow their demand and record the pilots it starts (docs/queues.md, "Sites").
   */
  site: siteName.optional(),
  /** The token is refused after this many milliseconds from now; absent: it never expires. */
  expiresInMs: z.number().int().positive().max(100 * 365 * 86_400_000).optional(),
});
export type CreateTokenRequest = z.input<typeof createTokenBody>;
export type CreateToken = z.output<typeof createTokenBody>;

export const createTokenResponse = z.object({
  token: z.string(),
  user: z.string(),
  workflowId: id.nullable(),
  site: z.string().nullable(),
  expiresAt: time.nullable(),
});
export type CreateTokenResponse = z.output<typeof createTokenResponse>;

/** `true` or `1` in a query string; anything else, or nothing, is false. */
const queryFlag = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => v === "true" || v === "1");

export const listTokensQuery = z.object({
  /** Administrators: every user's tokens. */
  all: queryFlag,
  /** Revoked tokens too. */
  revoked: queryFlag,
});
export type ListTokensRequest = z.input<typeof listTokensQuery>;
export type ListTokens = z.output<typeof listTokensQuery>;

/** A token as listed: its name and owner, never the token itself. */
export const tokenView = z.object({
  id,
  name: z.string(),
  user: z.string(),
  userId: id,
  kind: z.enum(["user", "pilot", "workflow", "site"]),
  workflowId: id.nullable(),
  /** A site agent's token, or the pilot token of that site's pilots: the site. */
  site: z.string().nullable(),
  createdAt: time,
  revokedAt: time.nullable(),
  expiresAt: time.nullable(),
});
export type TokenView = z.output<typeof tokenView>;

export const tokenEndpoints = {
  createToken: { summary: "Create a token", body: createTokenBody, response: createTokenResponse },
  listTokens: { summary: "List tokens (never the tokens themselves)", query: listTokensQuery, response: z.array(tokenView) },
  revokeToken: { summary: "Revoke a token", params: idParams("token"), response: tokenView },
} satisfies Record<string, Contract>;
