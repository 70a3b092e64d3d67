import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { parseInput } from "../api/endpoint-input.js";
import { ENDPOINT_LIST, type AnyEndpoint } from "../api/endpoints.js";
import { ApiError, forbidden } from "../api/errors.js";
import { heldRequestKind } from "../core/metric-labels.js";
import { API_PREFIX, PROMETHEUS_TEXT } from "../api/routes.js";
import { eventFrame, EVENT_STREAM_HEAD, ndjsonLine } from "../api/streams.js";
import { bodyLimit, type BodyLimitSettings } from "./body-limits.js";
import { wrongKind } from "./caller-kind.js";
import type { Handlers } from "./handlers.js";
import type { ServerMetrics } from "./metrics.js";
import { clientGone, NEVER_ABORTED, principalOf } from "./http-util.js";
import type { WaitLimits, WaitPool } from "./wait-limits.js";

/**
 * The pool a request holds a place in while it is open: pilots' acquires, and users' waits; none for a
 * request answered at once. A request waits when it is a stream (events, an archive's lines) or a long-poll
 * that asks to (waitMs in its query or body).
 */
function waitPool(e: AnyEndpoint, input: { query?: unknown; body?: unknown }): WaitPool | undefined {
  const streams = e.answer === "events" || e.answer === "ndjson";
  if (!streams && !(e.waits && (waitOf(input.query) > 0 || waitOf(input.body) > 0))) return undefined;
  return e.name === "acquire" ? "pilots" : "users";
}

const waitOf = (part: unknown) => (part as { waitMs?: number } | undefined)?.waitMs ?? 0;

/** The bearer token of a request, which the auth hook checked. */
const tokenOf = (req: FastifyRequest) => req.headers.authorization ?? "";

/** Every endpoint's URL as fastify writes it: the prefix, then the path with its `:name` parameters. */
export const routeUrl = (e: AnyEndpoint) => `${API_PREFIX}${e.path}`;

type AnyHandler = (p: unknown, input: unknown, signal: AbortSignal) => unknown;

/**
 * The routes of the API, one per endpoint of the table: each parses its input with the endpoint's schemas,
 * calls its handler and sends the answer as the endpoint says (JSON, bytes, exists, JSON lines, events).
 */
export function apiRoutes(
  app: FastifyInstance,
  handlers: Handlers,
  limits: BodyLimitSettings,
  onStreamError: (err: unknown, e: AnyEndpoint) => void,
  waits: WaitLimits,
  metrics: Pick<ServerMetrics, "holding">,
  endpoints: readonly AnyEndpoint[] = ENDPOINT_LIST,
): void {
  // A GET whose path has its own HEAD endpoint must not also answer HEAD as fastify does by default.
  const ownHead = new Set(endpoints.filter((e) => e.method === "HEAD").map((e) => e.path));
  for (const e of endpoints) {
    const handler = handlers[e.name] as AnyHandler;
    const held = heldRequestKind(e.name, e.answer === "events" || e.answer === "ndjson");
    app.route({
      method: e.method,
      url: routeUrl(e),
      ...(e.method === "GET" && ownHead.has(e.path) ? { exposeHeadRoute: false } : {}),
      bodyLimit: bodyLimit(e, limits).bytes,
      onRequest: async (req: FastifyRequest) => {
        if (e.access === "public") return;
        const why = wrongKind(e.access, principalOf(req), `${e.method} ${routeUrl(e)}`);
        if (why) throw forbidden(why);
      },
      preParsing: async (req: FastifyRequest) => requireMediaType(req, e.rawBody ? "application/octet-stream" : "application/json"),
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        const input = parseInput(e, { params: req.params, query: req.query, body: req.body });
        const p = e.access === "public" ? null : principalOf(req);
        const pool = waitPool(e, input as { query?: unknown; body?: unknown });
        if (pool !== undefined && p !== null) {
          const lease = waits.enter(pool, tokenOf(req), p);
          const holding = metrics.holding(held.series, held.kind);
          // The response's end, or its connection's: a stream's handler returns long before either.
          reply.raw.once("close", () => {
            lease.release();
            holding();
          });
        }
        const answer = await handler(p, input, e.waits ? clientGone(reply) : NEVER_ABORTED);
        return send(e, answer, reply, onStreamError);
      },
    });
  }
}

/**
 * A body must be of the endpoint's one media type (JSON, or raw bytes for an upload): any other is 415
 * before it is read, whatever parser the server may have for it.
 */
function requireMediaType(req: FastifyRequest, expected: string): void {
  const hasBody = Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] !== undefined;
  if (!hasBody) return;
  const type = req.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  if (type === expected) return;
  throw new ApiError(
    415,
    "unsupported_media_type",
    `${req.method} ${req.routeOptions.url} takes a body of Content-Type ${expected}, not ${type ? `'${type}'` : "none"}; send ${expected}`,
  );
}

async function send(e: AnyEndpoint, answer: unknown, reply: FastifyReply, onStreamError: (err: unknown, e: AnyEndpoint) => void): Promise<unknown> {
  switch (e.answer ?? "json") {
    case "json":
      reply.code(e.status ?? 200);
      return answer;
    case "prometheus":
      reply.type(PROMETHEUS_TEXT);
      return answer;
    case "bytes": {
      const bytes = answer as Uint8Array;
      reply.type("application/octet-stream");
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    case "exists":
      reply.code(answer ? 200 : 404);
      return "";
    case "ndjson": {
      const records = answer as AsyncIterable<unknown>;
      reply.type("application/x-ndjson");
      return reply.send(Readable.from(lines(records)));
    }
    case "events": {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
      res.write(EVENT_STREAM_HEAD);
      try {
        for await (const event of answer as AsyncIterable<unknown>) res.write(eventFrame(event));
      } catch (err) {
        onStreamError(err, e);
      }
      res.end();
      return reply;
    }
  }
}

async function* lines(records: AsyncIterable<unknown>): AsyncGenerator<string> {
  for await (const r of records) yield ndjsonLine(r);
}
