// Tokens: creating one (printed once, stored hashed), listing and revoking them.
import { z } from "zod";
import { id, idParams, label, name, time } from "./common.js";
import type { Contract } from "./contract.js";

export const createTokenBody = z.object({
  name: label(200),
  /** Administrators only: the user the token acts for (created if new); default the caller. */
  user: name.optional(),
  /** A token valid for this workflow only (its owner's, or an administrator's choice). */
  workflowId: id.optional(),
});
export type CreateTokenRequest = z.input<typeof createTokenBody>;
export type CreateToken = z.output<typeof createTokenBody>;

export const createTokenResponse = z.object({ token: z.string(), user: z.string(), workflowId: id.nullable() });
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
  kind: z.enum(["user", "pilot", "workflow"]),
  workflowId: id.nullable(),
  createdAt: time,
  revokedAt: time.nullable(),
});
export type TokenView = z.output<typeof tokenView>;

export const tokenEndpoints = {
  createToken: { summary: "Create a token", body: createTokenBody, response: createTokenResponse },
  listTokens: { summary: "List tokens (never the tokens themselves)", query: listTokensQuery, response: z.array(tokenView) },
  revokeToken: { summary: "Revoke a token", params: idParams("token"), response: tokenView },
} satisfies Record<string, Contract>;
