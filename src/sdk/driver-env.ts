// How a workflow run started in this process finds its server and its code bundle. `pando run` sets the
// environment explicitly; a program started otherwise can point at a server with PANDO_SERVER and
// PANDO_TOKEN, and then its workflow's own module is bundled.
import type { PandoClient } from "./client.js";
import type { TaskProgress } from "./context.js";

/** What a workflow's code is in the server's code cache. */
export interface ShippedCode {
  hash: string;
  lockfileHash: string | null;
  projectHash?: string;
}

export interface DriverEnvironment {
  client: PandoClient;
  /**
   * Returns the code bundle's hash and the project archive's (none if the project ships none), uploading
   * them to the server's code cache the first time.
   */
  bundle(definedIn: string | undefined): Promise<ShippedCode>;
  /** Default queue of workflows started here. */
  queue?: string;
  /**
   * `pando run --resume <id>`: the id of the workflow the first call of workflow `name` continues
   * (once; later calls start new workflows).
   */
  takeResume?(name: string): number | undefined;
  /** A workflow is called or submitted here (in-process ones too), before it starts. */
  onWorkflowCall?(name: string): void;
  onWorkflowStart?(id: number, name: string): void;
  onWorkflowEnd?(id: number, status: string): void;
  /**
   * The workflow was killed or suspended while its body ran: the driver ended without it, and the body is
   * abandoned (it may still hold timers or sockets; the program should exit rather than wait for it).
   */
  onDriverStopped?(id: number): void;
  onProgress?(progress: TaskProgress): void;
  /** Something the user should know that did not stop the run (a forged result message, say). */
  onWarning?(message: string): void;
}

const KEY = Symbol.for("pando.driverEnvironment");

type Holder = { [KEY]?: DriverEnvironment };

export function setDriverEnvironment(env: DriverEnvironment | undefined): void {
  (globalThis as Holder)[KEY] = env;
}

export function driverEnvironment(): DriverEnvironment | undefined {
  return (globalThis as Holder)[KEY];
}
