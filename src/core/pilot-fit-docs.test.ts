// The Slurm queues the documentation gives for the single-node cluster of scripts/services/slurm.sh must fit
// it: copied as they are, they start pilots, even on a 2-core machine.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { pilotFitProblem, type BatchNode } from "./pilot-fit.js";
import { parseQueuesFile } from "./queue-config.js";

const ROOT = resolve(import.meta.dirname, "../..");
/** The smallest node slurm.sh makes: the machine's CPUs (2 here) and 2000 MB, in its default partition debug. */
const SCRIPT_NODE: BatchNode = { name: "node", partition: "debug", isDefault: true, cpus: 2, memoryMb: 2000, timeLimitMs: null };

/** The queues files (JSON blocks declaring queues) of a Markdown page. */
function queuesFilesIn(page: string) {
  const text = readFileSync(join(ROOT, page), "utf8");
  return [...text.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((block) => block.includes('"queues"'));
}

describe("the documented Slurm queues for scripts/services/slurm.sh", () => {
  for (const page of ["examples/hpo/README.md", "docs/queues.md"]) {
    it(`fit its node in ${page}`, () => {
      const queues = queuesFilesIn(page).flatMap((file) => parseQueuesFile(file, page));
      const slurm = queues.filter((q) => q.backend === "slurm" && q.slurm?.partition === "debug");
      expect(slurm.length).toBeGreaterThan(0);
      for (const q of slurm) expect(pilotFitProblem(q, [SCRIPT_NODE], "Slurm")).toBeUndefined();
    });
  }
});
