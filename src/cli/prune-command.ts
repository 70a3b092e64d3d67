import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { ApiError } from "../api/errors.js";
import type { PruneCounts } from "../api/monitoring.js";
import { FINAL_WORKFLOW_STATUSES } from "../core/states.js";
import type { ClientFlags } from "./client-options.js";
import { withServer } from "./server-call.js";

export interface PruneFlags extends ClientFlags {
  olderThan: number;
  status?: string;
  user?: string;
  archive?: string;
  dryRun?: boolean;
}

const PAGE = 200;

/**
 * `pando prune`: deletes the state of workflows that ended longer ago than --older-than, optionally writing
 * each to `<archive>/workflow-<id>.jsonl.gz` first. Running workflows are never listed (only ended ones
 * are), and the server refuses any that is still running or whose jobs pilots still hold.
 */
export async function pruneCommand(flags: PruneFlags): Promise<number> {
  const statuses = (flags.status ?? [...FINAL_WORKFLOW_STATUSES].join(",")).split(",");
  for (const s of statuses) {
    if (!FINAL_WORKFLOW_STATUSES.has(s as never)) {
      throw new Error(`'${s}' is not the status of an ended workflow; use ${[...FINAL_WORKFLOW_STATUSES].join(", ")}`);
    }
  }
  const cutoff = Date.now() - flags.olderThan;
  const totals: PruneCounts = { workflows: 0, tasks: 0, jobs: 0, attempts: 0, steps: 0, tokens: 0 };
  const kept: Array<{ id: number; reason: string }> = [];
  const chosen: number[] = [];
  await withServer(flags, async (api) => {
    if (flags.archive) mkdirSync(flags.archive, { recursive: true });
    const query = { status: statuses.join(","), endedBefore: cutoff, limit: PAGE, fields: "id", user: flags.user || undefined };
    // Pages are read first: deleting while paging would move the cursor under our feet.
    for (let cursor: number | undefined; ; ) {
      const page = await api.listWorkflows({ query: { ...query, cursor } });
      chosen.push(...page.workflows.map((w) => w.id));
      if (page.next === null) break;
      cursor = page.next;
    }
    for (const id of chosen) {
      if (flags.dryRun) continue;
      if (flags.archive) {
        const file = join(flags.archive, `workflow-${id}.jsonl.gz`);
        await pipeline(await api.archiveWorkflow({ params: { id } }), createGzip(), createWriteStream(file));
      }
      try {
        const counts = await api.deleteWorkflow({ params: { id } });
        for (const k of Object.keys(totals) as Array<keyof PruneCounts>) totals[k] += counts[k];
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 409) throw err;
        kept.push({ id, reason: err.message });
      }
    }
  });
  const summary = { cutoff, dryRun: flags.dryRun === true, workflows: chosen, deleted: totals, kept, archive: flags.archive ?? null };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } else if (flags.dryRun) {
    process.stdout.write(`would delete ${chosen.length} workflow(s) that ended before ${new Date(cutoff).toISOString()}: ${chosen.join(" ") || "none"}\n`);
  } else {
    process.stdout.write(
      `deleted ${totals.workflows} workflow(s), ${totals.tasks} task(s), ${totals.jobs} job(s), ${totals.attempts} attempt(s)` +
        (flags.archive ? `; archived to ${flags.archive}` : "") +
        "\n",
    );
    for (const k of kept) process.stdout.write(`kept workflow ${k.id}: ${k.reason}\n`);
  }
  return 0;
}
