// The server a `pando pilot` works for: --server with PANDO_TOKEN, or, for a local pilot of `pando run`
// (started before its server listens), what that program sends once its server does.
import { AWAIT_SERVER_ENV, isServerHandoff, type ServerHandoff } from "../core/local-pilot-start.js";

export interface PilotServer {
  server: string;
  token: string;
  /** The queue its program's server names; undefined: --queue. */
  queue?: string;
}

/** Waits for the program that started this pilot to say where its server is; exits if that program goes first. */
function handoffFromParent(): Promise<ServerHandoff> {
  return new Promise((resolve) => {
    const gone = () => process.exit(0);
    const onMessage = (msg: unknown) => {
      if (!isServerHandoff(msg)) return;
      process.off("message", onMessage);
      process.off("disconnect", gone);
      resolve(msg);
    };
    process.on("message", onMessage);
    process.once("disconnect", gone);
  });
}

/**
 * Where the pilot's server is and its token. A local pilot also takes what its program says it needs to
 * reach the server (PANDO_CA) into its environment, where its connections and executors read it.
 */
export async function pilotServer(server: string | undefined): Promise<PilotServer> {
  if (process.env[AWAIT_SERVER_ENV] === "1" && process.connected) {
    const handoff = await handoffFromParent();
    Object.assign(process.env, handoff.env);
    return { server: handoff.url, token: handoff.token, queue: handoff.queue };
  }
  if (!server) throw new Error("pando pilot needs --server <url>: the Pando server to take jobs from");
  const token = process.env.PANDO_TOKEN;
  if (!token) throw new Error("no token: set PANDO_TOKEN to a pilot token of the server");
  return { server, token };
}
