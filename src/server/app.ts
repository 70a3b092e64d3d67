import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { formatBytes } from "../codec/limits.js";
import type { ErrorBody } from "../core/protocol.js";
import { PANDO_VERSION } from "../version.js";
import { ApiError } from "./api-error.js";
import { principalOf } from "./http-util.js";
import { MonitorService } from "./monitor-service.js";
import { openApiDocument } from "./openapi.js";
import { bundleRoutes } from "./routes/bundles.js";
import { MONITOR_ASSETS, MONITOR_PAGE, monitorFileRoutes } from "./routes/monitor-files.js";
import { monitorRoutes } from "./routes/monitor.js";
import { pilotRoutes } from "./routes/pilots.js";
import { taskRoutes } from "./routes/tasks.js";
import { workflowRoutes } from "./routes/workflows.js";
import type { Service } from "./service.js";

const OPENAPI = "/api/v1/openapi.json";
// The web monitor's files are public: the page itself asks for a token and sends it with every API call.
const PUBLIC_ROUTES = new Set(["/api/v1/health", OPENAPI, MONITOR_PAGE, MONITOR_ASSETS]);

function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** The HTTP face of the service: authentication, routes, and errors that say what to do. */
export function buildApp(service: Service): FastifyInstance {
  const app = Fastify({
    bodyLimit: service.config.maxRequestBytes,
    // Long-polls hold requests open; keep-alive connections from pilots and drivers are reused.
    keepAliveTimeout: 75_000,
    requestTimeout: 0,
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
    const principal = match ? await service.authenticate(match[1]!) : undefined;
    if (!principal) throw new ApiError(401, "unauthenticated", "the bearer token is not valid (unknown or revoked)");
    req.principal = principal;
  });

  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send(errorBody("not_found", `no such endpoint: ${req.method} ${req.url.split("?")[0]}`));
  });

  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    if (err instanceof ApiError) {
      reply.code(err.status).send(errorBody(err.code, err.message));
      return;
    }
    switch (err.code) {
      case "FST_ERR_CTP_BODY_TOO_LARGE":
        reply
          .code(413)
          .send(
            errorBody(
              "request_too_large",
              `the request body is over the ${formatBytes(service.config.maxRequestBytes)} limit (maxRequestBytes); ` +
                "split the work into smaller tasks or pass large data by reference",
            ),
          );
        return;
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
    service.log.error({ err, url: req.url, method: req.method }, "request failed");
    reply.code(500).send(errorBody("internal", "internal server error; the server log has the details"));
  });

  monitorFileRoutes(app);
  app.get("/api/v1/health", async () => ({ ok: true }));
  const openapi = openApiDocument(PANDO_VERSION);
  app.get(OPENAPI, async () => openapi);
  app.get("/api/v1/broker", async (req) => ({ broker: service.brokerSettings(principalOf(req)) }));
  app.get("/api/v1/metrics", async (req) => service.metricsSnapshot(principalOf(req)));
  app.get("/api/v1/queues", async (req) => service.listQueues(principalOf(req)));
  app.get("/api/v1/workers", async (req) => service.listWorkers(principalOf(req)));
  app.put("/api/v1/queues/:name", async (req) =>
    service.setQueueStatus(principalOf(req), (req.params as { name: string }).name, req.body),
  );
  app.post("/api/v1/tokens", async (req, reply) => {
    reply.code(201);
    return service.createToken(principalOf(req), req.body);
  });
  workflowRoutes(app, service);
  taskRoutes(app, service);
  bundleRoutes(app, service);
  pilotRoutes(app, service);
  monitorRoutes(app, service, new MonitorService(service));
  return app;
}
