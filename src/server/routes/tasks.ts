import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { JOB_STATES } from "../../core/states.js";
import { parse } from "../api-error.js";
import { clientGone, idParam, principalOf } from "../http-util.js";
import type { Service } from "../service.js";

const jobsQuery = z.object({
  state: z.enum(JOB_STATES).optional(),
  after: z.coerce.number().int().nonnegative().default(0),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});

export function taskRoutes(app: FastifyInstance, service: Service): void {
  app.get("/api/v1/tasks/:id", (req) => service.getTask(principalOf(req), idParam(req, "id", "task")));
  app.get("/api/v1/tasks/:id/results", (req, reply) =>
    service.taskResults(principalOf(req), idParam(req, "id", "task"), req.query, clientGone(reply)),
  );
  app.get("/api/v1/tasks/:id/jobs", (req) =>
    service.listJobs(principalOf(req), idParam(req, "id", "task"), parse(jobsQuery, req.query, "query")),
  );
  app.post("/api/v1/tasks/:id/kill", (req) => service.killTask(principalOf(req), idParam(req, "id", "task")));
  app.post("/api/v1/tasks/:id/retry", (req) => service.retryTask(principalOf(req), idParam(req, "id", "task")));
  app.get("/api/v1/jobs/:id", (req) => service.getJob(principalOf(req), idParam(req, "id", "job")));
}
