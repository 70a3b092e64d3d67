import type { FastifyInstance, FastifyRequest } from "fastify";
import { clientGone, idParam, principalOf, seqParam } from "../http-util.js";
import type { Service } from "../service.js";

export function workflowRoutes(app: FastifyInstance, service: Service): void {
  const wf = (req: FastifyRequest) => idParam(req, "id", "workflow");
  app.post("/api/v1/workflows", async (req, reply) => {
    reply.code(201);
    return service.createWorkflow(principalOf(req), req.body);
  });
  app.get("/api/v1/workflows/:id", (req, reply) =>
    service.getWorkflow(principalOf(req), wf(req), req.query, clientGone(reply)),
  );
  app.post("/api/v1/workflows/:id/close", (req) => service.closeWorkflow(principalOf(req), wf(req), req.body));
  app.post("/api/v1/workflows/:id/kill", (req) => service.killWorkflow(principalOf(req), wf(req)));
  app.post("/api/v1/workflows/:id/retry", (req) => service.retryWorkflow(principalOf(req), wf(req)));
  app.post("/api/v1/workflows/:id/resume", (req) => service.resumeWorkflow(principalOf(req), wf(req), req.body));
  app.post("/api/v1/workflows/:id/suspend", (req) => service.suspendWorkflow(principalOf(req), wf(req), req.body));
  app.post("/api/v1/workflows/:id/heartbeat", (req, reply) =>
    service.driverHeartbeat(principalOf(req), wf(req), req.body, clientGone(reply)),
  );
  app.get("/api/v1/workflows/:id/steps", (req) => service.steps(principalOf(req), wf(req)));
  app.put("/api/v1/workflows/:id/steps/:seq", (req) =>
    service.putStep(principalOf(req), wf(req), seqParam(req, "seq", "step"), req.body),
  );
  app.post("/api/v1/workflows/:id/tasks", async (req, reply) => {
    reply.code(201);
    return service.submitTask(principalOf(req), wf(req), req.body);
  });
}
