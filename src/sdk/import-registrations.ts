import { pathToFileURL } from "node:url";
import { registry } from "./registry.js";

/**
 * Imports a bundle only for the works and workflows it registers. A workflow its top-level code calls is not
 * run (DESIGN.md: a worker never re-runs the driver); if the module waits on such a call, the import is
 * considered done at that point and undefined is returned instead of the module.
 */
export async function importForRegistrations(path: string): Promise<Record<string, unknown> | undefined> {
  const loading = registry().loading;
  loading.active = true;
  const driverReached = new Promise<undefined>((resolve) => {
    loading.onDriverCall = () => setImmediate(() => resolve(undefined));
  });
  return Promise.race([import(pathToFileURL(path).href) as Promise<Record<string, unknown>>, driverReached]);
}
