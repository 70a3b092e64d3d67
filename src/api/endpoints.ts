// The endpoint table: every endpoint's route (routes.ts) joined to its schemas (the file of its resource).
// It drives the server's routes, the OpenAPI document and, through its types, every client (caller.ts).
import type { z } from "zod";
import { bundleEndpoints } from "./bundles.js";
import type { Contract } from "./contract.js";
import { monitoringEndpoints } from "./monitoring.js";
import { pilotEndpoints } from "./pilots.js";
import { queueEndpoints } from "./queues.js";
import { resultEndpoints } from "./results.js";
import { ROUTES, type EndpointName, type Route } from "./routes.js";
import { serverEndpoints } from "./server-info.js";
import { siteEndpoints } from "./sites.js";
import { taskEndpoints } from "./tasks.js";
import { tokenEndpoints } from "./tokens.js";
import { workflowEndpoints } from "./workflows.js";

/** The endpoints of each resource, under the tag the OpenAPI document groups them by. */
const RESOURCES = {
  server: serverEndpoints,
  workflows: workflowEndpoints,
  tasks: taskEndpoints,
  results: resultEndpoints,
  monitoring: monitoringEndpoints,
  code: bundleEndpoints,
  queues: queueEndpoints,
  sites: siteEndpoints,
  tokens: tokenEndpoints,
  pilots: pilotEndpoints,
} as const;

const CONTRACTS = {
  ...serverEndpoints,
  ...workflowEndpoints,
  ...taskEndpoints,
  ...resultEndpoints,
  ...monitoringEndpoints,
  ...bundleEndpoints,
  ...queueEndpoints,
  ...siteEndpoints,
  ...tokenEndpoints,
  ...pilotEndpoints,
} satisfies Record<EndpointName, Contract>;

type Contracts = typeof CONTRACTS;

export type Endpoint<N extends EndpointName = EndpointName> = (typeof ROUTES)[N] &
  Contracts[N] & {
    name: N;
    /** The resource it belongs to. */
    tag: keyof typeof RESOURCES;
  };

function joinTable(): { [N in EndpointName]: Endpoint<N> } {
  const table: Record<string, Route & Contract & { name: string; tag: string }> = {};
  for (const [tag, contracts] of Object.entries(RESOURCES)) {
    for (const name of Object.keys(contracts)) {
      const route = (ROUTES as Record<string, Route>)[name];
      if (!route) throw new Error(`the endpoint ${name} of ${tag} has no route in routes.ts`);
      if (table[name]) throw new Error(`the endpoint ${name} is declared twice`);
      table[name] = { ...route, ...(CONTRACTS as Record<string, Contract>)[name]!, name, tag };
    }
  }
  const missing = Object.keys(ROUTES).filter((name) => !table[name]);
  if (missing.length > 0) throw new Error(`routes without schemas: ${missing.join(", ")}`);
  return table as unknown as { [N in EndpointName]: Endpoint<N> };
}

export const ENDPOINTS = joinTable();

/** Any endpoint of the table, for code that treats them all alike (routes, the OpenAPI document). */
export type AnyEndpoint = Route & Contract & { name: EndpointName; tag: keyof typeof RESOURCES };

export const ENDPOINT_LIST: readonly AnyEndpoint[] = Object.values(ENDPOINTS);

// ---- what callers send and get, and what handlers take and return, derived from the table --------------

type Has<N extends EndpointName, K extends string> = Contracts[N] extends Record<K, z.ZodType> ? true : false;
type Schema<N extends EndpointName, K extends string> = Contracts[N] extends Record<K, infer S extends z.ZodType> ? S : never;
type Answer<N extends EndpointName> = (typeof ROUTES)[N] extends { answer: infer A } ? A : "json";
type RawBody<N extends EndpointName> = (typeof ROUTES)[N] extends { rawBody: true } ? true : false;

/** What a caller sends: path parameters, query and body, each only where the endpoint has them. */
export type CallInput<N extends EndpointName> = (Has<N, "params"> extends true ? { params: z.output<Schema<N, "params">> } : unknown) &
  (Has<N, "query"> extends true ? { query?: z.input<Schema<N, "query">> } : unknown) &
  (RawBody<N> extends true
    ? { body: Uint8Array }
    : Has<N, "body"> extends true
      ? undefined extends z.input<Schema<N, "body">>
        ? { body?: z.input<Schema<N, "body">> }
        : { body: z.input<Schema<N, "body">> }
      : unknown);

/** The input of a handler, parsed with the endpoint's schemas. */
export interface HandlerInput<N extends EndpointName> {
  params: Has<N, "params"> extends true ? z.output<Schema<N, "params">> : Record<string, never>;
  query: Has<N, "query"> extends true ? z.output<Schema<N, "query">> : Record<string, never>;
  body: RawBody<N> extends true ? Uint8Array : Has<N, "body"> extends true ? z.output<Schema<N, "body">> : undefined;
}

/** A stream of bytes: JSON lines, or server-sent events. */
export type ByteStream = AsyncIterable<Uint8Array>;

/** What a caller gets. */
export type CallOutput<N extends EndpointName> = Answer<N> extends "ndjson" | "events" ? ByteStream : z.output<Schema<N, "response">>;

/** What a handler returns: the answer, or for streams the records (JSON lines) or events (null: a keep-alive). */
export type HandlerOutput<N extends EndpointName> =
  Answer<N> extends "ndjson"
    ? AsyncIterable<z.output<Schema<N, "response">>>
    : Answer<N> extends "events"
      ? AsyncIterable<z.output<Schema<N, "response">> | null>
      : z.output<Schema<N, "response">>;
