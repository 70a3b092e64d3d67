// One typed caller of the whole API, a method per endpoint, over any transport: HTTP (src/sdk/http.ts),
// fetch in the browser (monitor/src/api.ts), or the embedded server's handlers in process
// (src/server/local-transport.ts). Answers are not validated here: the server's are trusted, and this is
// the hot path. No zod at run time (only its types): the web monitor's bundle imports this file.
import type { CallInput, CallOutput } from "./endpoints.js";
import { ROUTES, type EndpointName, type QueryValues, type Route } from "./routes.js";

export interface CallOptions {
  signal?: AbortSignal;
  /** Retry while the server cannot be reached, for calls that are safe to repeat (HTTP transports). */
  retryUnreachableMs?: number;
}

/** One call, as a transport gets it. */
export interface ApiCall {
  name: EndpointName;
  route: Route;
  params?: Readonly<Record<string, string | number>>;
  query?: QueryValues;
  body?: unknown;
  options: CallOptions;
}

export interface ApiTransport {
  /** The answer of one call (see CallOutput), or an ApiError. */
  request(call: ApiCall): Promise<unknown>;
}

type Args<N extends EndpointName> =
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- "{}": the endpoint needs no input
  {} extends CallInput<N> ? [input?: CallInput<N>, options?: CallOptions] : [input: CallInput<N>, options?: CallOptions];

export type ApiCaller = { readonly [N in EndpointName]: (...args: Args<N>) => Promise<CallOutput<N>> };

export function apiCaller(transport: ApiTransport): ApiCaller {
  const caller: Record<string, (input?: Omit<ApiCall, "name" | "route" | "options">, options?: CallOptions) => Promise<unknown>> = {};
  for (const [name, route] of Object.entries(ROUTES) as Array<[EndpointName, Route]>) {
    caller[name] = (input = {}, options = {}) => transport.request({ name, route, ...input, options });
  }
  return caller as unknown as ApiCaller;
}
