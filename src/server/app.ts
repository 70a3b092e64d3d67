import type { FastifyError, FastifyInstance } from "fastify";
import Fastify from "../vendor/fastify.js";
import { ENDPOINT_LIST, ENDPOINTS } from "../api/endpoints.js";
import { ApiError, errorBody } from "../api/errors.js";
import { formatBytes } from "../codec/limits.js";
import { PILOT_KEY_HEADER } from "../core/pilot-identity.js";
import { apiRoutes, routeUrl } from "./api-routes.js";
import { bodyLimit } from "./body-limits.js";
import type { Handlers } from "./handlers.js";
import { MONITOR_ASSETS, MONITOR_PAGE, monitorFileRoutes } from "./routes/monitor-files.js";
import type { AccessGuard } from "./access-guard.js";
import type { ServerTls } from "./server-tls.js";
import type { ServerContext } from "./context.js";
import { WAIT_RETRY_AFTER_S, type WaitLimits } from "./wait-limits.js";

/** A database whose connections were all busy frees some within moments: ask again soon. */
const BUSY_RETRY_AFTER_S = 1;

// The web monitor's files are public: the page itself asks for a token and sends it with every API call.
const PUBLIC_ROUTES = new Set([
  ...Object.values(ENDPOINTS)
    .filter((e) => e.access === "public")
    .map(routeUrl),
  MONITOR_PAGE,
  MONITOR_ASSETS,
]);

/** The HTTP face of the service: authentication, routes, and errors that say what to do. */
export function buildApp(
  { config, log, metrics }: Pick<ServerContext, "config" | "log" | "metrics">,
  guard: Pick<AccessGuard, "authenticate" | "refusal">,
  handlers: Handlers,
  waits: WaitLimits,
  /** The certificate and key of HTTPS (PEM); without them, plain HTTP. */
  tls?: ServerTls,
): FastifyInstance {
  const nodeServer = {
    requestTimeout: config.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(config.requestTimeoutMs / 4))),
    // Node answers a longer head 431 and closes the connection: nothing of it reaches a route.
    maxHeaderSize: config.maxHeaderBytes,
  };
  // Fastify builds an HTTPS server with the same Node options; its instance type differs only in the server's class.
  const app = (Fastify as (options: object) => FastifyInstance)({
    // Each endpoint has its own limit (body-limits.ts); anything else takes a few fields at most.
    bodyLimit: config.maxControlRequestBytes,
    // Keep-alive connections from pilots and drivers are reused. Long-polls hold their answer, not their
    // request: a request itself must be in within requestTimeoutMs. Node applies it only when it makes the
    // HTTP server (hence `http` or `https`), and checks it every connectionsCheckingInterval.
    keepAliveTimeout: 75_000,
    requestTimeout: config.requestTimeoutMs,
    ...(tls ? { https: { ...nodeServer, cert: tls.cert, key: tls.key } } : { http: nodeServer }),
  });

  app.decorateRequest("principal", null);
  app.addContentTypeParser("application/octet-stream", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

  app.addHook("onRequest", async (req) => {
    if (PUBLIC_ROUTES.has(req.routeOptions.url ?? "")) return;
    const header = req.headers.authorization;
    if (!header) {
      throw new ApiError(
        401,
        "unauthenticated",
        "missing bearer token: send 'Authorization: Bearer <token>' (the embedded server writes one to .pando/credentials.json)",
      );
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const principal = match ? await guard.authenticate(match[1]!) : undefined;
    if (!principal) throw new ApiError(401, "unauthenticated", match ? await guard.refusal(match[1]!) : "the bearer token is not valid (unknown or revoked)");
    // A pilot token's request carries the key of the pilot it acts as; the services check it (PilotKeys).
    const pilotKey = req.headers[PILOT_KEY_HEADER];
    req.principal = principal.kind === "pilot" && typeof pilotKey === "string" ? { ...principal, pilotKey } : principal;
  });

  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send(errorBody("not_found", `no such endpoint: ${req.method} ${req.url.split("?")[0]}`));
  });

  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    if (err instanceof ApiError) {
      // A caller refused for holding too much gets its connection back too: it may be one of thousands.
      if (err.status === 429) reply.header("retry-after", String(WAIT_RETRY_AFTER_S)).header("connection", "close");
      if (err.status === 503) reply.header("retry-after", String(BUSY_RETRY_AFTER_S));
      reply.code(err.status).send(errorBody(err.code, err.message));
      return;
    }
    switch (err.code) {
      case "FST_ERR_CTP_BODY_TOO_LARGE": {
        const e = ENDPOINT_LIST.find((x) => x.method === req.method && routeUrl(x) === req.routeOptions.url);
        const { bytes: limit, setting } = e ? bodyLimit(e, config) : { bytes: config.maxControlRequestBytes, setting: "maxControlRequestBytes" };
        const which = `${setting}, for ${req.method} ${req.routeOptions.url ?? req.url.split("?")[0]}`;
        reply
          .code(413)
          .send(
            errorBody(
              "request_too_large",
              `the request body is over the ${formatBytes(limit)} limit (${which}); ` +
                (e?.name === "putBundle"
                  ? "a program's project archive goes there too: leave files out of it (pando run --project-exclude, or --no-project), or raise the server's --max-request"
                  : "split the work into smaller tasks or pass large data by reference"),
            ),
          );
        return;
      }
      case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
        reply.code(415).send(errorBody("unsupported_media_type", `${err.message}; send application/json`));
        return;
      case "FST_ERR_CTP_EMPTY_JSON_BODY":
      case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
        reply.code(400).send(errorBody("invalid_request", err.message));
        return;
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      const message = err instanceof SyntaxError ? `the body is not valid JSON: ${err.message}` : err.message;
      reply.code(err.statusCode).send(errorBody("invalid_request", message));
      return;
    }
    log.error({ err, url: req.url, method: req.method }, "request failed");
    reply.code(500).send(errorBody("internal", "internal server error; the server log has the details"));
  });

  // Every answer, refusals included, under the route template it matched (never its raw URL).
  app.addHook("onResponse", (req, reply, done) => {
    metrics.request(req.routeOptions.url, req.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  monitorFileRoutes(app);
  apiRoutes(app, handlers, config, (err) => log.warn({ err }, "event stream ended by an error"), waits, metrics);
  return app;
}
