import type { ApiTransport } from "../api/caller.js";
import { ApiError } from "../api/errors.js";
import { PILOT_KEY_HEADER } from "../core/pilot-identity.js";
import type { AccessGuard } from "./access-guard.js";
import type { Handlers } from "./handlers.js";
import { localTransport } from "./local-transport.js";
import type { ServerMetrics } from "./metrics.js";

/** The server a pilot in its process talks to. */
export interface InProcessServer {
  handlers: Handlers;
  guard: Pick<AccessGuard, "authenticate" | "refusal">;
  metrics: Pick<ServerMetrics, "request">;
  /** Where the pilot's executors reach the server (a driver job's client). */
  url: string;
}

/**
 * A pilot's requests served by the handlers of the server in its own process (the pilots `pando run` keeps
 * in its process), with what HTTP would check: its token is authenticated on every request (a revoked
 * one is refused at once) and its key, once registered, travels as the header would, so the services check
 * that it acts as itself exactly as they do for a pilot on another host.
 */
export function inProcessPilotTransport(server: InProcessServer, token: string): ApiTransport & {
  readonly baseUrl: string;
  setHeader(name: string, value: string | undefined): void;
  close(): Promise<void>;
} {
  let pilotKey: string | undefined;
  const api = localTransport(
    server.handlers,
    async () => {
      const principal = await server.guard.authenticate(token);
      if (!principal) throw new ApiError(401, "unauthenticated", await server.guard.refusal(token));
      return principal.kind === "pilot" && pilotKey !== undefined ? { ...principal, pilotKey } : principal;
    },
    server.metrics,
  );
  return {
    request: (call) => api.request(call),
    baseUrl: server.url,
    setHeader(name, value) {
      if (name === PILOT_KEY_HEADER) pilotKey = value;
    },
    close: async () => undefined,
  };
}
