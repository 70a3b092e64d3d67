// `npm run bench` (monitoring part): the monitor's API and its pages in Chromium on a small database and on a
// large one (1,000 workflows, one task of 100,000 jobs), on SQLite and PostgreSQL. Pages read one page
// through an index, so the large/small ratio of each latency should stay near 1. Median of 30 calls per
// endpoint, of 5 loads per page (a full load: the page's code, its API calls, and its first render).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { apiCaller, type ApiCaller } from "../src/api/caller.js";
import { HttpTransport } from "../src/sdk/http.js";
import { CLI, startServer, stop, type Server } from "./server-process.js";
import { median, percentile } from "./stats.js";
import { endpoints, latencies } from "./monitor-calls.js";

const ROOT = resolve(import.meta.dirname, "..");
const PG = join(ROOT, "scripts", "services", "postgres.sh");
const PORT = 25451;
const CALLS = 30;
const JOBS = Number(process.env.PANDO_BENCH_MONITOR_JOBS ?? 100_000);
const WORKFLOWS = 1000;
const PAGE_LOADS = 5;


/** The typed API caller, as the user the server was started with. */
function api(s: Server): { caller: ApiCaller; close: () => Promise<void> } {
  const http = new HttpTransport(s.url, s.creds.userToken);
  return { caller: apiCaller(http), close: () => http.close() };
}

/** Fills a server: `workflows` ended workflows without tasks, then one workflow with a task of `jobs` jobs. */
async function fill(s: Server, caller: ApiCaller, workflows: number, jobs: number): Promise<{ workflowId: number; taskId: number }> {
  for (let i = 0; i < workflows - 1; i++) {
    const { id } = await caller.createWorkflow({ body: { name: `bench.empty.${i}` } });
    await caller.closeWorkflow({ params: { id }, body: { outcome: i % 10 === 0 ? "threw" : "returned", error: { message: "x" } } });
  }
  const r = spawnSync(process.execPath, [CLI, "run", "bench/monitor-load.ts#fill", String(jobs), "--json", "--quiet", "--server", s.url, "--token", s.creds.userToken], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`filling failed:\n${r.stderr}`);
  const page = await caller.listWorkflows({ query: { name: "bench.fill", limit: 1 } });
  const wf = await caller.getWorkflow({ params: { id: page.workflows[0]!.id } });
  return { workflowId: page.workflows[0]!.id, taskId: wf.tasks[0]!.id };
}

