// Hostile requests to every operation of the OpenAPI document, with every kind of token, against a real
// server and pilot: no answer is a 5xx, none takes over 2 s, the server stays within a heap limit (node's
// own: a server that needed more would die of it) and keeps answering, and the owner's data written before is unchanged after. Seeded: PANDO_FUZZ_SEED replays
// a run; PANDO_FUZZ_REQUESTS (default 3000; the first ones send every operation with every caller) and
// PANDO_FUZZ_BIG_ITEMS (the largest array, default 1,000,000 items) size it.
import { readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROUTES, type Route } from "../src/api/routes.js";
import { bodyLimit } from "../src/server/body-limits.js";
import { defaultServerConfig } from "../src/server/config.js";
import { describeRequest, operationsOf, Random, requestFor, type FuzzRequest, type Known, type Operation } from "./helpers/hostile.js";
import { buildWorld, newBundle, type World } from "./helpers/world.js";

const SEED = Number(process.env.PANDO_FUZZ_SEED || Math.floor(Math.random() * 2 ** 31));
const REQUESTS = Number(process.env.PANDO_FUZZ_REQUESTS || 3000);
const BIG_ITEMS = Number(process.env.PANDO_FUZZ_BIG_ITEMS || 1_000_000);
/** A behaviour bound, not a benchmark: a request the server takes longer than this to answer is a defect. */
const MAX_MS = 2_000;
/**
 * The server's heap limit in this test (--max-old-space-size). Two requests at a time of at most about 11 MB
 * each fit in it many times over; one that made the server keep or build far more than it was sent does not.
 */
const HEAP_LIMIT_MB = 256;
const CONCURRENCY = 2;

/** The caller kinds of the fuzz: every token the matrix knows, and some that are no token at all. */
const FUZZ_CALLERS = ["admin", "owner", "other", "scoped", "scopedOther", "pilot", "revoked", "garbage", "none"] as const;
type FuzzCaller = (typeof FUZZ_CALLERS)[number];

const GARBAGE_AUTHORIZATION = ["Bearer x", "Bearer", "Bearer a b", "Basic b3duZXI6b3duZXI=", `Bearer ${"a".repeat(10_000)}`, "bearer\t%00", "Bearer ../../"];

/** The server process of the cluster: the one whose command line names its data directory. */
function serverPid(dataDir: string): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\u0000");
      if (cmdline.includes("server") && cmdline.includes(dataDir)) return Number(entry);
    } catch {
      // the process ended meanwhile
    }
  }
  throw new Error(`no server process with --data-dir ${dataDir}`);
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) / 1024;
}

/** The body limit of an operation's route on a server of default settings. */
/** The server's limit on a request's line and headers (431 beyond, and the connection closed). */
const MAX_HEADER_BYTES = defaultServerConfig(".").maxHeaderBytes;
/** The headers the HTTP client adds on its own (host, connection, content-length) take less than this. */
const HEAD_MARGIN_BYTES = 512;

/** The bytes of a request's line and of the headers the test sets. */
function headBytes(req: FuzzRequest, auth: string | undefined): number {
  return Buffer.byteLength(`${req.method} ${req.path} HTTP/1.1\r\n${auth ?? ""}${req.contentType ?? ""}`);
}

/**
 * The body limit the server applies to `req`: its operation's, unless the client's URL normalisation drops
 * dot segments of a path parameter (`/sites/..`), which sends it to a path no route matches and that takes
 * the limit of control requests.
 */
function limitOf(operationId: string, req: FuzzRequest): number {
  const config = defaultServerConfig(".");
  const segments = (path: string) => path.split("/").length;
  if (segments(new URL(req.path, "http://127.0.0.1").pathname) < segments(req.path.split("?")[0]!)) return config.maxControlRequestBytes;
  const route: Route = ROUTES[operationId as keyof typeof ROUTES];
  return bodyLimit(route, config).bytes;
}

