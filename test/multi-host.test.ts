// Pando across hosts: a test network of network namespaces (test/helpers/netns.ts) with a central host (the
// server on its public address, PostgreSQL, ActiveMQ), a site whose pilots are started by hand, a Slurm site
// (a controller and two compute nodes, each a host of its own) whose pilots are batch jobs, and a user host
// running the driver. The server is reached only through its address on the test network.
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BROKER_ENV } from "./helpers/broker.js";
import { checkCapture, ensureTcpdump, startCapture } from "./helpers/capture.js";
import { CLI, ROOT, type Credentials } from "./helpers/cluster.js";
import { createNetwork, networkNamespaces, type HostProcess, type TestNetwork } from "./helpers/netns.js";
import { until } from "./helpers/until.js";
import type { Evaluation, Hpo } from "./fixtures/multi-host.js";

const SERVICES = join(ROOT, "scripts", "services");
const TARGET = "test/fixtures/multi-host.ts#hpo";
const SERVER_PORT = 8720;
const POSTGRES_PORT = 55432;
const BROKER_PORT = 61613;
/** A pilot silent this long is lost and its jobs retried (short, so that a cut link shows quickly). */
const HEARTBEAT = ["--heartbeat-interval", "500ms", "--heartbeat-timeout", "4s"];
/** One job per pilot at a time, none held beyond it: which pilot runs a job is decided when it starts. */
const PILOT_FLAGS = ["--queue", "local", "--slots", "1", "--max-depth-per-slot", "1", "--prefetch-tasks", "0"];
const SITE_PILOTS = ["site-1", "site-2"];
/**
 * A run that takes longer has hung: it is killed and its test fails with what the processes said. Generous
 * (a run takes seconds): a pilot that missed its wake-up waits out a whole acquire long-poll (30 s), and
 * the failure should say so rather than time out.
 */
const RUN_LIMIT_MS = 100_000;
/** How long the tests wait for jobs to start (longer than one acquire long-poll, for the same reason). */
const START_LIMIT_MS = 60_000;
const SLURM_NODES = ["node1", "node2"];
/**
 * Today the test network carries plain HTTP, so the tokens cross it in clear text: the capture must show
 * them (which also proves it saw the traffic). Over TLS this becomes false.
 */
const TOKENS_IN_CLEAR_TEXT = true;

interface AttemptRow {
  state: string;
  pilot: string | null;
  /** The error's code, if the attempt failed. */
  error: string | null;
}
interface RunResult {
  code: number | null;
  /** What the driver printed; for a run that hung, also what the server and the pilots printed. */
  output: string;
  value: any;
  workflowId: number;
}
interface JobRow {
  id: number;
  state: string;
  attempts: AttemptRow[];
}

