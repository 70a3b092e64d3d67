import { describe, expect, it } from "vitest";
import { openApiDocument } from "../api/openapi.js";
import { PROMETHEUS_TEXT } from "../api/routes.js";
import { taskView } from "../store/task-reads.js";
import type { Handlers } from "./handlers.js";
import type { ServerContext } from "./context.js";
import { WaitLimits } from "./wait-limits.js";

describe("the OpenAPI document", () => {
  const doc = openApiDocument("1.2.3") as {
    openapi: string;
    info: { version: string };
    paths: Record<string, Record<string, { parameters: Array<{ name: string; in: string }>; requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> }; security?: unknown[] }>>;
  };

  it("describes every route with its method, parameters and bodies from the validation schemas", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.version).toBe("1.2.3");
    expect(Object.keys(doc.paths)).toContain("/api/v1/workflows/{id}/tasks");
    const submit = doc.paths["/api/v1/workflows/{id}/tasks"]!.post!;
    expect(submit.parameters).toEqual([{ name: "id", in: "path", required: true, schema: { type: "integer" } }]);
    expect(Object.keys(submit.requestBody!.content["application/json"]!.schema.properties!)).toEqual(
      expect.arrayContaining(["work", "bundleHash", "jobs"]),
    );
    const list = doc.paths["/api/v1/workflows"]!.get!;
    expect(list.parameters.map((p) => p.name)).toEqual(expect.arrayContaining(["status", "name", "cursor", "limit", "fields"]));
  });

  it("describes the task the task routes answer with, field for field, its resource needs included", () => {
    const schemas = (doc as unknown as { components: { schemas: Record<string, { properties: Record<string, unknown>; required: string[] }> } }).components.schemas;
    const answered = taskView({
      id: 1,
      workflow_id: 2,
      seq: 0,
      work: "fit",
      status: "running",
      queue: "local",
      n_jobs: 3,
      n_finished: 1,
      n_failed: 0,
      n_cancelled: 0,
      result_seq: 1,
      channel: null,
      kind: "work",
      pending_reason: null,
      cores: 2,
      memory_mb: 4096,
      walltime_s: 600,
      max_attempts: 3,
      priority: 5,
      objective_name: "chi2",
      objective_direction: "minimize",
      created_at: 1,
      ended_at: null,
    });
    expect(answered).toMatchObject({ cores: 2, memoryMb: 4096, walltimeS: 600, maxAttempts: 3, priority: 5, objective: { name: "chi2", direction: "minimize" } });
    // A task in a workflow's view also has nRunning, the jobs pilots hold now; only there.
    expect(Object.keys(schemas.Task!.properties).sort()).toEqual([...Object.keys(answered), "nRunning"].sort());
    expect(schemas.Task!.required.sort()).toEqual(Object.keys(answered).sort());
    const get = doc.paths["/api/v1/tasks/{id}"]!.get! as unknown as { responses: Record<string, { content?: Record<string, { schema: unknown }> }> };
    expect(get.responses["200"]!.content!["application/json"]!.schema).toEqual({ $ref: "#/components/schemas/Task" });
  });

  it("marks only health and the document itself as needing no token", () => {
    const open = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).filter(([, op]) => op.security?.length === 0).map(([m]) => `${m} ${path}`));
    expect(open.sort()).toEqual(["get /api/v1/health", "get /api/v1/openapi.json"]);
  });
});

/** Every "METHOD /path" of fastify's route tree (printRoutes), HEAD left out (fastify adds it to every GET). */
function servedRoutes(tree: string): string[] {
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of tree.split("\n")) {
    const m = /^(.*?)(?:└── |├── )(\S+) \(([^)]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const parent = depth === 0 ? "" : stack[depth - 1]!;
    const path = parent === "/" ? `/${m[2]}` : `${parent}${m[2]}`;
    stack[depth] = path;
    for (const method of m[3]!.split(", ")) if (method !== "HEAD") out.push(`${method} ${path}`);
  }
  return out;
}

describe("the OpenAPI document against the server's routes", () => {
  it("lists exactly the API routes the server has", async () => {
    const { buildApp } = await import("./app.js");
    const app = buildApp({ config: { maxRequestBytes: 1024, maxPayloadBytes: 1024, maxControlRequestBytes: 1024, requestTimeoutMs: 1000 } } as unknown as ServerContext, { authenticate: async () => undefined, refusal: async () => "refused" }, {} as Handlers, new WaitLimits({ maxWaitsPerToken: 1, maxWaitsPerUser: 1, maxUserWaits: 1, maxPilotWaits: 1 }));
    await app.ready();
    const doc = openApiDocument("0") as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => m !== "head")
        .map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`),
    );
    const served = servedRoutes(app.printRoutes({ commonPrefix: false })).filter((r) => r.includes(" /api/"));
    expect(served.sort()).toEqual(documented.sort());
    await app.close();
  });
});

describe("the answers the OpenAPI document describes", () => {
  const doc = openApiDocument("0") as {
    paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> }>>;
    components: { schemas: Record<string, unknown> };
  };
  const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ at: `${method} ${path}`, op })));

  it("gives every operation a success answer and the error answer", () => {
    for (const { at, op } of operations) {
      const success = Object.keys(op.responses).filter((status) => /^2\d\d$/.test(status));
      expect(success, at).not.toEqual([]);
      expect(op.responses["4XX"], at).toBeDefined();
    }
  });

  it("describes every answer that has a body by a schema of the document", () => {
    const refs: string[] = [];
    for (const { at, op } of operations) {
      for (const [status, answer] of Object.entries(op.responses)) {
        if (at.startsWith("head ")) {
          expect(answer.content, `${at} ${status}`).toBeUndefined();
          continue;
        }
        const [type, media] = Object.entries(answer.content ?? {})[0] ?? [];
        expect(type, `${at} ${status}`).toBeDefined();
        if (type === "application/octet-stream") continue;
        expect(media!.schema.$ref, `${at} ${status} (${type})`).toMatch(/^#\/components\/schemas\/\w+$/);
        refs.push(media!.schema.$ref!);
      }
    }
    // Every reference, in the answers and inside the components, names a component of the document.
    const inside = JSON.stringify(doc.components.schemas).match(/#\/components\/schemas\/\w+/g) ?? [];
    for (const ref of [...refs, ...inside]) expect(doc.components.schemas, ref).toHaveProperty(ref.split("/").pop()!);
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(["Task", "Workflow", "Job", "JobOutcome", "Queue", "Worker", "ErrorInfo", "Error"]));
  });

  it("describes the metrics as text in the Prometheus exposition format", () => {
    const metrics = operations.find((o) => o.at === "get /api/v1/metrics")!.op.responses["200"]!;
    expect(Object.keys(metrics.content!)).toEqual([PROMETHEUS_TEXT]);
    expect(doc.components.schemas.MetricsAnswer).toEqual({ type: "string" });
  });
});
