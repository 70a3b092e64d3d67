// How `pando run` starts its local pilots before its server listens: each pilot process starts at once and
// loads its code, may be asked to start executors for the run's program meanwhile, then hears over its IPC
// channel where the server is and the token to use.

/** Set in a local pilot's environment: it waits for a ServerHandoff instead of reading --server and PANDO_TOKEN. */
export const AWAIT_SERVER_ENV = "PANDO_PILOT_AWAIT_SERVER";

/** What the program that started a local pilot sends it once its server listens. */
export interface ServerHandoff {
  t: "server";
  url: string;
  token: string;
  /** The queue to serve: the server's default queue, known once it has read its queues file. */
  queue: string;
  /** What the pilot needs besides the token to reach the server (PANDO_CA for an HTTPS one). */
  env: Record<string, string>;
  /** The run's user, whose jobs the executors started on a PrewarmRequest run; without it they are stopped. */
  owner?: number;
}

export function isServerHandoff(msg: unknown): msg is ServerHandoff {
  const m = msg as Partial<ServerHandoff> | null;
  return (
    m?.t === "server" &&
    typeof m.url === "string" &&
    typeof m.token === "string" &&
    typeof m.queue === "string" &&
    typeof m.env === "object" &&
    m.env !== null &&
    (m.owner === undefined || Number.isSafeInteger(m.owner))
  );
}

/**
 * What the program asks its local pilots before its server listens: to start their executors for its program,
 * its bundle and project already placed in their cache directory.
 */
export interface PrewarmRequest {
  t: "prewarm";
  bundleHash: string;
  projectHash?: string;
  /** The limits the server will give the pilots for their executors' results and output. */
  maxPayloadBytes: number;
  maxLogChars: number;
  /** The embedded server's data directory: hidden from the executors before the server writes its credentials there. */
  dataDir: string;
}

/** The run's program, placed in the pilots' cache directory: what a prewarm starts executors for. */
export type PrewarmCode = Pick<PrewarmRequest, "bundleHash" | "projectHash">;

/** What the server tells its pilots to hold their executors' results and output to. */
export type ExecutorLimits = Pick<PrewarmRequest, "maxPayloadBytes" | "maxLogChars">;

export function isPrewarmRequest(msg: unknown): msg is PrewarmRequest {
  const m = msg as Partial<PrewarmRequest> | null;
  return (
    m?.t === "prewarm" &&
    typeof m.bundleHash === "string" &&
    (m.projectHash === undefined || typeof m.projectHash === "string") &&
    Number.isSafeInteger(m.maxPayloadBytes) &&
    Number.isSafeInteger(m.maxLogChars) &&
    typeof m.dataDir === "string"
  );
}