// A test's worst case is a run that hangs (RUN_LIMIT_MS) after jobs that were slow to start (START_LIMIT_MS).
describe("Pando across the hosts of a test network", { timeout: RUN_LIMIT_MS + START_LIMIT_MS + 60_000 }, () => {
  let net: TestNetwork;
  let dir: string;
  let url: string;
  let credentials: Credentials;
  let server: HostProcess;
  const sitePilots: HostProcess[] = [];
  let runs = 0;

  const slurmEnv = () => ({
    PANDO_SLURM_CLUSTER_DIR: join(dir, "slurm"),
    PANDO_SLURM_CONTROLLER: `${net.host("slurmctl").address}:${net.host("slurmctl").netns}`,
    PANDO_SLURM_NODES: SLURM_NODES.map((n) => `${n}:${net.host(n).address}:${net.host(n).netns}`).join(" "),
  });
  const slurmConf = () => join(dir, "slurm", "slurm.conf");
  const central = () => net.host("central").address;

  async function startServer(): Promise<void> {
    const args = [CLI, "server", "--host", central(), "--port", String(SERVER_PORT), "--data-dir", join(dir, "server"), ...HEARTBEAT];
    server = net.spawn("central", process.execPath, args, {
      env: {
        ...BROKER_ENV,
        PANDO_DB: `postgres://postgres@${central()}:${POSTGRES_PORT}/pando`,
        PANDO_BROKER: `stomp://${central()}:${BROKER_PORT}`,
      },
    });
    url = await until("the server to listen on its public address", () => {
      if (server.proc.exitCode !== null) throw new Error(`the server exited: ${server.output()}`);
      return /listening on (http:\/\/\S+)/.exec(server.output())?.[1];
    });
  }

  function startSitePilot(name: string): HostProcess {
    const p = net.spawn("site", process.execPath, [CLI, "pilot", "--server", url, ...PILOT_FLAGS, "--name", name, "--cache-dir", join(dir, `cache-${name}`)], {
      env: { PANDO_TOKEN: credentials.pilotToken },
    });
    sitePilots.push(p);
    return p;
  }

  /** A pilot as a Slurm batch job, submitted from the controller host; it takes a node of its own. */
  function submitSlurmPilot(): string {
    const pilot = [process.execPath, CLI, "pilot", "--server", url, ...PILOT_FLAGS, "--name", "slurm-$SLURMD_NODENAME", "--cache-dir", join(dir, "cache-$SLURMD_NODENAME")];
    return net
      .run("slurmctl", "sbatch", ["--parsable", "--exclusive", "--job-name", "pando-pilot", "-o", join(dir, "slurm-pilot-%j.out"), "--wrap", `exec ${pilot.join(" ")}`], {
        env: { SLURM_CONF: slurmConf(), PANDO_TOKEN: credentials.pilotToken },
      })
      .trim();
  }

  /** Runs the HPO workflow from the user host; its markers go to a directory of its own. */
  function runHpo(o: Omit<Hpo, "dir">): { dir: string; done: Promise<RunResult> } {
    const hpo: Hpo = { ...o, dir: join(dir, `run-${++runs}`) };
    const driver = net.spawn("user", process.execPath, [CLI, "run", TARGET, JSON.stringify(hpo), "--json", "--server", url, "--token", credentials.userToken], {
      cwd: ROOT,
      env: { PANDO_SERVER: "", PANDO_BROKER: "", PANDO_DB: "" },
    });
    let stdout = "";
    driver.proc.stdout?.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    const done = new Promise<RunResult>((resolve) => {
      // A run that hangs is killed, and fails the test with what the driver, the server and the pilots said.
      let hung = false;
      const timer = setTimeout(() => {
        hung = true;
        driver.proc.kill("SIGKILL");
      }, RUN_LIMIT_MS);
      driver.proc.once("close", (code) => {
        clearTimeout(timer);
        const others = [server, ...sitePilots].map((p) => `--- ${p.host} ${p.proc.pid}:\n${p.output().slice(-3000)}`);
        const output = hung ? [`the run did not end within ${RUN_LIMIT_MS} ms`, driver.output(), ...others].join("\n") : driver.output();
        let value: unknown;
        try {
          value = JSON.parse(stdout);
        } catch {
          value = undefined;
        }
        resolve({ code, output, value, workflowId: Number(/workflow (\d+) \(/.exec(driver.output())?.[1]) });
      });
    });
    return { dir: hpo.dir, done };
  }

  /** A GET of the API from the user host (the only way to the server: its address on the test network). */
  async function api(path: string): Promise<any> {
    const script =
      "fetch(process.env.API_URL, { headers: { authorization: `Bearer ${process.env.API_TOKEN}` } })" +
      ".then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, text: await r.text() })))" +
      ".catch((e) => { process.stderr.write(String(e.cause ?? e)); process.exit(1); })";
    const r = await net.runAsync("user", process.execPath, ["-e", script], { env: { API_URL: `${url}/api/v1${path}`, API_TOKEN: credentials.userToken } });
    if (r.code !== 0) throw new Error(`GET ${path} from the user host failed: ${r.stderr}`);
    const res = JSON.parse(r.stdout) as { status: number; text: string };
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
    return path.endsWith("/archive") ? res.text.split("\n").filter(Boolean).map((l) => JSON.parse(l)) : JSON.parse(res.text);
  }

  /** The jobs of a workflow's work tasks with every attempt: its state, its pilot's name and its error code. */
  async function jobsOf(workflowId: number): Promise<JobRow[]> {
    const pilots = new Map(((await api("/pilots?limit=1000")).pilots as Array<{ id: number; name: string }>).map((p) => [p.id, p.name]));
    const rows = (await api(`/workflows/${workflowId}/archive`)) as Array<{ type: string; row: any }>;
    return rows
      .filter((r) => r.type === "job")
      .map(({ row }) => ({
        id: row.id,
        state: row.state,
        attempts: (row.attempts as Array<{ state: string; pilot_id: number | null; error: string | null }>).map((a) => ({
          state: a.state,
          pilot: a.pilot_id === null ? null : (pilots.get(a.pilot_id) ?? null),
          error: a.error === null ? null : ((JSON.parse(a.error) as { code: string }).code ?? null),
        })),
      }));
  }

  /** How many times each point of a run started, from the markers its jobs left. */
  function startsPerPoint(runDir: string): Map<number, string[]> {
    const starts = new Map<number, string[]>();
    for (const iteration of readdirSync(join(runDir, "started"))) {
      for (const marker of readdirSync(join(runDir, "started", iteration))) {
        const x = Number(marker.split("@")[0]);
        starts.set(x, [...(starts.get(x) ?? []), marker.split("@")[1]!.split("#")[0]!]);
      }
    }
    return starts;
  }

  function expectEvaluations(value: { evaluations: Evaluation[]; best: number }, iterations: number, points: number): void {
    const xs = Array.from({ length: iterations * points }, (_, x) => x);
    expect(value.evaluations.map((e) => [e.iteration, e.x, e.loss])).toEqual(xs.map((x) => [Math.floor(x / points), x, (x - 7) ** 2]));
    expect(value.best).toBe(7);
  }

  beforeAll(async () => {
    ensureTcpdump();
    net = createNetwork(["central", "site", "slurmctl", ...SLURM_NODES, "user"]);
    dir = mkdtempSync(join(tmpdir(), "pando-multi-host-"));
    // PostgreSQL and munge run as users of their own, who must reach their directories.
    chmodSync(dir, 0o755);
    const inCentral = { PANDO_POSTGRES_HOST: central(), PANDO_POSTGRES_DIR: join(dir, "postgres"), PANDO_ACTIVEMQ_HOST: central(), PANDO_ACTIVEMQ_DIR: join(dir, "activemq"), ...BROKER_ENV };
    net.onTeardown(() => rmSync(dir, { recursive: true, force: true }));
    // Started without blocking, so that a signal meanwhile still tears the network down.
    const service = async (script: string, args: string[], env: Record<string, string>) => {
      net.onTeardown(() => void net.run("central", join(SERVICES, script), [script === "activemq.sh" ? "purge" : "down", ...args.slice(1)], { env }));
      const r = await net.runAsync("central", join(SERVICES, script), args, { env });
      if (r.code !== 0) throw new Error(`scripts/services/${script} ${args.join(" ")} failed on the central host:\n${r.stdout}${r.stderr}`);
    };
    await service("postgres.sh", ["up", String(POSTGRES_PORT)], inCentral);
    await service("activemq.sh", ["up", String(BROKER_PORT)], inCentral);
    await service("slurm-cluster.sh", ["up"], slurmEnv());
    await startServer();
    credentials = JSON.parse(readFileSync(join(dir, "server", "credentials.json"), "utf8")) as Credentials;
  });
  afterAll(() => {
    net?.teardown();
    expect(networkNamespaces().filter((ns) => Object.values(net?.hosts ?? {}).some((h) => h.netns === ns))).toEqual([]);
  });

  it("has the Slurm cluster run two batch jobs side by side on its two compute-node hosts", async () => {
    const where = join(dir, "where");
    // Each job waits until both have started: they run at once, so (--exclusive) on two nodes.
    const script = `mkdir -p ${where}; touch ${where}/$SLURM_JOB_ID; for i in $(seq 300); do [ $(ls ${where} | wc -l) -ge 2 ] && break; sleep 0.1; done; echo "$SLURMD_NODENAME $(ip -4 -o addr show dev eth0 | awk '{print $4}')"`;
    const ids = [1, 2].map((i) =>
      net.run("slurmctl", "sbatch", ["--parsable", "--exclusive", "-o", join(dir, `where-${i}.out`), "--wrap", script], { env: { SLURM_CONF: slurmConf() } }).trim(),
    );
    expect(ids.every((id) => /^\d+$/.test(id))).toBe(true);
    const lines = await until("both jobs to print where they ran", () => {
      const out = [1, 2].map((i) => join(dir, `where-${i}.out`)).map((f) => (existsSync(f) ? readFileSync(f, "utf8").trim() : ""));
      return out.every(Boolean) ? out : undefined;
    });
    expect(lines.sort()).toEqual(SLURM_NODES.map((n) => `${n} ${net.host(n).address}/24`));
  });

  it("runs an HPO-shaped workflow on both sites and both Slurm nodes, every job once, with its tokens in clear text on the wire", async () => {
    for (const name of SITE_PILOTS) startSitePilot(name);
    SLURM_NODES.forEach(() => submitSlurmPilot());
    const capture = await startCapture(net, "central", join(dir, "run.pcap"));
    // The first iteration's four jobs run at once: one on each pilot (one slot each).
    const run = runHpo({ iterations: 3, points: 4, barrier: 4 });
    const r = await run.done;
    const packets = await capture.stop();
    expect(r.code, r.output).toBe(0);
    expectEvaluations(r.value, 3, 4);

    // Where the jobs ran, as the jobs saw it (their host's address) and as the server recorded it (their pilot).
    const hosts = new Set((r.value.evaluations as Evaluation[]).map((e) => e.host));
    for (const h of ["site", ...SLURM_NODES]) expect(hosts, h).toContain(net.host(h).address);
    const jobs = await jobsOf(r.workflowId);
    expect(jobs).toHaveLength(12);
    for (const job of jobs) expect(job.attempts.map((a) => a.state), `job ${job.id}`).toEqual(["finished"]);
    const pilots = new Set(jobs.map((j) => j.attempts[0]!.pilot));
    expect(pilots).toContain("slurm-node1");
    expect(pilots).toContain("slurm-node2");
    expect(SITE_PILOTS.some((p) => pilots.has(p))).toBe(true);
    // Each point started once: nothing ran twice.
    const starts = startsPerPoint(run.dir);
    expect([...starts.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, x) => x));
    for (const [x, where] of starts) expect(where, `point ${x}`).toHaveLength(1);

    const registered = (await api("/pilots?status=running")).pilots as Array<{ name: string }>;
    expect(registered.map((p) => p.name).sort()).toEqual([...SITE_PILOTS, "slurm-node1", "slurm-node2"].sort());
    expect(checkCapture(packets, { "the user token": credentials.userToken, "the pilot token": credentials.pilotToken }, { visible: TOKENS_IN_CLEAR_TEXT })).toEqual([]);
  });

  it("retries a cut-off site's jobs on the other site after the heartbeat timeout, and refuses that site's late reports once its link is back", async () => {
    // The first iteration's jobs are held on every pilot until the site is cut off.
    const run = runHpo({ iterations: 3, points: 4, barrier: 4, hold: 0 });
    const onSite = await until("the site's pilots to run held jobs", () => {
      const starts = existsSync(join(run.dir, "started", "0")) ? startsPerPoint(run.dir) : new Map<number, string[]>();
      const there = [...starts].filter(([, w]) => w.includes(net.host("site").address)).map(([x]) => x);
      return starts.size === 4 && there.length > 0 ? there : undefined;
    }, START_LIMIT_MS);
    net.cut("site");
    const lost = await until("the server to declare the site's pilots lost", async () => {
      const gone = ((await api("/pilots?status=lost")).pilots as Array<{ name: string }>).filter((p) => SITE_PILOTS.includes(p.name));
      return gone.length === 2 ? gone : undefined;
    });
    expect(lost).toHaveLength(2);
    // Released now: the site's jobs finish too, where nobody hears of them until the link is back.
    writeFileSync(join(run.dir, "release"), "");
    const r = await run.done;
    expect(r.code, r.output).toBe(0);
    expectEvaluations(r.value, 3, 4);
    const retried = (await jobsOf(r.workflowId)).filter((j) => j.attempts.length > 1);
    expect(retried.length).toBe(onSite.length);
    for (const job of retried) {
      expect(job.attempts[0]).toMatchObject({ state: "failed", error: "lost_heartbeat" });
      expect(SITE_PILOTS).toContain(job.attempts[0]!.pilot);
      expect(job.attempts.at(-1)).toMatchObject({ state: "finished" });
      expect(job.attempts.at(-1)!.pilot).toMatch(/^slurm-node[12]$/);
    }

    net.restore("site");
    // The site's pilots come back: told they were declared ended, they drop what they held and register again.
    await until("the site's pilots to register again", async () => {
      const running = ((await api("/pilots?status=running")).pilots as Array<{ name: string }>).filter((p) => SITE_PILOTS.includes(p.name));
      return running.length === 2 || undefined;
    }, 60_000);
    for (const p of sitePilots) expect(p.output()).toMatch(/declared this pilot ended/);
    // Their reports of the lost attempts changed nothing.
    const after = (await jobsOf(r.workflowId)).filter((j) => j.attempts.length > 1);
    expect(after).toEqual(retried);
  });

  it("loses nothing and runs nothing twice when the central server is SIGKILLed and restarted mid-run", async () => {
    const run = runHpo({ iterations: 3, points: 4, hold: 1 });
    await until("the second iteration's jobs to start", () =>
      existsSync(join(run.dir, "started", "1")) && readdirSync(join(run.dir, "started", "1")).length === 4 ? true : undefined,
    START_LIMIT_MS);
    const exited = new Promise((r) => server.proc.once("exit", r));
    server.proc.kill("SIGKILL");
    await exited;
    await startServer();
    writeFileSync(join(run.dir, "release"), "");
    const r = await run.done;
    expect(r.code, r.output).toBe(0);
    expectEvaluations(r.value, 3, 4);
    const starts = startsPerPoint(run.dir);
    expect(starts.size).toBe(12);
    for (const [x, where] of starts) expect(where, `point ${x}`).toHaveLength(1);
    for (const job of await jobsOf(r.workflowId)) expect(job.attempts.map((a) => a.state), `job ${job.id}`).toEqual(["finished"]);
  });
});
