// Pando across hosts and sites: the test network of test/helpers/multi-host.ts, with a central
// host (the server over TLS on its public address, PostgreSQL, ActiveMQ over TLS on an address of its own), a
// site whose agent starts local pilots, a Slurm site (a controller running the site's agent and two compute
// nodes, each a host of its own) whose agent's pilots are batch jobs, and a user host running the driver from a
// project directory of its own. Every process trusts only the test's CA; nothing is allowed plain HTTP.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { capturedPackets, checkCapture, ensureTcpdump, startCapture } from "./helpers/capture.js";
import { CLI } from "./helpers/cluster.js";
import { BROKER_ADDRESS, RUN_LIMIT_MS, SERVER_PORT, SLURM_NODES, startMultiHost, type MultiHost } from "./helpers/multi-host.js";
import { networkNamespaces } from "./helpers/netns.js";
import { until } from "./helpers/until.js";
import { HPC_QUEUE, CAMPUS_QUEUE, type Evaluation, type Hpo } from "./fixtures/multi-host.js";

/** How long the tests wait for jobs to start (longer than one acquire long-poll: a pilot that missed its wake-up waits one out). */
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
interface JobRow {
  id: number;
  state: string;
  attempts: AttemptRow[];
}

// A test's worst case is a run that hangs (RUN_LIMIT_MS) after jobs that were slow to start (START_LIMIT_MS).
describe("Pando across the hosts and sites of a test network, over TLS", { timeout: RUN_LIMIT_MS + START_LIMIT_MS + 60_000 }, () => {
  let world: MultiHost;
  const central = () => world.net.host("central").address;
  const trust = () => world.trust();
  const runHpo = (o: Omit<Hpo, "dir">, env: Record<string, string> = {}) => world.runHpo(o, { env });
  const api = (path: string, init?: { method?: string; body?: unknown; token?: string }) => world.api(path, init);

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

  /** What the server says of its pilots and sites, the run's markers and the tails of the pilots' logs: why jobs did not start. */
  async function stateOf(runDir: string): Promise<string> {
    const pilots = (await api("/pilots?limit=1000")).pilots as Array<{ id: number; queue: string; host: string; status: string; running: number }>;
    const sites = (await api("/sites")) as Array<{ name: string; state: string }>;
    const markers = existsSync(join(runDir, "started")) ? [...startsPerPoint(runDir)].map(([x, hosts]) => `${x}@${hosts.join(",")}`) : [];
    const tail = (site: string) => world.pilotLogs(site).split("\n").filter(Boolean).slice(-15).join("\n");
    return [
      `pilots: ${JSON.stringify(pilots.map((p) => [p.id, p.queue, p.host, p.status, p.running]))}`,
      `sites: ${JSON.stringify(sites.map((s) => [s.name, s.state]))}`,
      `started: ${markers.join(" ")}`,
      `campus pilots' logs:\n${tail("campus")}`,
      `hpc pilots' logs:\n${tail("hpc")}`,
    ].join("\n");
  }

  /** Every point's loss as the project's script computed it from its data file, each point once; the best. */
  function expectEvaluations(value: { evaluations: Evaluation[]; best: number }, iterations: number, points: number): void {
    const xs = Array.from({ length: iterations * points }, (_, x) => x);
    expect(value.evaluations.map((e) => [e.iteration, e.x, e.loss])).toEqual(xs.map((x) => [Math.floor(x / points), x, (x - 7) ** 2]));
    expect(value.best).toBe(7);
    // The jobs ran in the copy of the project that travelled to their pilot, not in the user's directory.
    for (const e of value.evaluations) expect(e.project).not.toBe(world.project);
  }

  /** Runs a CLI command on a host; its exit code and its error lines. */
  async function cli(host: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; errors: string[]; stderr: string }> {
    const r = await world.net.runAsync(host, "timeout", ["60", process.execPath, CLI, ...args], { env });
    return { code: r.code, errors: r.stderr.split("\n").filter((l) => l.startsWith("pando")), stderr: r.stderr };
  }

  beforeAll(async () => {
    ensureTcpdump();
    world = await startMultiHost();
  });
  afterAll(() => {
    world?.teardown();
    expect(networkNamespaces().filter((ns) => Object.values(world?.net.hosts ?? {}).some((h) => h.netns === ns))).toEqual([]);
  });

  it("runs an HPO-shaped workflow of the user's project on both sites and both Slurm nodes, results over the TLS broker, no token in clear text on the wire", async () => {
    const capture = await startCapture(world.net, "central", join(world.dir, "run.pcap"));
    // The first iteration's four jobs run at once: one on each pilot (one slot each), two per site.
    const run = runHpo({ iterations: 3, points: 4, barrier: 4 });
    const r = await run.done;
    const packets = await capture.stop();
    expect(r.code, r.output).toBe(0);
    expectEvaluations(r.value, 3, 4);
    expect(new Set((r.value.evaluations as Evaluation[]).map((e) => e.via))).toEqual(new Set(["broker"]));

    // Where the jobs ran, as the jobs saw it (their host's address) and as the server recorded it (their queue).
    const hosts = new Set((r.value.evaluations as Evaluation[]).map((e) => e.host));
    for (const h of ["site", ...SLURM_NODES]) expect(hosts, h).toContain(world.net.host(h).address);
    const jobs = await jobsOf(r.workflowId);
    expect(jobs).toHaveLength(12);
    for (const job of jobs) expect(job.attempts.map((a) => a.state), `job ${job.id}`).toEqual(["finished"]);
    expect(new Set(jobs.map((j) => j.attempts[0]!.queue))).toEqual(new Set([CAMPUS_QUEUE, HPC_QUEUE]));
    const starts = startsPerPoint(run.dir);
    expect([...starts.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, x) => x));
    for (const [x, where] of starts) expect(where, `point ${x}`).toHaveLength(1);

    // The capture saw the run's traffic, and none of its tokens: the user's, the sites', the sites' pilots'.
    const pilotTokens = new Set(
      ["site", ...SLURM_NODES].flatMap((h) => world.net.pids(h)).flatMap((pid) => {
        const env = (() => { try { return readFileSync(`/proc/${pid}/environ`, "utf8"); } catch { return ""; } })();
        return env.split("\0").filter((v) => v.startsWith("PANDO_TOKEN=")).map((v) => v.slice("PANDO_TOKEN=".length));
      }).filter((t) => !Object.values(world.siteTokens).includes(t)),
    );
    expect(pilotTokens.size).toBeGreaterThan(0);
    expect(capturedPackets(packets)).toBeGreaterThan(100);
    const secrets = { "the user token": world.server.credentials.userToken, ...Object.fromEntries(Object.entries(world.siteTokens).map(([s, t]) => [`site ${s}'s token`, t])) };
    [...pilotTokens].forEach((t, i) => Object.assign(secrets, { [`pilot token ${i + 1}`]: t }));
    expect(checkCapture(packets, secrets, { visible: TOKENS_IN_CLEAR_TEXT })).toEqual([]);
  });

  it("gives the same values over REST when the user host cannot reach the broker", async () => {
    world.net.run("user", "ip", ["route", "add", "unreachable", `${BROKER_ADDRESS}/32`]);
    try {
      const r = await runHpo({ iterations: 2, points: 4 }).done;
      expect(r.code, r.output).toBe(0);
      expectEvaluations(r.value, 2, 4);
      expect(new Set((r.value.evaluations as Evaluation[]).map((e) => e.via))).toEqual(new Set(["rest"]));
    } finally {
      world.net.run("user", "ip", ["route", "del", "unreachable", `${BROKER_ADDRESS}/32`]);
    }
  });

  it("refuses a wrong CA, plain HTTP, an expired site token, another site's queues and a user token as a site token, each in one line", async () => {
    const queuesFile = join(world.dir, "campus-queues.json");
    const site = (name: string, token: string) =>
      cli("user", ["site", "--server", world.server.url, "--name", name, "--queues-file", queuesFile, "--data-dir", join(world.dir, "refused")], { ...trust(), PANDO_TOKEN: token });
    const expectRefusal = (r: { code: number | null; errors: string[]; stderr: string }, reason: RegExp) => {
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.errors, r.stderr).toEqual([expect.stringMatching(reason)]);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    };
    const ls = ["ls", "--token", world.server.credentials.userToken];
    expectRefusal(await cli("user", [...ls, "--server", world.server.url], { PANDO_CA: join(world.ca, "other-ca.pem") }), new RegExp(`${central()}.*certificate`));
    expectRefusal(await cli("user", [...ls, "--server", `http://${central()}:${SERVER_PORT}`], trust()), /refusing to send the token over plain HTTP to .*--insecure-http/);
    const expired = await world.siteToken("campus", 1);
    expectRefusal(await site("campus", expired), /refused site .campus.: the bearer token expired at .*a new one/);
    expectRefusal(await site("hpc", world.siteTokens.campus!), /site 'campus'.*site 'hpc'/);
    // A user's token (not an administrator's: an administrator may register any site).
    const user = (await api("/tokens", { method: "POST", body: { name: "bob's laptop", user: "bob" } })).token as string;
    expectRefusal(await site("campus", user), /refused site .campus.: only a site's token/);
  });

  it("retries a cut-off site's jobs on the other site, moves its waiting jobs off it while silent, and refuses its late reports once its link is back", async () => {
    // The first iteration's jobs are held on every pilot until the site is cut off.
    const run = runHpo({ iterations: 3, points: 4, barrier: 4, hold: 0 });
    const onSite = await until("the campus site's pilots to run held jobs", () => {
      const starts = existsSync(join(run.dir, "started", "0")) ? startsPerPoint(run.dir) : new Map<number, string[]>();
      const there = [...starts].filter(([, w]) => w.includes(world.net.host("site").address)).map(([x]) => x);
      return starts.size === 4 && there.length > 0 ? there : undefined;
    }, START_LIMIT_MS, () => stateOf(run.dir));
    world.net.cut("site");
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

    world.net.restore("site");
    // The agent is heard again and its site online; its pilots, told they were declared ended, drop what they held.
    await until("the campus site to be online again", async () => {
      const sites = (await api("/sites")) as Array<{ name: string; state: string }>;
      return sites.find((s) => s.name === "campus")?.state === "online" || undefined;
    }, 60_000);
    await until("the campus site's pilots to hear they were declared ended", () => /declared this pilot ended/.test(world.pilotLogs("campus")) || undefined, 60_000);
    // Their reports of the lost attempts changed nothing.
    expect((await jobsOf(r.workflowId)).filter((j) => j.attempts.length > 1)).toEqual(retried);
  });

  it("loses nothing and runs nothing twice when the central server is SIGKILLed and restarted mid-run", async () => {
    const run = runHpo({ iterations: 3, points: 4, hold: 1 });
    // Brokerage may put the iteration's task that may run anywhere on the Slurm site too (the other site's
    // pilots may still count as busy with the first iteration's results when it is placed): then two of its
    // jobs wait until they move to the other site's idle pilots. Two running across the kill are what the
    // test needs.
    await until("the second iteration's jobs to start", () =>
      existsSync(join(run.dir, "started", "1")) && readdirSync(join(run.dir, "started", "1")).length >= 2 ? true : undefined,
    START_LIMIT_MS, () => stateOf(run.dir));
    const exited = new Promise((r) => world.server.process.proc.once("exit", r));
    world.server.process.proc.kill("SIGKILL");
    await exited;
    await world.restartServer();
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
