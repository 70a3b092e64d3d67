// How `pando run` starts its local pilots before its server listens: each pilot process starts at once and
// loads its code, then hears over its IPC channel where the server is and the token to use.

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
}

export function isServerHandoff(msg: unknown): msg is ServerHandoff {
  const m = msg as Partial<ServerHandoff> | null;
  return m?.t === "server" && typeof m.url === "string" && typeof m.token === "string" && typeof m.queue === "string" && typeof m.env === "object" && m.env !== null;
}
