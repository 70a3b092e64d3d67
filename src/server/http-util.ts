import type { FastifyReply, FastifyRequest } from "fastify";
import type { Principal } from "../store/auth-store.js";
import { ApiError } from "./api-error.js";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The authenticated caller; the auth hook guarantees one on every non-public route. */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new ApiError(401, "unauthenticated", "missing bearer token");
  return req.principal;
}

/** A positive integer id from the URL, or a 400 that says what was wrong. */
export function idParam(req: FastifyRequest, name: string, what: string): number {
  const raw = (req.params as Record<string, string>)[name] ?? "";
  const id = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new ApiError(400, "invalid_id", `'${raw}' is not a valid ${what} id (a positive integer)`);
  }
  return id;
}

/** A position (0, 1, 2…) from the URL, or a 400 that says what was wrong. */
export function seqParam(req: FastifyRequest, name: string, what: string): number {
  const raw = (req.params as Record<string, string>)[name] ?? "";
  if (!/^\d{1,9}$/.test(raw)) {
    throw new ApiError(400, "invalid_id", `'${raw}' is not a valid ${what} number (0 or a positive integer)`);
  }
  return Number(raw);
}

/** An AbortSignal that fires when the client goes away, so long-polls stop waiting for nobody. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once("close", () => {
    if (!reply.raw.writableEnded) controller.abort();
  });
  return controller.signal;
}
