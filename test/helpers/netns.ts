// A test network of hosts made of Linux network namespaces: each host a namespace of its own with one
// interface on a bridge, the bridge in a namespace of its own, addresses from 198.18.0.0/15 (the benchmarking
// range) only inside those namespaces. Nothing is made in the machine's own namespace. Needs root.
//
// Processes run in a host with `nsenter --net` (network namespace only: `ip netns exec` also remounts /sys,
// which hides /sys/fs/cgroup from slurmd). A host reaches the others over the bridge and its own loopback,
// never the machine's 127.0.0.1, so every service a host needs runs in that host.
//
// Teardown runs whatever happens: from afterAll, and from the process's exit and signal handlers. A network
// left by a killed run (its process gone) is deleted when the next one is made.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";

/** Every namespace a test network makes is named `pando-t-<pid>-<random>-<what>`. */
export const NETNS_PREFIX = "pando-t-";
/** The subnet hosts get their addresses from: the first /24 of 198.18.0.0/15. */
const SUBNET = "198.18.0";
const BRIDGE = "br0";

export interface NetHost {
  name: string;
  /** The host's namespace: /run/netns/<netns>. */
  netns: string;
  address: string;
}

export interface HostProcess {
  host: string;
  proc: ChildProcess;
  /** What it printed, stdout and stderr. */
  output(): string;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  cwd?: string;
}

export interface TestNetwork {
  hosts: Record<string, NetHost>;
  host(name: string): NetHost;
  /** Cuts a host's link to the bridge (its peers see its packets vanish, as when a site's uplink fails). */
  cut(name: string): void;
  restore(name: string): void;
  /** The processes running in a host (those the test started there, and theirs). */
  pids(name: string): number[];
  /**
   * Starts a process in a host, with the test's environment plus `env`. Output is collected; the process is
   * stopped at teardown.
   */
  spawn(host: string, command: string, args: readonly string[], options?: SpawnOptions): HostProcess;
  /** Runs a command in a host to its end; returns its stdout, throws with its stderr when it fails. */
  run(host: string, command: string, args: readonly string[], options?: SpawnOptions & { timeoutMs?: number }): string;
  /** Runs a command in a host to its end, without blocking the event loop. */
  runAsync(host: string, command: string, args: readonly string[], options?: SpawnOptions): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** A step of teardown (stopping a service with its own command), run before the processes are killed. */
  onTeardown(step: () => void): void;
  /** Stops what was started and deletes the namespaces; runs once. */
  teardown(): void;
}

function ip(args: readonly string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function namespaces(): string[] {
  return ip(["netns", "list"])
    .split("\n")
    .map((line) => line.split(" ")[0]!)
    .filter((name) => name.startsWith(NETNS_PREFIX));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A child killed but not yet reaped (the event loop is not running during a synchronous teardown) is a zombie.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Kills what still runs in a namespace (the processes the test started there, and theirs), then deletes it. */
function deleteNamespace(netns: string): void {
  let pids: number[] = [];
  try {
    pids = ip(["netns", "pids", netns]).split("\n").filter(Boolean).map(Number);
  } catch {
    // already gone
  }
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // exited meanwhile
    }
  }
  try {
    ip(["netns", "del", netns]);
  } catch {
    // already gone
  }
}

/** Deletes the namespaces of test networks whose process is gone (a run that was killed). */
export function deleteLeftovers(): string[] {
  const left = namespaces().filter((name) => {
    const pid = Number(name.slice(NETNS_PREFIX.length).split("-")[0]);
    return !Number.isInteger(pid) || !alive(pid);
  });
  left.forEach(deleteNamespace);
  return left;
}

const live = new Set<TestNetwork>();
let handlersInstalled = false;

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", () => [...live].forEach((n) => n.teardown()));
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      [...live].forEach((n) => n.teardown());
      process.kill(process.pid, signal);
    });
  }
}

function inNamespace(netns: string, command: string, args: readonly string[]): [string, string[]] {
  return ["nsenter", [`--net=/run/netns/${netns}`, command, ...args]];
}

function environment(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  // As the suite's other processes (test/helpers/cluster.ts), but never allowed plain HTTP across hosts: the
  // test network carries TLS, and a process that needs more says so in `extra`.
  const { PANDO_INSECURE_HTTP: _insecure, ...env } = process.env;
  return { ...env, PANDO_LOG_LEVEL: "warn", ...extra };
}

