// Pando across hosts and sites: a test network of network namespaces (test/helpers/netns.ts) with a central
// host (the server over TLS on its public address, PostgreSQL, ActiveMQ over TLS on an address of its own), a
// site whose agent starts local pilots, a Slurm site (a controller running the site's agent and two compute
// nodes, each a host of its own) whose agent's pilots are batch jobs, and a user host running the driver from a
// project directory of its own. Every process trusts only the test's CA; nothing is allowed plain HTTP.
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BROKER_ENV } from "./helpers/broker.js";
import { capturedPackets, checkCapture, ensureTcpdump, startCapture } from "./helpers/capture.js";
import { CLI, ROOT, type Credentials } from "./helpers/cluster.js";
import { createNetwork, networkNamespaces, type HostProcess, type TestNetwork } from "./helpers/netns.js";
import { until } from "./helpers/until.js";
import { HPC_QUEUE, CAMPUS_QUEUE, type Evaluation, type Hpo } from "./fixtures/multi-host.js";

const SERVICES = join(ROOT, "scripts", "services");
const SERVER_PORT = 8720;
const POSTGRES_PORT = 55432;
/** ActiveMQ's plain STOMP port; its stomp+ssl connector listens on the next one. */
const BROKER_PORT = 61613;
const BROKER_TLS_PORT = BROKER_PORT + 1;
/**
 * The broker listens on a second address of the central host, so that the user host can be left without a
 * route to it (an `unreachable` route: its connections fail at once) while it still reaches the server.
 */
const BROKER_ADDRESS = "198.18.0.200";
/** A pilot silent this long is lost and its jobs retried (short, so that a cut link shows quickly). */
const HEARTBEAT = ["--heartbeat-interval", "500ms", "--heartbeat-timeout", "4s"];
/** A site neither whose agent nor whose pilots were heard from for this long is silent: its waiting jobs move. */
const SITE_SILENCE = "4s";
const SLURM_NODES = ["node1", "node2"];
/**
 * The sites' pilots: one job at a time, none held beyond it (which pilot runs a job is decided when it starts),
 * kept while idle so that every test finds them. The pilot's own arguments follow the command.
 */
const pilotCommand = () => ["/bin/sh", "-c", `exec ${process.execPath} ${CLI} "$@" --max-depth-per-slot 1 --prefetch-tasks 0`, "sh"];
const SITE_QUEUE = { name: "cpu", maxPilots: 2, slotsPerPilot: 1, pilotIdle: "10m" };
/**
 * A run that takes longer has hung: it is killed and its test fails with what the processes said. Generous
 * (a run takes seconds): a pilot that missed its wake-up waits out a whole acquire long-poll (30 s), and
 * the failure should say so rather than time out.
 */
const RUN_LIMIT_MS = 100_000;
/** How long the tests wait for jobs to start (longer than one acquire long-poll, for the same reason). */
const START_LIMIT_MS = 60_000;
/** Over TLS, no token crosses the network in clear text. */
const TOKENS_IN_CLEAR_TEXT = false;