function launchChromium(): Promise<Browser> {
  const found = spawnSync(join(ROOT, "scripts", "services", "chromium.sh"), ["path"], { encoding: "utf8" });
  if (found.status !== 0) throw new Error(`the page benchmark needs Chromium (scripts/services/chromium.sh install): ${found.stderr.trim()}`);
  return chromium.launch({
    executablePath: found.stdout.trim(),
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** Time from navigation to the page showing its data (its first rows), full loads from a blank page. */
async function pageLatencies(browser: Browser, s: Server, ids: { workflowId: number; taskId: number }) {
  const page = await browser.newPage();
  // What each page shows once its data is in (the pages keep an event stream open, so "network idle" never comes).
  const pages: Array<[string, string, string[]]> = [
    ["page: workflows", "#/", ["[data-testid=workflow-row] >> nth=0"]],
    ["page: workflow with its tasks", `#/workflows/${ids.workflowId}`, ["[data-testid=task-row] >> nth=0", "[data-testid=task-bar] >> nth=0"]],
    ["page: task (jobs, errors, timeline)", `#/tasks/${ids.taskId}`, ["[data-testid=job-row] >> nth=0", "[data-testid=error-group] >> nth=0", "[data-testid=timeline]"]],
  ];
  const out: Record<string, { p50: number; p95: number }> = {};
  try {
    await page.goto(`${s.url}/#token=${s.creds.userToken}`);
    await page.waitForSelector("[data-testid=workflow-row]");
    for (const [name, hash, ready] of pages) {
      const samples: number[] = [];
      for (let i = 0; i < PAGE_LOADS + 1; i++) {
        await page.goto("about:blank");
        const t0 = performance.now();
        await page.goto(`${s.url}/${hash}`);
        for (const selector of ready) await page.waitForSelector(selector);
        if (i > 0) samples.push(performance.now() - t0);
      }
      out[name] = { p50: median(samples), p95: percentile(samples, 0.95) };
    }
  } finally {
    await page.close();
  }
  return out;
}

/** One store: a small setup (10 workflows, 1,000 jobs) and a large one, each on a fresh database. */
async function measure(browser: Browser, db: (name: string) => string | undefined) {
  const results: Record<string, Record<string, { p50: number; p95: number }>> = {};
  for (const [size, workflows, jobs] of [
    ["small", 10, 1000],
    ["large", WORKFLOWS, JOBS],
  ] as const) {
    const dir = mkdtempSync(join(tmpdir(), "pando-bench-mon-"));
    const server = await startServer(join(dir, "server"), db(size));
    const pilots = [0, 1].map((p) =>
      spawn(process.execPath, [CLI, "pilot", "--server", server.url, "--slots", "1", "--cache-dir", join(dir, `cache-${p}`)], {
        stdio: "ignore",
        env: { ...process.env, PANDO_TOKEN: server.creds.pilotToken, PANDO_LOG_LEVEL: "warn" },
      }),
    );
    const { caller, close } = api(server);
    try {
      const ids = await fill(server, caller, workflows, jobs);
      results[size] = { ...(await latencies(endpoints(caller, ids, { workflows: WORKFLOWS, jobs }), CALLS)), ...(await pageLatencies(browser, server, ids)) };
      process.stderr.write(`${size} done\n`);
    } finally {
      await close();
      await Promise.all(pilots.map(stop));
      await stop(server.proc);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return results;
}

async function main(): Promise<void> {
  const services = mkdtempSync(join(tmpdir(), "pando-bench-mon-pg-"));
  chmodSync(services, 0o755);
  const env = { ...process.env, PANDO_SERVICES_DIR: services };
  const base = execFileSync(PG, ["up", String(PORT)], { env, encoding: "utf8" }).trim();
  const stores: Record<string, Awaited<ReturnType<typeof measure>>> = {};
  const browser = await launchChromium();
  try {
    stores.SQLite = await measure(browser, () => undefined);
    stores.PostgreSQL = await measure(browser, (size) => {
      const name = `bench_monitor_${size}`;
      execFileSync("psql", [base, "-qc", `DROP DATABASE IF EXISTS ${name}`, "-c", `CREATE DATABASE ${name}`], { stdio: "ignore" });
      return base.replace(/\/pando$/, `/${name}`);
    });
  } finally {
    await browser.close();
    execFileSync(PG, ["down", String(PORT)], { env, stdio: "ignore" });
    rmSync(services, { recursive: true, force: true });
  }
  const names = Object.keys(stores.SQLite!.small!);
  const lines = [
    `Median (p95) in ms of ${CALLS} API calls or ${PAGE_LOADS} page loads; small: 10 workflows, 1,000 jobs; large: ${WORKFLOWS} workflows, a task of ${JOBS} jobs.`,
    "",
    "| endpoint or page | SQLite small | SQLite large | ratio | PostgreSQL small | PostgreSQL large | ratio |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...names.map((n) => {
      const cell = (store: string, size: string) => {
        const v = stores[store]![size]![n]!;
        return `${v.p50.toFixed(2)} (${v.p95.toFixed(2)})`;
      };
      const ratio = (store: string) => (stores[store]!.large![n]!.p50 / stores[store]!.small![n]!.p50).toFixed(2);
      return `| ${n} | ${cell("SQLite", "small")} | ${cell("SQLite", "large")} | ${ratio("SQLite")} | ${cell("PostgreSQL", "small")} | ${cell("PostgreSQL", "large")} | ${ratio("PostgreSQL")} |`;
    }),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(join(ROOT, "bench", "results", "monitor.json"), `${JSON.stringify({ date: new Date().toISOString(), stores }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
