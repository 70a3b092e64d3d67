// `npm run bench` (part): the makespan of the HPO-shaped workflow of the tests across hosts and sites
// (test/fixtures/multi-host.ts: iterations × 4 points, each job a fixed MS; half of each iteration's points on
// a task that may run on either queue, half on one for the second queue), in the namespaced test network of
// test/helpers/multi-host.ts, in two set-ups with the same four one-slot pilots, alternated in one run:
//   one host   a server on the central host with its own PostgreSQL database and ActiveMQ broker, its own
//              queues `campus/cpu` and `hpc/cpu` (two local pilots each, started by the server there), and the
//              driver on the central host too;
//   two sites  the main server, the campus site's two local pilots started by its agent on the site host,
//              the hpc site's two pilots Slurm jobs on the cluster's two nodes, the driver on the user host.
// TLS everywhere in both. The ideal makespan is ITERATIONS × MS. Median of PANDO_BENCH_REPEAT runs (default
// 3) after one unrecorded run of each (it starts the pilots). Needs root (network namespaces) and Slurm's
// packages (scripts/services/slurm-cluster.sh installs them).
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { CAMPUS_QUEUE, HPC_QUEUE, type Hpo } from "../test/fixtures/multi-host.js";
import { SITE_QUEUE, startMultiHost, type DriverPlace, type MultiHost } from "../test/helpers/multi-host.js";
import { median } from "./stats.js";

const ROOT = resolve(import.meta.dirname, "..");
const REPEAT = Number(process.env.PANDO_BENCH_REPEAT ?? 3);
const ITERATIONS = 10;
const POINTS = 4;
const MS = 1000;
const IDEAL_MS = ITERATIONS * MS;
/** The one-host server's port and its broker's (STOMP; over TLS on the next one), beside the main server's. */
const ONE_HOST_PORT = 8721;
const ONE_HOST_BROKER_PORT = 61623;

interface Measured {
  /** In the driver: from the first iteration's submission to the last one's results. */
  makespanMs: number;
  /** The whole `pando run` on its host: start, project upload, the iterations, the end. */
  wallMs: number;
}

async function run(world: MultiHost, setup: string, place: DriverPlace, iterations: number): Promise<Measured> {
  const shape: Omit<Hpo, "dir"> = { iterations, points: POINTS, ms: MS };
  const t0 = performance.now();
  const r = await world.runHpo(shape, place).done;
  const wallMs = performance.now() - t0;
  if (r.code !== 0 || r.value?.evaluations?.length !== iterations * POINTS) throw new Error(`the run (${setup}) failed:\n${r.output}`);
  return { makespanMs: r.value.makespanMs as number, wallMs };
}

async function main(): Promise<void> {
  const world = await startMultiHost();
  try {
    const { name: _site, ...perQueue } = SITE_QUEUE;
    const queuesFile = join(world.dir, "one-host-queues.json");
    writeFileSync(queuesFile, JSON.stringify({ queues: [CAMPUS_QUEUE, HPC_QUEUE].map((name) => ({ name, ...perQueue })) }));
    const oneHost = await world.startServer("onehost", ONE_HOST_PORT, ONE_HOST_BROKER_PORT, ["--queues-file", queuesFile]);
    const setups: Array<{ name: string; place: DriverPlace }> = [
      { name: "one host", place: { host: "central", server: oneHost } },
      { name: "two sites", place: {} },
    ];
    for (const s of setups) await run(world, s.name, s.place, 1);
    const runs = new Map<string, Measured[]>(setups.map((s) => [s.name, []]));
    for (let i = 0; i < REPEAT; i++) {
      // Alternate the order too, so that neither always runs on a warmer machine.
      for (const s of i % 2 === 0 ? setups : [...setups].reverse()) runs.get(s.name)!.push(await run(world, s.name, s.place, ITERATIONS));
      process.stderr.write(`multi-site: run ${i + 1}/${REPEAT} done\n`);
    }
    const seconds = (ms: number) => (ms / 1000).toFixed(2);
    const makespan = (name: string) => median(runs.get(name)!.map((r) => r.makespanMs));
    const rows = setups.map((s) => {
      const all = runs.get(s.name)!;
      return (
        `| ${s.name} | ${seconds(makespan(s.name))} | ${(makespan(s.name) / IDEAL_MS).toFixed(3)} | ` +
        `${(makespan(s.name) / makespan("one host")).toFixed(3)} | ${all.map((r) => seconds(r.makespanMs)).join(" / ")} | ` +
        `${seconds(median(all.map((r) => r.wallMs)))} |`
      );
    });
    process.stdout.write(
      [
        `${ITERATIONS} iterations × ${POINTS} jobs of ${MS} ms on 4 one-slot pilots, TLS everywhere; ideal ${seconds(IDEAL_MS)} s. ` +
          `${cpus().length} cores, Node ${process.version}; median of ${REPEAT} alternated runs.`,
        "",
        "| set-up | makespan, s | × ideal | × one host | runs, s | whole `pando run`, s |",
        "| --- | --- | --- | --- | --- | --- |",
        ...rows,
      ].join("\n") + "\n",
    );
    mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
    writeFileSync(join(ROOT, "bench", "results", "multi-site.json"), `${JSON.stringify({ date: new Date().toISOString(), runs: Object.fromEntries(runs) }, null, 2)}\n`);
  } finally {
    world.teardown();
  }
}

await main();