interface AttemptRow {
  state: string;
  /** The queue of the attempt's pilot. */
  queue: string | null;
  /** The error's code, if the attempt failed. */
  error: string | null;
}
interface RunResult {
  code: number | null;
  /** What the driver printed; for a run that hung, also what the server and the agents printed. */
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
describe("Pando across the hosts and sites of a test network, over TLS", { timeout: RUN_LIMIT_MS + START_LIMIT_MS + 60_000 }, () => {
  let net: TestNetwork;
  let dir: string;
  let ca: string;
  let project: string;
  let url: string;
  let credentials: Credentials;
  let server: HostProcess;
  const agents: HostProcess[] = [];
  const siteTokens: Record<string, string> = {};
  let runs = 0;

  const slurmEnv = () => ({
    PANDO_SLURM_CLUSTER_DIR: join(dir, "slurm"),
    PANDO_SLURM_CONTROLLER: `${net.host("slurmctl").address}:${net.host("slurmctl").netns}`,
    PANDO_SLURM_NODES: SLURM_NODES.map((n) => `${n}:${net.host(n).address}:${net.host(n).netns}`).join(" "),
  });
  const central = () => net.host("central").address;
  /** What every process of the test gets: the test's CA, and nothing else to trust. */
  const trust = () => ({ PANDO_CA: join(ca, "ca.pem") });

  async function startServer(): Promise<void> {
    const args = [
      CLI, "server", "--host", central(), "--port", String(SERVER_PORT), "--data-dir", join(dir, "server"),
      "--tls-cert", join(ca, "central.pem"), "--tls-key", join(ca, "central.key"), "--public-url", `https://${central()}:${SERVER_PORT}`,
      "--site-silence", SITE_SILENCE, ...HEARTBEAT,
    ];
    server = net.spawn("central", process.execPath, args, {
      env: {
        ...BROKER_ENV,
        ...trust(),
        PANDO_DB: `postgres://postgres@${central()}:${POSTGRES_PORT}/pando`,
        PANDO_BROKER: `stomp+ssl://${BROKER_ADDRESS}:${BROKER_TLS_PORT}`,
      },
    });
    url = await until("the server to listen on its public address", () => {
      if (server.proc.exitCode !== null) throw new Error(`the server exited: ${server.output()}`);
      return /\((https:\/\/\S+) to clients\)/.exec(server.output())?.[1];
    });
  }

  /** A site's agent on its host, with its site token and queues file; `env` for its backend (SLURM_CONF). */
  function startAgent(host: string, site: string, queue: Record<string, unknown>, env: Record<string, string> = {}): void {
    const queuesFile = join(dir, `${site}-queues.json`);
    writeFileSync(queuesFile, JSON.stringify({ queues: [{ ...SITE_QUEUE, ...queue, pilotCommand: pilotCommand() }] }));
    const args = [CLI, "site", "--server", url, "--name", site, "--queues-file", queuesFile, "--data-dir", join(dir, `agent-${site}`), "--poll", "1s", "--max-backoff", "1s"];
    agents.push(net.spawn(host, process.execPath, args, { env: { ...trust(), ...env, PANDO_TOKEN: siteTokens[site]! } }));
  }

  /** What the site's pilots printed (the agent keeps their logs). */
  function pilotLogs(site: string): string {
    const logs = join(dir, `agent-${site}`, `site-${site}`, "logs");
    return existsSync(logs) ? readdirSync(logs).map((f) => readFileSync(join(logs, f), "utf8")).join("\n") : "";
  }

  /** Runs the HPO workflow of the user's project from the user host; its markers go to a directory of its own. */
  function runHpo(o: Omit<Hpo, "dir">, env: Record<string, string> = {}): { dir: string; done: Promise<RunResult> } {
    const hpo: Hpo = { ...o, dir: join(dir, `run-${++runs}`) };
    const driver = net.spawn("user", process.execPath, [CLI, "run", "hpo.ts#hpo", JSON.stringify(hpo), "--json", "--server", url, "--token", credentials.userToken], {
      cwd: project,
      env: { ...trust(), PANDO_SERVER: "", PANDO_BROKER: "", PANDO_DB: "", ...env },
    });
    let stdout = "";
    driver.proc.stdout?.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    const done = new Promise<RunResult>((resolve) => {
      // A run that hangs is killed, and fails the test with what the driver, the server and the agents said.
      let hung = false;
      const timer = setTimeout(() => {
        hung = true;
        driver.proc.kill("SIGKILL");
      }, RUN_LIMIT_MS);
      driver.proc.once("close", (code) => {
        clearTimeout(timer);
        const others = [server, ...agents].map((p) => `--- ${p.host} ${p.proc.pid}:\n${p.output().slice(-3000)}`);
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

  /** A call of the API from the user host (the only way to the server: its address on the test network). */
  async function api(path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<any> {
    const script =
      "fetch(process.env.API_URL, { method: process.env.API_METHOD, body: process.env.API_BODY || undefined, " +
      "headers: { authorization: `Bearer ${process.env.API_TOKEN}`, 'content-type': 'application/json' } })" +
      ".then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, text: await r.text() })))" +
      ".catch((e) => { process.stderr.write(String(e.cause ?? e)); process.exit(1); })";
    const env = {
      ...trust(),
      NODE_EXTRA_CA_CERTS: join(ca, "ca.pem"),
      API_URL: `${url}/api/v1${path}`,
      API_METHOD: init.method ?? "GET",
      API_BODY: init.body === undefined ? "" : JSON.stringify(init.body),
      API_TOKEN: init.token ?? credentials.userToken,
    };
    const r = await net.runAsync("user", process.execPath, ["-e", script], { env });
    if (r.code !== 0) throw new Error(`${init.method ?? "GET"} ${path} from the user host failed: ${r.stderr}`);
    const res = JSON.parse(r.stdout) as { status: number; text: string };
    if (res.status >= 300) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${res.text}`);
    return path.endsWith("/archive") ? res.text.split("\n").filter(Boolean).map((l) => JSON.parse(l)) : JSON.parse(res.text);
  }

  const siteToken = async (site: string, expiresInMs?: number): Promise<string> =>
    (await api("/tokens", { method: "POST", body: { name: `${site} agent`, site, ...(expiresInMs ? { expiresInMs } : {}) } })).token as string;

  /** The jobs of a workflow's work tasks with every attempt: its state, its pilot's queue and its error code. */
  async function jobsOf(workflowId: number): Promise<JobRow[]> {
    const pilots = new Map(((await api("/pilots?limit=1000")).pilots as Array<{ id: number; queue: string }>).map((p) => [p.id, p.queue]));
    const rows = (await api(`/workflows/${workflowId}/archive`)) as Array<{ type: string; row: any }>;
    return rows
      .filter((r) => r.type === "job")
      .map(({ row }) => ({
        id: row.id,
        state: row.state,
        attempts: (row.attempts as Array<{ state: string; pilot_id: number | null; error: string | null }>).map((a) => ({
          state: a.state,
          queue: a.pilot_id === null ? null : (pilots.get(a.pilot_id) ?? null),
          error: a.error === null ? null : ((JSON.parse(a.error) as { code: string }).code ?? null),
        })),
      }));
  }

  /** How many times each point of a run started, from the markers its jobs left: the hosts it started on. */
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

  /** Every point's loss as the project's script computed it from its data file, each point once; the best. */
  function expectEvaluations(value: { evaluations: Evaluation[]; best: number }, iterations: number, points: number): void {
    const xs = Array.from({ length: iterations * points }, (_, x) => x);
    expect(value.evaluations.map((e) => [e.iteration, e.x, e.loss])).toEqual(xs.map((x) => [Math.floor(x / points), x, (x - 7) ** 2]));
    expect(value.best).toBe(7);
    // The jobs ran in the copy of the project that travelled to their pilot, not in the user's directory.
    for (const e of value.evaluations) expect(e.project).not.toBe(project);
  }

  /** Runs a CLI command on a host; its exit code and its error lines. */
  async function cli(host: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; errors: string[]; stderr: string }> {
    const r = await net.runAsync(host, "timeout", ["60", process.execPath, CLI, ...args], { env });
    return { code: r.code, errors: r.stderr.split("\n").filter((l) => l.startsWith("pando")), stderr: r.stderr };
  }

  /** The user project: the workflow program, a data file and a script, and the Pando under test as "pando". */
  function makeProject(): string {
    const p = join(dir, "project");
    mkdirSync(join(p, "data"), { recursive: true });
    mkdirSync(join(p, "node_modules"));
    writeFileSync(join(p, "package.json"), JSON.stringify({ name: "hpo", private: true, type: "module" }));
    cpSync(join(ROOT, "test", "fixtures", "multi-host.ts"), join(p, "hpo.ts"));
    writeFileSync(join(p, "data", "target.txt"), "7\n");
    writeFileSync(join(p, "objective.mjs"), "const [x, target] = process.argv.slice(2).map(Number);\nprocess.stdout.write(JSON.stringify({ loss: (x - target) ** 2 }));\n");
    symlinkSync(ROOT, join(p, "node_modules", "pando"));
    return p;
  }

  beforeAll(async () => {
    ensureTcpdump();
    net = createNetwork(["central", "site", "slurmctl", ...SLURM_NODES, "user"]);
    dir = mkdtempSync(join(tmpdir(), "pando-multi-host-"));
    // PostgreSQL and munge run as users of their own, who must reach their directories.
    chmodSync(dir, 0o755);
    net.onTeardown(() => rmSync(dir, { recursive: true, force: true }));
    ca = join(dir, "ca");
    net.run("central", join(SERVICES, "ca.sh"), ["init", ca]);
    net.run("central", join(SERVICES, "ca.sh"), ["host", ca, "central", central(), BROKER_ADDRESS]);
    net.run("central", join(SERVICES, "ca.sh"), ["other", ca]);
    net.run("central", "ip", ["addr", "add", `${BROKER_ADDRESS}/24`, "dev", "eth0"]);
    project = makeProject();
    const inCentral = {
      ...BROKER_ENV,
      PANDO_POSTGRES_HOST: central(),
      PANDO_POSTGRES_DIR: join(dir, "postgres"),
      PANDO_ACTIVEMQ_HOST: BROKER_ADDRESS,
      PANDO_ACTIVEMQ_DIR: join(dir, "activemq"),
      PANDO_BROKER_TLS_CERT: join(ca, "central.pem"),
      PANDO_BROKER_TLS_KEY: join(ca, "central.key"),
    };
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
    // The administrator makes each site's token; each agent registers its site's queue and starts its pilots.
    for (const site of ["campus", "hpc"]) siteTokens[site] = await siteToken(site);
    startAgent("site", "campus", {});
    startAgent("slurmctl", "hpc", { backend: "slurm", slurm: { extraArgs: ["--exclusive"] } }, { SLURM_CONF: join(dir, "slurm", "slurm.conf") });
  });
  afterAll(() => {
    net?.teardown();
    expect(networkNamespaces().filter((ns) => Object.values(net?.hosts ?? {}).some((h) => h.netns === ns))).toEqual([]);
  });

  it("runs an HPO-shaped workflow of the user's project on both sites and both Slurm nodes, results over the TLS broker, no token in clear text on the wire", async () => {
    const capture = await startCapture(net, "central", join(dir, "run.pcap"));
    // The first iteration's four jobs run at once: one on each pilot (one slot each), two per site.
    const run = runHpo({ iterations: 3, points: 4, barrier: 4 });
    const r = await run.done;
    const packets = await capture.stop();
    expect(r.code, r.output).toBe(0);
    expectEvaluations(r.value, 3, 4);
    expect(new Set((r.value.evaluations as Evaluation[]).map((e) => e.via))).toEqual(new Set(["broker"]));

    // Where the jobs ran, as the jobs saw it (their host's address) and as the server recorded it (their queue).
    const hosts = new Set((r.value.evaluations as Evaluation[]).map((e) => e.host));
    for (const h of ["site", ...SLURM_NODES]) expect(hosts, h).toContain(net.host(h).address);
    const jobs = await jobsOf(r.workflowId);
    expect(jobs).toHaveLength(12);
    for (const job of jobs) expect(job.attempts.map((a) => a.state), `job ${job.id}`).toEqual(["finished"]);
    expect(new Set(jobs.map((j) => j.attempts[0]!.queue))).toEqual(new Set([CAMPUS_QUEUE, HPC_QUEUE]));
    const starts = startsPerPoint(run.dir);
    expect([...starts.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, x) => x));
    for (const [x, where] of starts) expect(where, `point ${x}`).toHaveLength(1);

    // The capture saw the run's traffic, and none of its tokens: the user's, the sites', the sites' pilots'.
    const pilotTokens = new Set(
      ["site", ...SLURM_NODES].flatMap((h) => net.pids(h)).flatMap((pid) => {
        const env = (() => { try { return readFileSync(`/proc/${pid}/environ`, "utf8"); } catch { return ""; } })();
        return env.split("\0").filter((v) => v.startsWith("PANDO_TOKEN=")).map((v) => v.slice("PANDO_TOKEN=".length));
      }).filter((t) => !Object.values(siteTokens).includes(t)),
    );
    expect(pilotTokens.size).toBeGreaterThan(0);
    expect(capturedPackets(packets)).toBeGreaterThan(100);
    const secrets = { "the user token": credentials.userToken, ...Object.fromEntries(Object.entries(siteTokens).map(([s, t]) => [`site ${s}'s token`, t])) };
    [...pilotTokens].forEach((t, i) => Object.assign(secrets, { [`pilot token ${i + 1}`]: t }));
    expect(checkCapture(packets, secrets, { visible: TOKENS_IN_CLEAR_TEXT })).toEqual([]);
  });

  it("gives the same values over REST when the user host cannot reach the broker", async () => {
    net.run("user", "ip", ["route", "add", "unreachable", `${BROKER_ADDRESS}/32`]);
    try {
      const r = await runHpo({ iterations: 2, points: 4 }).done;
      expect(r.code, r.output).toBe(0);
      expectEvaluations(r.value, 2, 4);
      expect(new Set((r.value.evaluations as Evaluation[]).map((e) => e.via))).toEqual(new Set(["rest"]));
    } finally {
      net.run("user", "ip", ["route", "del", "unreachable", `${BROKER_ADDRESS}/32`]);
    }
  });

  it("refuses a wrong CA, plain HTTP, an expired site token, another site's queues and a user token as a site token, each in one line", async () => {
    const queuesFile = join(dir, "campus-queues.json");
    const site = (name: string, token: string) =>
      cli("user", ["site", "--server", url, "--name", name, "--queues-file", queuesFile, "--data-dir", join(dir, "refused")], { ...trust(), PANDO_TOKEN: token });
    const expectRefusal = (r: { code: number | null; errors: string[]; stderr: string }, reason: RegExp) => {
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.errors, r.stderr).toEqual([expect.stringMatching(reason)]);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    };
    const ls = ["ls", "--token", credentials.userToken];
    expectRefusal(await cli("user", [...ls, "--server", url], { PANDO_CA: join(ca, "other-ca.pem") }), new RegExp(`${central()}.*certificate`));
    expectRefusal(await cli("user", [...ls, "--server", `http://${central()}:${SERVER_PORT}`], trust()), /refusing to send the token over plain HTTP to .*--insecure-http/);
    const expired = await siteToken("campus", 1);
    expectRefusal(await site("campus", expired), /refused site .campus.: the bearer token expired at .*a new one/);
    expectRefusal(await site("hpc", siteTokens.campus!), /site 'campus'.*site 'hpc'/);
    // A user's token (not an administrator's: an administrator may register any site).
    const user = (await api("/tokens", { method: "POST", body: { name: "bob's laptop", user: "bob" } })).token as string;
    expectRefusal(await site("campus", user), /refused site .campus.: only a site's token/);
  });

  it("retries a cut-off site's jobs on the other site, moves its waiting jobs off it while silent, and refuses its late reports once its link is back", async () => {
    // The first iteration's jobs are held on every pilot until the site is cut off.
    const run = runHpo({ iterations: 3, points: 4, barrier: 4, hold: 0 });
    const onSite = await until("the campus site's pilots to run held jobs", () => {
      const starts = existsSync(join(run.dir, "started", "0")) ? startsPerPoint(run.dir) : new Map<number, string[]>();
      const there = [...starts].filter(([, w]) => w.includes(net.host("site").address)).map(([x]) => x);
      return starts.size === 4 && there.length > 0 ? there : undefined;
    }, START_LIMIT_MS);
    net.cut("site");
    await until("the server to declare the campus site's pilots lost and the site silent", async () => {
      const lost = ((await api("/pilots?status=lost")).pilots as Array<{ queue: string }>).filter((p) => p.queue === CAMPUS_QUEUE);
      const sites = (await api("/sites")) as Array<{ name: string; state: string }>;
      return lost.length === 2 && sites.find((s) => s.name === "campus")?.state === "silent" ? true : undefined;
    });
    // Released now: the site's jobs finish too, where nobody hears of them until the link is back.
    writeFileSync(join(run.dir, "release"), "");
    const r = await run.done;
    expect(r.code, r.output).toBe(0);
    expectEvaluations(r.value, 3, 4);
    const jobs = await jobsOf(r.workflowId);
    const retried = jobs.filter((j) => j.attempts.length > 1);
    expect(retried.length).toBe(onSite.length);
    for (const job of retried) {
      expect(job.attempts[0]).toMatchObject({ state: "failed", error: "lost_heartbeat", queue: CAMPUS_QUEUE });
      expect(job.attempts.at(-1)).toMatchObject({ state: "finished", queue: HPC_QUEUE });
    }
    // Every point once: what ran after the cut ran on the Slurm site.
    for (const job of jobs) expect(job.attempts.filter((a) => a.state === "finished"), `job ${job.id}`).toHaveLength(1);

    net.restore("site");
    // The agent is heard again and its site online; its pilots, told they were declared ended, drop what they held.
    await until("the campus site to be online again", async () => {
      const sites = (await api("/sites")) as Array<{ name: string; state: string }>;
      return sites.find((s) => s.name === "campus")?.state === "online" || undefined;
    }, 60_000);
    await until("the campus site's pilots to hear they were declared ended", () => /declared this pilot ended/.test(pilotLogs("campus")) || undefined, 60_000);
    // Their reports of the lost attempts changed nothing.
    expect((await jobsOf(r.workflowId)).filter((j) => j.attempts.length > 1)).toEqual(retried);
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
    for (const job of await jobsOf(r.workflowId)) expect(job.attempts, `job ${job.id}`).toEqual([expect.objectContaining({ state: "finished" })]);
    // Both agents are heard from again.
    await until("both sites to be online", async () => {
      const sites = (await api("/sites")) as Array<{ name: string; state: string }>;
      return sites.filter((s) => s.state === "online").length === 2 || undefined;
    });
  });
});