/** Makes the hosts, named by `names` (at most 12 characters each), on one bridge. */
export function createNetwork(names: readonly string[]): TestNetwork {
  if (process.getuid?.() !== 0) throw new Error("the test network needs root (it makes network namespaces with ip netns)");
  deleteLeftovers();
  installHandlers();
  const run = `${NETNS_PREFIX}${process.pid}-${randomBytes(2).toString("hex")}`;
  const bridgeNs = `${run}-net`;
  const hosts: Record<string, NetHost> = {};
  const procs: HostProcess[] = [];
  const steps: Array<() => void> = [];
  let down = false;

  const network: TestNetwork = {
    hosts,
    host: (name) => {
      const h = hosts[name];
      if (!h) throw new Error(`no host ${name} in the test network (hosts: ${Object.keys(hosts).join(", ")})`);
      return h;
    },
    cut: (name) => void ip(["-n", bridgeNs, "link", "set", `v-${network.host(name).name}`, "down"]),
    restore: (name) => void ip(["-n", bridgeNs, "link", "set", `v-${network.host(name).name}`, "up"]),
    pids: (name) => ip(["netns", "pids", network.host(name).netns]).split("\n").filter(Boolean).map(Number),
    spawn: (host, command, args, options = {}) => {
      const [cmd, argv] = inNamespace(network.host(host).netns, command, args);
      const proc = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"], env: environment(options.env), cwd: options.cwd });
      let out = "";
      proc.stdout?.on("data", (c: Buffer) => (out += c.toString("utf8")));
      proc.stderr?.on("data", (c: Buffer) => (out += c.toString("utf8")));
      const p = { host, proc, output: () => out };
      procs.push(p);
      return p;
    },
    run: (host, command, args, options = {}) => {
      const [cmd, argv] = inNamespace(network.host(host).netns, command, args);
      try {
        return execFileSync(cmd, argv, {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
          env: environment(options.env),
          cwd: options.cwd,
          timeout: options.timeoutMs ?? 120_000,
        });
      } catch (e) {
        const err = e as { stderr?: string; stdout?: string; message: string };
        throw new Error(`${command} ${args.join(" ")} failed on host ${host}: ${err.message}\n${err.stdout ?? ""}${err.stderr ?? ""}`, { cause: e });
      }
    },
    runAsync: (host, command, args, options = {}) =>
      new Promise((resolve) => {
        const p = network.spawn(host, command, args, options);
        let stdout = "";
        let stderr = "";
        p.proc.stdout?.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
        p.proc.stderr?.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
        p.proc.once("close", (code) => resolve({ code, stdout, stderr }));
      }),
    onTeardown: (step) => void steps.push(step),
    teardown: () => {
      if (down) return;
      down = true;
      live.delete(network);
      for (const step of steps.reverse()) {
        try {
          step();
        } catch (e) {
          process.stderr.write(`test network teardown: ${(e as Error).message}\n`);
        }
      }
      const running = procs.filter((p) => p.proc.exitCode === null && p.proc.signalCode === null && p.proc.pid !== undefined);
      for (const p of running) p.proc.kill("SIGTERM");
      for (let waited = 0; waited < 5_000 && running.some((p) => alive(p.proc.pid!)); waited += 50) sleepSync(50);
      for (const p of running) if (alive(p.proc.pid!)) p.proc.kill("SIGKILL");
      for (const h of Object.values(hosts)) deleteNamespace(h.netns);
      deleteNamespace(bridgeNs);
    },
  };
  live.add(network);

  try {
    ip(["netns", "add", bridgeNs]);
    ip(["-n", bridgeNs, "link", "add", BRIDGE, "type", "bridge"]);
    ip(["-n", bridgeNs, "link", "set", BRIDGE, "up"]);
    names.forEach((name, i) => {
      if (!/^[a-z][a-z0-9]{0,11}$/.test(name)) throw new Error(`host name ${name}: use 1 to 12 lowercase letters and digits`);
      const netns = `${run}-${name}`;
      const address = `${SUBNET}.${10 + i}`;
      ip(["netns", "add", netns]);
      // Both ends are made in the bridge's namespace and one moved straight into the host's: nothing passes
      // through the machine's own namespace.
      ip(["-n", bridgeNs, "link", "add", `v-${name}`, "type", "veth", "peer", "name", "eth0", "netns", netns]);
      ip(["-n", bridgeNs, "link", "set", `v-${name}`, "master", BRIDGE]);
      ip(["-n", bridgeNs, "link", "set", `v-${name}`, "up"]);
      ip(["-n", netns, "addr", "add", `${address}/24`, "dev", "eth0"]);
      ip(["-n", netns, "link", "set", "eth0", "up"]);
      ip(["-n", netns, "link", "set", "lo", "up"]);
      hosts[name] = { name, netns, address };
    });
  } catch (e) {
    network.teardown();
    throw e;
  }
  return network;
}

/** The namespaces of test networks that exist now (for checks that teardown left none). */
export function networkNamespaces(): string[] {
  return readdirSync("/run/netns").filter((name) => name.startsWith(NETNS_PREFIX));
}
