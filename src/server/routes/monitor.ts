import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { parse } from "../api-error.js";
import { clientGone, idParam, principalOf } from "../http-util.js";
import type { MonitorService } from "../monitor-service.js";
import { PROGRESS_TOPIC, WORKFLOWS_TOPIC, type Service } from "../service.js";

const eventsQuery = z.object({
  workflow: z.coerce.number().int().positive().optional(),
  task: z.coerce.number().int().positive().optional(),
});

/** At most this many change events per second on one stream: a busy task changes thousands of times a second. */
const EVENT_INTERVAL_MS = 500;
/** A comment line this often keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

export function monitorRoutes(app: FastifyInstance, service: Service, monitor: MonitorService): void {
  const wf = (req: Parameters<typeof idParam>[0]) => idParam(req, "id", "workflow");
  const task = (req: Parameters<typeof idParam>[0]) => idParam(req, "id", "task");
  app.get("/api/v1/workflows", (req) => monitor.listWorkflows(principalOf(req), req.query));
  app.get("/api/v1/workflows/:id/errors", (req) => monitor.workflowErrors(principalOf(req), wf(req)));
  app.get("/api/v1/workflows/:id/objective", (req) => monitor.objective(principalOf(req), wf(req)));
  app.delete("/api/v1/workflows/:id", (req) => monitor.deleteWorkflow(principalOf(req), wf(req)));
  app.get("/api/v1/workflows/:id/archive", async (req, reply) => {
    const records = await monitor.archive(principalOf(req), wf(req));
    async function* lines() {
      for await (const r of records) yield `${JSON.stringify(r)}\n`;
    }
    reply.type("application/x-ndjson");
    return reply.send(Readable.from(lines()));
  });
  app.get("/api/v1/tasks/:id/jobs", (req) => monitor.listJobs(principalOf(req), task(req), req.query));
  app.get("/api/v1/tasks/:id/errors", (req) => monitor.taskErrors(principalOf(req), task(req)));
  app.get("/api/v1/tasks/:id/timeline", (req) => monitor.timeline(principalOf(req), task(req), req.query));
  app.get("/api/v1/pilots", (req) => monitor.listPilots(principalOf(req), req.query));
  app.get("/api/v1/tokens", (req) => monitor.listTokens(principalOf(req), req.query as { all?: string; revoked?: string }));
  app.delete("/api/v1/tokens/:id", (req) => monitor.revokeToken(principalOf(req), idParam(req, "id", "token")));

  // Server-sent events: "change" whenever what the page shows may have changed; the page then reads it again.
  app.get("/api/v1/events", async (req, reply) => {
    const p = principalOf(req);
    const q = parse(eventsQuery, req.query, "query");
    const topicsNow = async (): Promise<string[]> => {
      if (q.task !== undefined) return [`task:${q.task}`];
      if (q.workflow === undefined) return [WORKFLOWS_TOPIC, PROGRESS_TOPIC];
      const view = await service.store.workflows.get(q.workflow);
      return [`workflow:${q.workflow}`, ...(view?.tasks ?? []).map((t) => `task:${t.id}`)];
    };
    if (q.task !== undefined) await service.authorizeTask(p, q.task);
    if (q.workflow !== undefined) await service.authorizeWorkflow(p, q.workflow);
    const gone = clientGone(reply);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    res.write("retry: 2000\n\n");
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    let topics = await topicsNow();
    // One subscription stays open across the pauses, so nothing that happens meanwhile is missed.
    let sub = service.notifier.subscribe(topics);
    try {
      while (!gone.aborted && !service.notifier.stopped) {
        const fired = await sub.wait(KEEPALIVE_MS, gone);
        if (gone.aborted || service.notifier.stopped) break;
        res.write(fired ? `event: change\ndata: ${JSON.stringify({ at: Date.now() })}\n\n` : ": keep-alive\n\n");
        await pause(EVENT_INTERVAL_MS);
        const now = await topicsNow();
        if (now.join() !== topics.join()) {
          // A new task: follow it too, and tell the page (its task list changed).
          const old = sub;
          sub = service.notifier.subscribe((topics = now));
          old.close();
          res.write(`event: change\ndata: ${JSON.stringify({ at: Date.now() })}\n\n`);
        }
      }
    } catch (err) {
      service.log.warn({ err }, "event stream ended by an error");
    } finally {
      sub.close();
    }
    res.end();
  });
}
