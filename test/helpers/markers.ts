import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { until } from "./until.js";

/** What the `marked` work of `test/fixtures/core.ts` writes when it starts: where it runs, and as which job. */
export interface JobMarker {
  pilotPid: number;
  i: number;
  job: { jobId: number; workflowId: number; attempt: number };
}

/**
 * The first marker a `marked` job leaves in `dir`, once one is there. The work writes each marker under a
 * temporary name and renames it, so a `.json` file seen here is whole.
 */
export function firstMarker(dir: string): Promise<JobMarker> {
  return until("a job to start", () => {
    const first = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith(".json")) : undefined;
    return first === undefined ? undefined : (JSON.parse(readFileSync(join(dir, first), "utf8")) as JobMarker);
  });
}
