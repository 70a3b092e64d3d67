import type { FastifyInstance } from "fastify";
import { clientGone, idParam, principalOf } from "../http-util.js";
import type { Service } from "../service.js";

export function pilotRoutes(app: FastifyInstance, service: Service): void {
  app.post("/api/v1/pilots", async (req, reply) => {
    reply.code(201);
    return service.registerPilot(principalOf(req), req.body);
  });
  app.post("/api/v1/pilots/:id/acquire", (req, reply) =>
    service.acquire(principalOf(req), idParam(req, "id", "pilot"), req.body, clientGone(reply)),
  );
  app.post("/api/v1/pilots/:id/report", (req) => service.report(principalOf(req), idParam(req, "id", "pilot"), req.body));
  app.post("/api/v1/pilots/:id/heartbeat", (req) =>
    service.heartbeat(principalOf(req), idParam(req, "id", "pilot"), req.body),
  );
  app.post("/api/v1/pilots/:id/exit", async (req) => {
    await service.endPilot(principalOf(req), idParam(req, "id", "pilot"));
    return { ok: true };
  });
}
