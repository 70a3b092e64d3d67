// The multi-host world of the tests across hosts and sites, and of the benchmark that measures them
// (test/multi-host.test.ts, bench/multi-site.ts): a test network of network namespaces (./netns.ts) with a
// central host (the server over TLS on its public address, PostgreSQL, ActiveMQ over TLS on an address of its
// own), a site whose agent starts local pilots, a Slurm site (a controller running the site's agent and two
// compute nodes, each a host of its own) whose agent's pilots are batch jobs, and a user host running the
// driver from a project directory of its own (its program test/fixtures/multi-host.ts). Every process trusts
// only the world's CA; nothing is allowed plain HTTP.
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hpo } from "../fixtures/multi-host.js";
import { BROKER_ENV } from "./broker.js";
import { CLI, ROOT, type Credentials } from "./cluster.js";
import { createNetwork, type HostProcess, type TestNetwork } from "./netns.js";
import { until } from "./until.js";

const SERVICES = join(ROOT, "scripts", "services");
export const SERVER_PORT = 8720;
const POSTGRES_PORT = 55432;
/** ActiveMQ's plain STOMP port; its stomp+ssl connector listens on the next one. */
const BROKER_PORT = 61613;
const BROKER_TLS_PORT = BROKER_PORT + 1;
/**
 * The broker listens on a second address of the central host, so that the user host can be left without a
 * route to it (an `unreachable` route: its connections fail at once) while it still reaches the server.
 */
export const BROKER_ADDRESS = "198.18.0.200";
/** A pilot silent this long is lost and its jobs retried (short, so that a cut link shows quickly). */
const HEARTBEAT = ["--heartbeat-interval", "500ms", "--heartbeat-timeout", "4s"];
/** A site neither whose agent nor whose pilots were heard from for this long is silent: its waiting jobs move. */
const SITE_SILENCE = "4s";
export const SLURM_NODES = ["node1", "node2"];
/**
 * The sites' pilots: one job at a time, none held beyond it (which pilot runs a job is decided when it starts),
 * kept while idle so that every run finds them. The pilot's own arguments follow the command.
 */
const pilotCommand = () => ["/bin/sh", "-c", `exec ${process.execPath} ${CLI} "$@" --max-depth-per-slot 1 --prefetch-tasks 0`, "sh"];
export const SITE_QUEUE = { name: "cpu", maxPilots: 2, slotsPerPilot: 1, pilotIdle: "10m", pilotCommand: pilotCommand() };
/**
 * A run that takes longer has hung: it is killed and ends with what the processes said. Generous (a run takes
 * seconds): a pilot that missed its wake-up waits out a whole acquire long-poll (30 s), and the failure should
 * say so rather than time out.
 */
export const RUN_LIMIT_MS = 100_000;

export interface RunResult {
  code: number | null;
  /** What the driver printed; for a run that hung, also what the servers and the agents printed. */
  output: string;
  value: any;
  workflowId: number;
}

/** A server on the central host. */
export interface CentralServer {
  process: HostProcess;
  /** Its public URL (HTTPS on the central host's address). */
  url: string;
  credentials: Credentials;
}

/** Where a run's driver runs and which server it talks to: by default the user host and the main server. */
export interface DriverPlace {
  host?: string;
  server?: CentralServer;
  env?: Record<string, string>;
}

export interface MultiHost {
  net: TestNetwork;
  /** The world's directory: the CA, the services' data, the servers' and agents' data, the runs' markers. */
  dir: string;
  /** The user's project directory. */
  project: string;
  /** The server the sites' agents and the user's driver talk to (replaced by restartServer). */
  server: CentralServer;
  agents: HostProcess[];
  siteTokens: Record<string, string>;
  /** What every process of the world gets: the world's CA, and nothing else to trust. */
  trust(): Record<string, string>;
  /** The world's CA directory (ca.pem, central.pem, other-ca.pem, …). */
  ca: string;
  /** Starts the main server again (after it was killed), on the same data. */
  restartServer(): Promise<void>;
  /**
   * Starts another server on the central host, with a PostgreSQL database and an ActiveMQ broker of its own
   * (on the central host's address, STOMP on `brokerPort`, over TLS on the next one): `name` names its data
   * directory, database and broker directory, `port` is its port, `args` more of its options.
   */
  startServer(name: string, port: number, brokerPort: number, args?: string[]): Promise<CentralServer>;
  /** What the site's pilots printed (the agent keeps their logs). */
  pilotLogs(site: string): string;
  /** Runs the HPO workflow of the user's project; its markers go to a directory of its own. */
  runHpo(o: Omit<Hpo, "dir">, place?: DriverPlace): { dir: string; done: Promise<RunResult> };
  /** A call of the main server's API from the user host, with the user's token unless another is given. */
  api(path: string, init?: { method?: string; body?: unknown; token?: string }): Promise<any>;
  /** A new token of a site, made by the administrator. */
  siteToken(site: string, expiresInMs?: number): Promise<string>;
  teardown(): void;
}