interface Outcome {
  status: number;
  ms: number;
  answer: string;
}

describe("hostile requests to every operation of the OpenAPI document", () => {
  let world: World;
  let operations: Operation[];
  let known: Record<"privileged" | "unprivileged", Known>;
  let scopedToken = "";
  let pid = 0;
  const dispatcher = new Agent({ connections: CONCURRENCY * 2, headersTimeout: 30_000, bodyTimeout: 30_000 });

  beforeAll(async () => {
    world = await buildWorld([`--max-old-space-size=${HEAP_LIMIT_MB}`]);
    const { main, tokens } = world;
    const owner = async (method: string, path: string, body?: unknown) => {
      const a = await world.call(method, path, tokens.owner, body);
      expect(a.status, `${method} ${path}: ${JSON.stringify(a.body)}`).toBeLessThan(300);
      return a.body;
    };
    // What the admin, the owner and his scoped token may change: data of its own, never the main data.
    const wf = await owner("POST", "/api/v1/workflows", { name: "fuzz.wf", queue: "parked" });
    const task = await owner("POST", `/api/v1/workflows/${wf.id}/tasks`, { work: "w", bundleHash: main.bundle.hash, queue: "parked", jobs: [{ key: "k", args: "[]" }] });
    const job = (await owner("GET", `/api/v1/tasks/${task.id}/jobs`)).jobs[0].id as number;
    scopedToken = (await owner("POST", "/api/v1/tokens", { name: "fuzz.scoped", workflowId: wf.id })).token;
    for (let i = 0; i < 5; i++) await owner("POST", "/api/v1/tokens", { name: `fuzz.spare${i}` });
    const spare = ((await owner("GET", "/api/v1/tokens")) as Array<{ id: number; name: string }>).filter((t) => t.name.startsWith("fuzz.spare")).map((t) => t.id);
    const pilot = await world.call("POST", "/api/v1/pilots", tokens.pilot, { queue: "idle", name: "fuzz.pilot" });
    expect(pilot.status).toBe(201);
    const spareBundle = newBundle();
    const fields = (jobs: number[], workflows: number[]) => ({
      jobId: jobs,
      attempt: [1, 2],
      workflowId: workflows,
      bundleHash: [main.bundle.hash, spareBundle.hash],
      queue: ["parked", "idle"],
      queues: [["parked"], ["idle", "parked"]],
      name: ["fuzz.wf", "fz"],
      work: ["w"],
      key: ["k"],
      args: ["[]", "[1]"],
      user: ["owner", "other"],
      prefetch: [[task.id]],
      channel: ["0123456789abcdef.1"],
      resultKey: ["0".repeat(32)],
    });
    const hashes = [main.bundle.hash, spareBundle.hash];
    known = {
      privileged: {
        ids: { workflows: [wf.id], tasks: [task.id], jobs: [job], pilots: [pilot.body.id], tokens: spare },
        fields: fields([job], [wf.id]),
        hashes,
        queues: ["idle", "parked"],
      },
      unprivileged: {
        ids: { workflows: [main.workflowId, wf.id], tasks: [main.taskId, task.id], jobs: [main.jobId, job], pilots: [pilot.body.id], tokens: [main.tokenId] },
        fields: fields([main.jobId, job], [main.workflowId, wf.id]),
        hashes,
        queues: ["idle", "parked"],
      },
    };
    const doc = await world.call("GET", "/api/v1/openapi.json", null);
    operations = operationsOf(doc.body);
    pid = serverPid(world.cluster.dataDir);
  });
  afterAll(async () => {
    await dispatcher.close();
    await world?.cluster.stop();
  });

  /** The owner's data written before the fuzz, as the administrator and the owner read it. */
  async function ownerData(): Promise<string> {
    const { main, tokens } = world;
    const admin = (path: string) => world.call("GET", path, tokens.admin);
    const reads = await Promise.all([
      admin(`/api/v1/workflows/${main.workflowId}`),
      admin(`/api/v1/workflows/${main.workflowId}/steps`),
      admin(`/api/v1/tasks/${main.taskId}/results`),
      admin(`/api/v1/jobs/${main.jobId}`),
      world.call("GET", `/api/v1/bundles/${main.bundle.hash}`, tokens.owner).then((a) => ({ status: a.status, body: typeof a.body })),
      world.call("GET", "/api/v1/tokens", tokens.owner).then((a) => ({ status: a.status, body: a.body.find((t: { id: number }) => t.id === main.tokenId) })),
    ]);
    return JSON.stringify(reads.map((a) => [a.status, a.body]), null, 1);
  }

  function authorization(caller: FuzzCaller, r: Random): string | undefined {
    switch (caller) {
      case "none":
        return undefined;
      case "garbage":
        return r.pick(GARBAGE_AUTHORIZATION);
      case "scoped":
        return `Bearer ${scopedToken}`;
      default:
        return `Bearer ${world.tokens[caller]}`;
    }
  }

  async function send(req: FuzzRequest, auth: string | undefined): Promise<Outcome> {
    const headers: Record<string, string> = {};
    if (auth !== undefined) headers.authorization = auth;
    if (req.contentType) headers["content-type"] = req.contentType;
    const started = performance.now();
    const res = await request(`${world.cluster.url}${req.path}`, { method: req.method as "GET", headers, body: req.body, dispatcher });
    const ms = performance.now() - started;
    let answer = "";
    if (String(res.headers["content-type"]).startsWith("text/event-stream")) res.body.destroy();
    else answer = (await res.body.text()).slice(0, 300);
    return { status: res.statusCode, ms, answer };
  }

  /**
   * A request refused from its headers (a caller of the wrong kind, the wrong media type) is answered before
   * its body is read. A client still writing the body then may see its connection reset instead of the
   * answer, as HTTP/1.1 allows, whatever the body's size: such a request is sent once more and judged by that
   * answer. A server that fails on the request fails it twice; a reset of a request without a body is a failure.
   */
  async function sendOrResend(req: FuzzRequest, auth: string | undefined): Promise<Outcome> {
    try {
      return await send(req, auth);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if ((code !== "EPIPE" && code !== "ECONNRESET") || !req.body?.length) throw err;
      return await send(req, auth);
    }
  }

  it(`answers ${REQUESTS} hostile requests without a 5xx, each within ${MAX_MS} ms, within a ${HEAP_LIMIT_MB} MiB heap, and changes none of the owner's data`, { timeout: 900_000 }, async () => {
    console.log(`fuzz: seed ${SEED} (replay with PANDO_FUZZ_SEED=${SEED}), ${REQUESTS} requests over ${operations.length} operations`);
    expect(operations.map((o) => o.operationId).sort(), "the document has every endpoint of the route table").toEqual(Object.keys(ROUTES).sort());
    const before = await ownerData();
    const rssBefore = rssMb(pid);
    const r = new Random(SEED);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let slowest = { ms: 0, what: "" };
    let sent = 0;
    // Every operation with every caller first, then at random. Requests are made in order as workers take
    // them, so request #i is the same for a seed however the answers interleave.
    let made = 0;
    const nextItem = () => {
      if (made >= REQUESTS) return undefined;
      const i = made++;
      const everyPair = i < operations.length * FUZZ_CALLERS.length;
      const op = everyPair ? operations[i % operations.length]! : r.pick(operations);
      const caller = everyPair ? FUZZ_CALLERS[Math.floor(i / operations.length)]! : r.pick(FUZZ_CALLERS);
      const privileged = caller === "admin" || caller === "owner" || caller === "scoped";
      const req = requestFor(op, r, privileged ? known.privileged : known.unprivileged, { bigItems: BIG_ITEMS });
      return { i, op, caller, req, auth: authorization(caller, r) };
    };
    const worker = async () => {
      for (let item = nextItem(); item && failures.length < 50; item = nextItem()) {
        const { i, op, caller, req, auth } = item;
        const what = () => `#${i} ${op.operationId} (${op.method} ${op.template}) as ${caller}: ${describeRequest(req)}`;
        try {
          const out = await sendOrResend(req, auth);
          sent++;
          statuses.set(out.status, (statuses.get(out.status) ?? 0) + 1);
          if (out.ms > slowest.ms) slowest = { ms: out.ms, what: what() };
          if (out.status >= 500) failures.push(`${what()}\n  → ${out.status} ${out.answer}`);
          else if (out.ms > MAX_MS) failures.push(`${what()}\n  → took ${Math.round(out.ms)} ms (answered ${out.status})`);
        } catch (err) {
          // A body over its route's limit, or a URL and headers over --max-header, is refused from the head,
          // the connection closed while the client still writes: the server read none of it, as it should.
          const code = (err as { code?: string }).code;
          const refusedFromHead = (req.body?.length ?? 0) > limitOf(op.operationId, req) || headBytes(req, auth) > MAX_HEADER_BYTES - HEAD_MARGIN_BYTES;
          if ((code === "EPIPE" || code === "ECONNRESET") && refusedFromHead) {
            sent++;
            statuses.set(413, (statuses.get(413) ?? 0) + 1);
          } else failures.push(`${what()}\n  → no answer: ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const rssAfter = rssMb(pid);
    console.log(
      `fuzz: ${sent} answered; statuses ${JSON.stringify(Object.fromEntries(statuses))}; slowest ${Math.round(slowest.ms)} ms (${slowest.what.slice(0, 200)}); ` +
        `server RSS ${Math.round(rssBefore)} → ${Math.round(rssAfter)} MB`,
    );

    const health = await world.call("GET", "/api/v1/health", null);
    expect(health.status, "the server still answers its health check").toBe(200);
    expect.soft(failures, `seed ${SEED}: ${failures.length} requests failed:\n${failures.join("\n")}`).toEqual([]);
    expect.soft(await ownerData(), "the owner's data written before the fuzz").toBe(before);
  });

  it("answers or closes malformed HTTP at once: a truncated body, NUL in a header, an oversized header, a bad request line", async () => {
    const { port } = new URL(world.cluster.url);
    const owner = world.tokens.owner;
    const cases: Record<string, string> = {
      "a body shorter than its Content-Length": `POST /api/v1/workflows HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${owner}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":`,
      "a NUL in a header": `GET /api/v1/workflows HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${owner}\u0000\r\n\r\n`,
      "a header of 100 kB": `GET /api/v1/workflows HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(100_000)}\r\n\r\n`,
      "a bad request line": "GET\u0000 /api/v1/health HTTP/9.9\r\n\r\n",
      "a chunked body with a bad chunk size": `POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${owner}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      "both Content-Length and chunked": `POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${owner}\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    };
    const wrong: string[] = [];
    for (const [what, raw] of Object.entries(cases)) {
      const started = performance.now();
      const answer = await new Promise<string>((resolve) => {
        const socket = connect(Number(port), "127.0.0.1");
        let text = "";
        const timer = setTimeout(() => {
          socket.destroy();
          resolve(`${text}(still open after ${MAX_MS} ms)`);
        }, MAX_MS);
        socket.on("data", (c: Buffer) => (text += c.toString("latin1")));
        socket.on("error", () => undefined);
        socket.on("close", () => {
          clearTimeout(timer);
          resolve(text);
        });
        // The client sends what it has and says it is done sending.
        socket.end(raw);
      });
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
      if (status >= 500 || answer.includes("still open")) wrong.push(`${what}: ${answer.slice(0, 200)} (${Math.round(performance.now() - started)} ms)`);
    }
    expect(wrong, wrong.join("\n")).toEqual([]);
    expect((await world.call("GET", "/api/v1/health", null)).status).toBe(200);
  });
});
