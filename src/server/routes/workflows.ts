import type { FastifyInstance } from "fastify";
import { idParam, principalOf } from "../http-util.js";
import type { Service } from "../service.js";

export function workflowRoutes(app: FastifyInstance, service: Service): void {
  app.post("/api/v1/workflows", async (req, reply) => {
    reply.code(201);
    return service.createWorkflow(principalOf(req), req.body);
  });
  app.get("/api/v1/workflows/:id", (req) => service.getWorkflow(principalOf(req), idParam(req, "id", "workflow")));
  app.post("/api/v1/workflows/:id/close", (req) =>
    service.closeWorkflow(principalOf(req), idParam(req, "id", "workflow"), req.body),
  );
  app.post("/api/v1/workflows/:id/kill", (req) =>
    service.killWorkflow(principalOf(req), idParam(req, "id", "workflow")),
  );
  app.post("/api/v1/workflows/:id/retry", (req) =>
    service.retryWorkflow(principalOf(req), idParam(req, "id", "workflow")),
  );
  app.post("/api/v1/workflows/:id/tasks", async (req, reply) => {
    reply.code(201);
    return service.submitTask(principalOf(req), idParam(req, "id", "workflow"), req.body);
  });
}