/** The user project: the workflow program, a data file and a script, and the Pando under test as "pando". */
function makeProject(dir: string): string {
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

/**
 * Makes the world: the network, the CA, the central host's services and server, a token for each of the
 * sites `campus` and `hpc`, and their agents. Tear it down with `teardown()` (it also goes when the process
 * exits or is signalled).
 */
export async function startMultiHost(): Promise<MultiHost> {
  const net = createNetwork(["central", "site", "slurmctl", ...SLURM_NODES, "user"]);
  const dir = mkdtempSync(join(tmpdir(), "pando-multi-host-"));
  // PostgreSQL and munge run as users of their own, who must reach their directories.
  chmodSync(dir, 0o755);
  net.onTeardown(() => rmSync(dir, { recursive: true, force: true }));
  const ca = join(dir, "ca");
  const central = net.host("central").address;
  const trust = () => ({ PANDO_CA: join(ca, "ca.pem") });
  const slurmEnv = () => ({
    PANDO_SLURM_CLUSTER_DIR: join(dir, "slurm"),
    PANDO_SLURM_CONTROLLER: `${net.host("slurmctl").address}:${net.host("slurmctl").netns}`,
    PANDO_SLURM_NODES: SLURM_NODES.map((n) => `${n}:${net.host(n).address}:${net.host(n).netns}`).join(" "),
  });
  const mainBroker = `stomp+ssl://${BROKER_ADDRESS}:${BROKER_TLS_PORT}`;
  const agents: HostProcess[] = [];
  const siteTokens: Record<string, string> = {};
  let runs = 0;

  net.run("central", join(SERVICES, "ca.sh"), ["init", ca]);
  net.run("central", join(SERVICES, "ca.sh"), ["host", ca, "central", central, BROKER_ADDRESS]);
  net.run("central", join(SERVICES, "ca.sh"), ["other", ca]);
  net.run("central", "ip", ["addr", "add", `${BROKER_ADDRESS}/24`, "dev", "eth0"]);
  const project = makeProject(dir);
  const inCentral = {
    ...BROKER_ENV,
    PANDO_POSTGRES_HOST: central,
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

  async function spawnServer(name: string, port: number, db: string, broker: string, args: string[]): Promise<CentralServer> {
    const dataDir = join(dir, name);
    const argv = [
      CLI, "server", "--host", central, "--port", String(port), "--data-dir", dataDir,
      "--tls-cert", join(ca, "central.pem"), "--tls-key", join(ca, "central.key"), "--public-url", `https://${central}:${port}`,
      "--site-silence", SITE_SILENCE, ...HEARTBEAT, ...args,
    ];
    const proc = net.spawn("central", process.execPath, argv, {
      env: {
        ...BROKER_ENV,
        ...trust(),
        PANDO_DB: `postgres://postgres@${central}:${POSTGRES_PORT}/${db}`,
        PANDO_BROKER: broker,
      },
    });
    const url = await until(`the server ${name} to listen on its public address`, () => {
      if (proc.proc.exitCode !== null) throw new Error(`the server ${name} exited: ${proc.output()}`);
      return /\((https:\/\/\S+) to clients\)/.exec(proc.output())?.[1];
    });
    return { process: proc, url, credentials: JSON.parse(readFileSync(join(dataDir, "credentials.json"), "utf8")) as Credentials };
  }

  let server: CentralServer;
  try {
    await service("postgres.sh", ["up", String(POSTGRES_PORT)], inCentral);
    await service("activemq.sh", ["up", String(BROKER_PORT)], inCentral);
    await service("slurm-cluster.sh", ["up"], slurmEnv());
    server = await spawnServer("server", SERVER_PORT, "pando", mainBroker, []);
  } catch (e) {
    net.teardown();
    throw e;
  }

  const world: MultiHost = {
    net,
    dir,
    ca,
    project,
    server,
    agents,
    siteTokens,
    trust,
    restartServer: async () => {
      world.server = await spawnServer("server", SERVER_PORT, "pando", mainBroker, []);
    },
    startServer: async (name, port, brokerPort, args = []) => {
      net.run("central", "sh", ["-c", `"$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/createdb" -h ${central} -p ${POSTGRES_PORT} -U postgres ${name}`]);
      await service("activemq.sh", ["up", String(brokerPort)], { ...inCentral, PANDO_ACTIVEMQ_HOST: central, PANDO_ACTIVEMQ_DIR: join(dir, `activemq-${name}`) });
      return spawnServer(name, port, name, `stomp+ssl://${central}:${brokerPort + 1}`, args);
    },
    pilotLogs: (site) => {
      const logs = join(dir, `agent-${site}`, `site-${site}`, "logs");
      return existsSync(logs) ? readdirSync(logs).map((f) => readFileSync(join(logs, f), "utf8")).join("\n") : "";
    },
    runHpo: (o, place = {}) => {
      const hpo: Hpo = { ...o, dir: join(dir, `run-${++runs}`) };
      const server = place.server ?? world.server;
      const args = [CLI, "run", "hpo.ts#hpo", JSON.stringify(hpo), "--json", "--server", server.url, "--token", server.credentials.userToken];
      const driver = net.spawn(place.host ?? "user", process.execPath, args, {
        cwd: project,
        env: { ...trust(), PANDO_SERVER: "", PANDO_BROKER: "", PANDO_DB: "", ...place.env },
      });
      let stdout = "";
      driver.proc.stdout?.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
      const done = new Promise<RunResult>((resolve) => {
        // A run that hangs is killed, and ends with what the driver, the server and the agents said.
        let hung = false;
        const timer = setTimeout(() => {
          hung = true;
          driver.proc.kill("SIGKILL");
        }, RUN_LIMIT_MS);
        driver.proc.once("close", (code) => {
          clearTimeout(timer);
          const others = [server.process, ...agents].map((p) => `--- ${p.host} ${p.proc.pid}:\n${p.output().slice(-3000)}`);
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
    },
    api: async (path, init = {}) => {
      const script =
        "fetch(process.env.API_URL, { method: process.env.API_METHOD, body: process.env.API_BODY || undefined, " +
        "headers: { authorization: `Bearer ${process.env.API_TOKEN}`, 'content-type': 'application/json' } })" +
        ".then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, text: await r.text() })))" +
        ".catch((e) => { process.stderr.write(String(e.cause ?? e)); process.exit(1); })";
      const env = {
        ...trust(),
        NODE_EXTRA_CA_CERTS: join(ca, "ca.pem"),
        API_URL: `${world.server.url}/api/v1${path}`,
        API_METHOD: init.method ?? "GET",
        API_BODY: init.body === undefined ? "" : JSON.stringify(init.body),
        API_TOKEN: init.token ?? world.server.credentials.userToken,
      };
      const r = await net.runAsync("user", process.execPath, ["-e", script], { env });
      if (r.code !== 0) throw new Error(`${init.method ?? "GET"} ${path} from the user host failed: ${r.stderr}`);
      const res = JSON.parse(r.stdout) as { status: number; text: string };
      if (res.status >= 300) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${res.text}`);
      return path.endsWith("/archive") ? res.text.split("\n").filter(Boolean).map((l) => JSON.parse(l)) : JSON.parse(res.text);
    },
    siteToken: async (site, expiresInMs) =>
      (await world.api("/tokens", { method: "POST", body: { name: `${site} agent`, site, ...(expiresInMs ? { expiresInMs } : {}) } })).token as string,
    teardown: () => net.teardown(),
  };

  /** A site's agent on its host, with its site token and queues file; `env` for its backend (SLURM_CONF). */
  function startAgent(host: string, site: string, queue: Record<string, unknown>, env: Record<string, string> = {}): void {
    const queuesFile = join(dir, `${site}-queues.json`);
    writeFileSync(queuesFile, JSON.stringify({ queues: [{ ...SITE_QUEUE, ...queue }] }));
    const args = [CLI, "site", "--server", world.server.url, "--name", site, "--queues-file", queuesFile, "--data-dir", join(dir, `agent-${site}`), "--poll", "1s", "--max-backoff", "1s"];
    agents.push(net.spawn(host, process.execPath, args, { env: { ...trust(), ...env, PANDO_TOKEN: siteTokens[site]! } }));
  }

  try {
    // The administrator makes each site's token; each agent registers its site's queue and starts its pilots.
    for (const site of ["campus", "hpc"]) siteTokens[site] = await world.siteToken(site);
    startAgent("site", "campus", {});
    startAgent("slurmctl", "hpc", { backend: "slurm", slurm: { extraArgs: ["--exclusive"] } }, { SLURM_CONF: join(dir, "slurm", "slurm.conf") });
  } catch (e) {
    net.teardown();
    throw e;
  }
  return world;
}
