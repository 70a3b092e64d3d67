// How far a finished HPO run's wall time is from the ideal for its jobs on its slots, from the server's own record:
// the workflow's creation and end, each task's creation, each job's start and end.
//
//   npx tsx examples/hpo/overhead.ts <workflowId> <slots> [dataDir]
//
// The server is PANDO_SERVER, else the one running on dataDir (default .pando); the token PANDO_TOKEN, else the
// user token of dataDir's credentials. An embedded `pando run` stops its server when it ends: start
// `pando server --data-dir <dir>` on the run's directory to read it (README.md shows the commands).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { apiCaller } from "../../src/api/caller.js";
import { HttpTransport } from "../../src/sdk/http.js";
import { runOverhead, type IterationOverhead, type JobSpan, type TaskTiming } from "./timing.js";

function readJson<T>(path: string, what: string): T {
  if (!existsSync(path)) throw new Error(`no ${what} at ${path}`);
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

function connection(dataDir: string): { url: string; token: string } {
  const url = process.env.PANDO_SERVER ?? readJson<{ url: string }>(join(dataDir, "server.json"), `running server on ${dataDir} (start \`pando server --data-dir ${dataDir}\`)`).url;
  const token = process.env.PANDO_TOKEN ?? readJson<{ userToken: string }>(join(dataDir, "credentials.json"), "credentials").userToken;
  return { url, token };
}

/** Label and value lines with the values in one column. */
function aligned(rows: Array<[string, string]>): string[] {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
}

async function main(): Promise<void> {
  const [workflowArg, slotsArg, dataDir = ".pando"] = process.argv.slice(2);
  const workflowId = Number(workflowArg);
  const slots = Number(slotsArg);
  if (!Number.isInteger(workflowId) || !Number.isInteger(slots)) {
    throw new Error("usage: tsx examples/hpo/overhead.ts <workflowId> <slots> [dataDir]");
  }
  const { url, token } = connection(dataDir);
  const http = new HttpTransport(url, token);
  const api = apiCaller(http);
  const workflow = await api.getWorkflow({ params: { id: workflowId } });
  if (workflow.endedAt === null) throw new Error(`workflow ${workflowId} has not ended`);
  const tasks: TaskTiming[] = [];
  for (const task of workflow.tasks.filter((t) => t.kind === "work")) {
    const jobs: JobSpan[] = [];
    for (let cursor: number | null = 0; cursor !== null; ) {
      const page = await api.listJobs({ params: { id: task.id }, query: { cursor, limit: 1000, fields: "state,startedAt,endedAt" } });
      // Only jobs that finished: their times are those of the attempt that produced the result.
      for (const j of page.jobs) {
        if (j.state === "finished" && j.startedAt !== null && j.endedAt !== null) jobs.push({ startedAt: j.startedAt, endedAt: j.endedAt });
      }
      cursor = page.next;
    }
    tasks.push({ taskId: task.id, createdAt: task.createdAt, jobs });
  }
  await http.close();

  const r = runOverhead({ createdAt: workflow.createdAt, endedAt: workflow.endedAt }, tasks, slots);
  const s = (ms: number) => (ms / 1000).toFixed(2);
  const jobs = r.iterations.reduce((n, i) => n + i.jobs, 0);
  const total = (pick: (i: IterationOverhead) => number) => s(r.iterations.reduce((sum, i) => sum + pick(i), 0));
  const lines = [
    `workflow ${workflowId} (${workflow.name}, ${workflow.status}): ${tasks.length} tasks, ${jobs} finished jobs, ${slots} slots`,
    "",
    "| task | jobs | job time (s) | ideal (s) | list schedule (s) | driver before (s) | to first start (s) | jobs' span (s) |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...r.iterations.map(
      (i) => `| ${i.taskId} | ${i.jobs} | ${s(i.jobTime)} | ${s(i.lowerBound)} | ${s(i.listSchedule)} | ${s(i.beforeTask)} | ${s(i.toFirstStart)} | ${s(i.jobsSpan)} |`,
    ),
    `| all | ${jobs} | ${s(r.jobTime)} | ${s(r.ideal)} | ${s(r.listScheduled)} | ${total((i) => i.beforeTask)} | ${total((i) => i.toFirstStart)} | ${total((i) => i.jobsSpan)} |`,
    "",
    ...aligned([
      ["makespan (workflow created to ended)", `${s(r.makespan)} s`],
      ["sum of job durations", `${s(r.jobTime)} s`],
      ["ideal (sum over iterations of max(longest job, job time / slots))", `${s(r.ideal)} s`],
      ["list-scheduled (sum over iterations, jobs in order, no overhead)", `${s(r.listScheduled)} s`],
      ["overhead = makespan - ideal", `${s(r.overhead)} s (makespan / ideal = ${r.ratio.toFixed(3)})`],
      ["after the last job", `${s(r.afterLastJob)} s`],
    ]),
  ];
  console.log(lines.join("\n"));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
