import type { FastifyReply, FastifyRequest } from "fastify";
import { ApiError } from "../api/errors.js";
import type { Principal } from "../store/auth-store.js";

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

/** The signal of a call that never waits (or whose caller gave none): nothing ends it early. */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/**
 * An AbortSignal that fires when the client goes away, so long-polls stop waiting for nobody. Only for
 * endpoints that wait (Route.waits): a controller and a listener per request cost the others time for nothing.
 */
export function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once("close", () => {
    if (!reply.raw.writableEnded) controller.abort();
  });
  return controller.signal;
}
