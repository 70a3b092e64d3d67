import type { FastifyInstance } from "fastify";
import { clientGone, idParam, principalOf } from "../http-util.js";
import type { Service } from "../service.js";

export function taskRoutes(app: FastifyInstance, service: Service): void {
  app.get("/api/v1/tasks/:id", (req) => service.getTask(principalOf(req), idParam(req, "id", "task")));
  app.get("/api/v1/tasks/:id/results", (req, reply) =>
    service.taskResults(principalOf(req), idParam(req, "id", "task"), req.query, clientGone(reply)),
  );
  app.post("/api/v1/tasks/:id/kill", (req) => service.killTask(principalOf(req), idParam(req, "id", "task")));
  app.post("/api/v1/tasks/:id/retry", (req) => service.retryTask(principalOf(req), idParam(req, "id", "task")));
  app.get("/api/v1/jobs/:id", (req) => service.getJob(principalOf(req), idParam(req, "id", "job")));
}
