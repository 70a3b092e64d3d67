import { uploadBundle } from "../bundle/upload.js";
import { HttpPandoClient } from "./client.js";
import type { DriverEnvironment, ShippedCode } from "./driver-env.js";
import { WorkflowError } from "./errors.js";

let cached: DriverEnvironment | undefined;

/**
 * The driver environment of a program started without `pando run`: the server named by PANDO_SERVER, the
 * token in PANDO_TOKEN, and a bundle of the module that defines the workflow. Undefined if PANDO_SERVER is unset.
 */
export function environmentFromProcess(): DriverEnvironment | undefined {
  if (cached) return cached;
  const server = process.env.PANDO_SERVER;
  if (!server) return undefined;
  const token = process.env.PANDO_TOKEN;
  if (!token) {
    throw new WorkflowError(
      "PANDO_SERVER is set but PANDO_TOKEN is not: set PANDO_TOKEN to a token of that server (`pando token create`)",
    );
  }
  const client = new HttpPandoClient(server, token);
  const bundles = new Map<string, Promise<ShippedCode>>();
  cached = {
    client,
    queue: process.env.PANDO_QUEUE,
    bundle: (definedIn) => {
      if (definedIn === undefined) {
        return Promise.reject(
          new WorkflowError("cannot tell which file defines the workflow; run the program with `pando run <file>`"),
        );
      }
      let pending = bundles.get(definedIn);
      if (!pending) {
        pending = bundleAndUpload(client, definedIn);
        bundles.set(definedIn, pending);
      }
      return pending;
    },
  };
  return cached;
}

/**
 * Bundles the module that defines a workflow and puts it in the server's code cache, with the archive of its
 * project directory. The bundler (esbuild) loads here, with the first remote workflow: a program that only
 * defines works never loads it.
 */
async function bundleAndUpload(client: HttpPandoClient, definedIn: string): Promise<ShippedCode> {
  const { bundleEntry } = await import("../bundle/bundler.js");
  const { packProjectOf, shipProject } = await import("../bundle/project-ship.js");
  const b = await bundleEntry(definedIn);
  await uploadBundle(client, b);
  const project = await shipProject(client, packProjectOf(definedIn));
  return { hash: b.hash, lockfileHash: b.lockfileHash, projectHash: project?.hash };
}
