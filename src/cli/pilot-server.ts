// The server a `pando pilot` works for: --server with PANDO_TOKEN, or, for a local pilot of `pando run`
// (started before its server listens), what that program sends once its server does. Such a pilot may be
// asked meanwhile to start executors for the program (a PrewarmRequest), which it takes once told its server.
import { AWAIT_SERVER_ENV, isPrewarmRequest, isServerHandoff, type PrewarmRequest, type ServerHandoff } from "../core/local-pilot-start.js";
import type { PrewarmedExecutor } from "../pilot/prewarmed-executor.js";

export interface PilotServer {
  server: string;
  token: string;
  /** The queue its program's server names; undefined: --queue. */
  queue?: string;
  /** Executors started before the server was known, for the run's user (a local pilot's PrewarmRequest). */
  prewarmed?: { executors: PrewarmedExecutor[]; owner: number };
}

/** A local pilot's channel to the program that started it. */
export interface ProgramChannel {
  /** Where the server is, once the program says. */
  readonly handoff: Promise<ServerHandoff>;
  /**
   * Calls `start` with the program's request to start executors if it comes before the handoff: now if it
   * came already, even when the handoff came too (a pilot slower to load its code than its server to start
   * still starts them before it registers), or when it comes.
   */
  onPrewarm(start: (request: PrewarmRequest) => void): void;
}

/**
 * Listens to the program that started this pilot, if it is a local pilot of `pando run`: at once, since the
 * program may ask for executors before the pilot has loaded its code; exits if that program goes first.
 */
export function listenToProgram(): ProgramChannel | undefined {
  if (process.env[AWAIT_SERVER_ENV] !== "1" || !process.connected) return undefined;
  let request: PrewarmRequest | undefined;
  let starter: ((request: PrewarmRequest) => void) | undefined;
  const handoff = new Promise<ServerHandoff>((settle) => {
    const gone = () => process.exit(0);
    const onMessage = (msg: unknown) => {
      if (isPrewarmRequest(msg)) {
        request = msg;
        starter?.(msg);
      } else if (isServerHandoff(msg)) {
        process.off("message", onMessage);
        process.off("disconnect", gone);
        settle(msg);
      }
    };
    process.on("message", onMessage);
    process.once("disconnect", gone);
  });
  return {
    handoff,
    onPrewarm: (start) => {
      starter = start;
      if (request) start(request);
    },
  };
}

/**
 * Where the pilot's server is and its token. A local pilot also takes what its program says it needs to
 * reach the server (PANDO_CA) into its environment, where its connections and executors read it, and the
 * executors it started on the program's request, for the run's user (stopped if the program names none).
 */
export async function pilotServer(server: string | undefined, program: ProgramChannel | undefined, prewarmed: PrewarmedExecutor[] = []): Promise<PilotServer> {
  if (program) {
    const handoff = await program.handoff;
    Object.assign(process.env, handoff.env);
    if (handoff.owner === undefined) for (const p of prewarmed) p.executor.kill();
    const taken = handoff.owner === undefined || prewarmed.length === 0 ? undefined : { executors: prewarmed, owner: handoff.owner };
    return { server: handoff.url, token: handoff.token, queue: handoff.queue, prewarmed: taken };
  }
  if (!server) throw new Error("pando pilot needs --server <url>: the Pando server to take jobs from");
  const token = process.env.PANDO_TOKEN;
  if (!token) throw new Error("no token: set PANDO_TOKEN to a pilot token of the server");
  return { server, token };
}
