// The OpenAPI 3.1 document of the REST API, generated from the endpoint table: paths, parameters, bodies and
// answers all come from the schemas the server validates with and the clients are typed by.
import { z } from "../vendor/zod.js";
import { PLAIN_LISTS } from "./bounded-list.js";
import { namedViews } from "./common.js";
import { ENDPOINT_LIST, type AnyEndpoint } from "./endpoints.js";
import { API_ERROR_CODES } from "./errors.js";
import { ACCESS, API_PREFIX, PROMETHEUS_TEXT } from "./routes.js";

type Json = Record<string, unknown>;

const COMPONENT = "#/components/schemas/";

/** A request-side schema (a body, a query parameter), inline: what a client may send. */
function inputSchema(schema: z.ZodType): Json {
  const { $schema: _schema, ...rest } = z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
    override: ({ zodSchema, jsonSchema }) => {
      const plain = PLAIN_LISTS.get(zodSchema);
      if (!plain) return;
      for (const key of Object.keys(jsonSchema)) delete (jsonSchema as Json)[key];
      Object.assign(jsonSchema, inputSchema(plain));
    },
  });
  return rest;
}

/** Answers described by a schema: JSON, text, and the lines or events of a stream (bytes and HEAD answers are not). */
const described = (e: AnyEndpoint) => e.answer !== "bytes" && e.answer !== "exists";

/** Components for every named view and every answer: named views are referred to wherever they appear. */
function answerComponents(endpoints: readonly AnyEndpoint[]): { schemas: Record<string, Json>; idOf: Map<z.ZodType, string> } {
  const registry = z.registry<{ id: string }>();
  const idOf = new Map<z.ZodType, string>();
  for (const [schema, id] of namedViews) {
    registry.add(schema, { id });
    idOf.set(schema, id);
  }
  for (const e of endpoints) {
    if (!described(e) || idOf.has(e.response)) continue;
    const id = `${e.name[0]!.toUpperCase()}${e.name.slice(1)}Answer`;
    registry.add(e.response, { id });
    idOf.set(e.response, id);
  }
  const { schemas } = z.toJSONSchema(registry, { uri: (id) => `${COMPONENT}${id}`, io: "output", unrepresentable: "any" });
  // Each is a component of this document, not a document of its own.
  const bare = Object.fromEntries(Object.entries(schemas).map(([id, { $id: _id, $schema: _schema, ...rest }]) => [id, rest as Json]));
  return { schemas: bare, idOf };
}

function parameters(e: AnyEndpoint): Json[] {
  const out: Json[] = [];
  for (const m of e.path.matchAll(/:(\w+)/g)) {
    out.push({ name: m[1], in: "path", required: true, schema: { type: m[1] === "id" || m[1] === "seq" ? "integer" : "string" } });
  }
  if (e.query) {
    for (const [name, field] of Object.entries(e.query.shape)) {
      out.push({ name, in: "query", required: false, schema: inputSchema(field as z.ZodType) });
    }
  }
  return out;
}

function requestBody(e: AnyEndpoint): Json | undefined {
  if (e.rawBody) {
    return { required: true, content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } } };
  }
  if (!e.body) return undefined;
  return { required: !e.body.safeParse(undefined).success, content: { "application/json": { schema: inputSchema(e.body) } } };
}

const ERROR = {
  description: "error: {error: {code, message}} saying what was wrong and what to do",
  content: { "application/json": { schema: { $ref: `${COMPONENT}Error` } } },
};

function responses(e: AnyEndpoint, ref: Json): Json {
  const status = String(e.status ?? 200);
  switch (e.answer ?? "json") {
    case "exists":
      // A HEAD answer has no body, not even an error's.
      return { "200": { description: "it exists" }, "404": { description: "it does not exist" }, "4XX": { description: "refused" } };
    case "bytes":
      return { [status]: { description: "its bytes", content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } } }, "4XX": ERROR };
    case "ndjson":
      return { [status]: { description: "one JSON document a line", content: { "application/x-ndjson": { schema: ref } } }, "4XX": ERROR };
    case "events":
      return {
        [status]: { description: "server-sent events: `event: change` with this data, and a comment line to keep the stream open", content: { "text/event-stream": { schema: ref } } },
        "4XX": ERROR,
      };
    case "json":
      return { [status]: { description: e.summary, content: { "application/json": { schema: ref } } }, "4XX": ERROR };
    case "prometheus":
      return { [status]: { description: "the Prometheus text exposition format", content: { [PROMETHEUS_TEXT]: { schema: ref } } }, "4XX": ERROR };
  }
}

/** The OpenAPI 3.1 document of the REST API. */
export function openApiDocument(version: string): Json {
  const { schemas, idOf } = answerComponents(ENDPOINT_LIST);
  const paths: Record<string, Record<string, Json>> = {};
  for (const e of ENDPOINT_LIST) {
    const op: Json = {
      operationId: e.name,
      tags: [e.tag],
      summary: e.summary,
      description: `Who may call it: ${ACCESS[e.access]}.`,
      "x-pando-access": e.access,
      parameters: parameters(e),
      responses: responses(e, described(e) ? { $ref: `${COMPONENT}${idOf.get(e.response)}` } : {}),
    };
    if (e.access === "public") op.security = [];
    const body = requestBody(e);
    if (body) op.requestBody = body;
    (paths[`${API_PREFIX}${e.path.replace(/:(\w+)/g, "{$1}")}`] ??= {})[e.method.toLowerCase()] = op;
  }
  return {
    openapi: "3.1.0",
    info: { title: "Pando REST API", version, description: "Function-as-a-task workflows: see docs/api.md for what each endpoint does." },
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        ...schemas,
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "message"],
              properties: { code: { type: "string", enum: Object.keys(API_ERROR_CODES) }, message: { type: "string" } },
            },
          },
        },
      },
    },
    paths,
  };
}
