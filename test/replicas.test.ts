import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, runDriver } from "./helpers/cluster.js";
import { until } from "./helpers/until.js";

const SCRIPT = join(ROOT, "scripts", "services", "postgres.sh");
const PORT = 25434;
const FIXTURE = "test/fixtures/replicas.ts";

interface Replica {
  proc: ChildProcess;
  url: string;
  creds: { userToken: string; pilotToken: string };
}

function startReplica(db: string, dataDir: string, extra: string[] = []): Promise<Replica> {
  const proc = spawn(process.execPath, [CLI, "server", "--port", "0", "--data-dir", dataDir, "--db", db, ...extra], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PANDO_LOG_LEVEL: "warn", PANDO_BROKER: "" },
  });
  return new Promise((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve({ proc, url: m[1]!, creds: JSON.parse(readFileSync(join(dataDir, "credentials.json"), "utf8")) });
    });
    proc.stderr!.on("data", (c: Buffer) => (out += c.toString()));
    proc.once("exit", (code) => reject(new Error(`replica exited with ${code}:\n${out}`)));
  });
}

/** A pilot of one replica, told of the others (`--server own,other,…`) to move to when its own is gone. */
function startPilot(replica: Replica, cacheDir: string, others: readonly Replica[] = []): ChildProcess {
  const servers = [replica, ...others.filter((o) => o !== replica)].map((r) => r.url).join(",");
  return spawn(process.execPath, [CLI, "pilot", "--server", servers, "--queue", "local", "--slots", "1", "--cache-dir", cacheDir], {
    stdio: "ignore",
    env: { ...process.env, PANDO_TOKEN: replica.creds.pilotToken, PANDO_LOG_LEVEL: "warn" },
  });
}

/** Every line of every tally file: one per execution of a job. */
function tallied(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), "utf8").trim().split("\n").filter(Boolean));
}

const stop = (p: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once("exit", () => resolve());
    p.kill("SIGTERM");
  });

describe("several server replicas on one PostgreSQL", () => {
  let services: string;
  let base: string;
  beforeAll(() => {
    services = mkdtempSync(join(tmpdir(), "pando-replicas-pg-"));
    chmodSync(services, 0o755);
    base = execFileSync(SCRIPT, ["up", String(PORT)], { env: { ...process.env, PANDO_SERVICES_DIR: services }, encoding: "utf8" }).trim();
  });
  afterAll(() => {
    execFileSync(SCRIPT, ["down", String(PORT)], { env: { ...process.env, PANDO_SERVICES_DIR: services }, stdio: "ignore" });
    rmSync(services, { recursive: true, force: true });
  });

  /**
   * `n` replicas on a fresh database, two pilots on each (told of the others when `failover`), a directory
   * for the jobs' tallies; everything is stopped and dropped afterwards.
   */
  async function withReplicas(
    n: number,
    options: { serverArgs?: string[]; failover?: boolean; name?: string; pilots?: boolean },
    body: (replicas: Replica[], tallies: string, db: string) => Promise<void>,
  ): Promise<void> {
    const name = `replicas_${n}_${options.failover ? "failover_" : ""}${options.name ?? ""}${process.pid}`;
    execFileSync("psql", [base, "-qc", `CREATE DATABASE ${name}`], { stdio: "pipe" });
    const db = base.replace(/\/pando$/, `/${name}`);
    const dirs = mkdtempSync(join(tmpdir(), "pando-replicas-"));
    const replicas: Replica[] = [];
    const pilots: ChildProcess[] = [];
    try {
      for (let i = 0; i < n; i++) replicas.push(await startReplica(db, join(dirs, `server-${i}`), options.serverArgs));
      const others = options.failover ? replicas : [];
      if (options.pilots !== false) {
        replicas.forEach((r, i) => pilots.push(startPilot(r, join(dirs, `cache-${i}-a`), others), startPilot(r, join(dirs, `cache-${i}-b`), others)));
      }
      const tallies = join(dirs, "tallies");
      mkdirSync(tallies);
      await body(replicas, tallies, db);
    } finally {
      await Promise.all(pilots.map(stop));
      await Promise.all(replicas.map((r) => stop(r.proc)));
      execFileSync("psql", [base, "-qc", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], { stdio: "pipe" });
      rmSync(dirs, { recursive: true, force: true });
    }
  }

  function expectEachJobRanOnce(tallies: string): void {
    const lines = tallied(tallies);
    expect(new Set(lines).size).toBe(20_000);
    expect(lines).toHaveLength(20_000);
  }

  it("carries on when one of three replicas is killed with SIGKILL: nothing lost, nothing run twice, its pilots and driver move", async () => {
    // A short heartbeat timeout: jobs the killed replica had claimed but not handed over are sent again soon.
    const serverArgs = ["--heartbeat-interval", "300ms", "--heartbeat-timeout", "3s"];
    await withReplicas(3, { serverArgs, failover: true }, async (replicas, tallies) => {
      // The driver talks to the first replica and knows the others; that first replica is the one killed.
      const run = runDriver(`${FIXTURE}#many`, [JSON.stringify(tallies), "0", "20000"], {
        url: replicas.map((r) => r.url).join(","),
        token: replicas[0]!.creds.userToken,
        timeoutMs: 240_000,
      });
      await until("some jobs to have run", () => (tallied(tallies).length >= 3000 ? true : undefined), 120_000);
      replicas[0]!.proc.kill("SIGKILL");
      const r = await run;
      expect(r.code, r.stderr).toBe(0);
      expect(r.value).toBe(20_000);
      expectEachJobRanOnce(tallies);
    });
  });

  it.each([2, 3])(
    "%i replicas: 20,000 jobs from drivers on different replicas, each run exactly once, every result delivered",
    async (n) => {
      // Two pilots per replica, none of them told about the others; one driver per replica with its share.
      await withReplicas(n, {}, async (replicas, tallies) => {
        const share = Math.floor(20_000 / n);
        const shares = replicas.map((_, i) => (i === n - 1 ? 20_000 - share * (n - 1) : share));
        const results = await Promise.all(
          replicas.map((r, i) =>
            runDriver(`${FIXTURE}#many`, [JSON.stringify(tallies), String(i * share), String(shares[i])], {
              url: r.url,
              token: r.creds.userToken,
              timeoutMs: 240_000,
            }),
          ),
        );
        for (const r of results) expect(r.code, r.stderr).toBe(0);
        expect(results.map((r) => r.value)).toEqual(shares);
        expectEachJobRanOnce(tallies);
      });
    },
  );

  it("provisioning replicas never end the local pilots another replica started: each watches its own", async () => {
    // Every replica provisions the queue in turn (one pass at a time, under the lease); each pass sees the
    // workers the others started, whose processes it cannot see.
    const queues = join(services, "provisioned-queues.json");
    writeFileSync(queues, JSON.stringify({ queues: [{ name: "local" }, { name: "auto", maxPilots: 2, pilotIdle: "2s" }] }));
    await withReplicas(2, { name: "provisioned_", pilots: false, serverArgs: ["--queues-file", queues] }, async (replicas) => {
      const runs = replicas.map((r) =>
        runDriver("test/fixtures/provisioning.ts#auto", ["6", "1000"], { url: r.url, token: r.creds.userToken, timeoutMs: 120_000 }),
      );
      for (const r of await Promise.all(runs)) expect(r.code, r.stderr).toBe(0);
      const workers = async () => {
        const res = await fetch(`${replicas[0]!.url}/api/v1/workers`, { headers: { authorization: `Bearer ${replicas[0]!.creds.userToken}` } });
        return ((await res.json()) as Array<{ queue: string; status: string; reason: string | null }>).filter((w) => w.queue === "auto");
      };
      await until("the idle pilots to leave", async () => ((await workers()).every((w) => w.status === "ended") ? true : undefined), 60_000);
      const reasons = (await workers()).map((w) => w.reason);
      expect(reasons.length).toBeGreaterThan(0);
      // Their pilots left when idle, or were cancelled by their own replica; none was ended by another replica.
      for (const reason of reasons) expect(reason).toMatch(/^(its pilot exited|cancelled: no job waits for it any more)$/);
    });
  });

  it("a replica alone sends no wake-up through PostgreSQL; one that starts beside it is sent them from its start", async () => {
    const name = `replicas_presence_${process.pid}`;
    execFileSync("psql", [base, "-qc", `CREATE DATABASE ${name}`], { stdio: "pipe" });
    const db = base.replace(/\/pando$/, `/${name}`);
    const dirs = mkdtempSync(join(tmpdir(), "pando-replicas-"));
    const procs: ChildProcess[] = [];
    const observer = new pg.Client({ connectionString: db, application_name: "observer" });
    const heard: Array<{ from: string; wakes?: Array<[string, number | null]>; hello?: true; ack?: string }> = [];
    try {
      await observer.connect();
      observer.on("notification", (m) => heard.push(JSON.parse(m.payload ?? "{}") as (typeof heard)[number]));
      await observer.query("LISTEN pando_wake");
      const first = await startReplica(db, join(dirs, "server-0"));
      procs.push(first.proc);
      const firstPilot = startPilot(first, join(dirs, "cache-0"));
      procs.push(firstPilot);
      const tallies = join(dirs, "tallies");
      mkdirSync(tallies);
      const alone = await runDriver(`${FIXTURE}#many`, [JSON.stringify(tallies), "0", "20"], { url: first.url, token: first.creds.userToken });
      expect(alone.code, alone.stderr).toBe(0);
      expect(heard).toEqual([]);

      // The second replica's only pilot takes the jobs the first one's driver submits: the first must wake it.
      const second = await startReplica(db, join(dirs, "server-1"));
      procs.push(second.proc);
      expect(heard.some((m) => m.hello)).toBe(true);
      expect(heard.some((m) => m.ack !== undefined)).toBe(true);
      await stop(firstPilot);
      procs.push(startPilot(second, join(dirs, "cache-1")));
      const beside = await runDriver(`${FIXTURE}#many`, [JSON.stringify(tallies), "20", "20"], { url: first.url, token: first.creds.userToken });
      expect(beside.code, beside.stderr).toBe(0);
      expect(heard.some((m) => m.wakes?.some(([topic]) => topic === "queue:local"))).toBe(true);
      expect(tallied(tallies)).toHaveLength(40);
    } finally {
      await observer.end().catch(() => undefined);
      await Promise.all(procs.map(stop));
      execFileSync("psql", [base, "-qc", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], { stdio: "pipe" });
      rmSync(dirs, { recursive: true, force: true });
    }
  });

  it("a token revoked on one replica is refused at once by the others, whose caches had it", async () => {
    await withReplicas(2, {}, async ([first, second]) => {
      const call = async (r: Replica, method: string, path: string, token: string) => {
        const res = await fetch(`${r.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const created = await fetch(`${first!.url}/api/v1/tokens`, {
        method: "POST",
        headers: { authorization: `Bearer ${first!.creds.userToken}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "short-lived", user: "carol" }),
      });
      const token = ((await created.json()) as { token: string }).token;
      expect((await call(second!, "GET", "/api/v1/workflows", token)).status).toBe(200);
      const listed = await call(first!, "GET", "/api/v1/tokens", token);
      const id = (listed.body as unknown as Array<{ id: number; name: string }>).find((t) => t.name === "short-lived")!.id;
      expect((await call(first!, "DELETE", `/api/v1/tokens/${id}`, token)).status).toBe(200);
      await until("the revocation to reach the other replica", async () =>
        (await call(second!, "GET", "/api/v1/workflows", token)).status === 401 ? true : undefined, 4_000);
    });
  });
  /** A request of `token`'s to a replica, with the pilot's key when it acts as a pilot. */
  const call = async (r: Replica, method: string, path: string, token: string, body?: unknown, pilotKey?: string) => {
    const res = await fetch(`${r.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(pilotKey === undefined ? {} : { "x-pando-pilot-key": pilotKey }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as Record<string, unknown> };
  };

  it("never declares lost a pilot heard by another replica only, and does declare it once it falls silent", async () => {
    // Heartbeats are written in batches by the replica that heard them; whichever replica sweeps must see them.
    const serverArgs = ["--heartbeat-interval", "200ms", "--heartbeat-timeout", "2s", "--heartbeat-flush", "1h"];
    await withReplicas(2, { serverArgs, pilots: false, name: "heard" }, async ([first, second]) => {
      const token = first!.creds.pilotToken;
      const registered = await call(first!, "POST", "/api/v1/pilots", token, { queue: "local", name: "heard-elsewhere", slots: 1 });
      const { id, reportKey } = registered.body as { id: number; reportKey: string };
      const status = async () =>
        ((await call(first!, "GET", `/api/v1/pilots?limit=10`, first!.creds.userToken)).body.pilots as Array<{ id: number; status: string }>).find(
          (p) => p.id === id,
        )?.status;
      // Three timeouts of heartbeats to the second replica only.
      const until6s = Date.now() + 6_000;
      while (Date.now() < until6s) {
        const beat = await call(second!, "POST", `/api/v1/pilots/${id}/heartbeat`, token, { held: [] }, reportKey);
        expect(beat.status, JSON.stringify(beat.body)).toBe(200);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(await status()).toBe("running");
      await until("the silent pilot to be declared lost", async () => ((await status()) === "lost" ? true : undefined), 15_000);
    });
  });

  it("tells a pilot that exited through one replica that it ended when it calls another, which kept its row", async () => {
    // Replicas keep running pilots' rows; another replica's ends are read at each lost-pilot sweep (here every 0.5 s).
    const serverArgs = ["--heartbeat-interval", "200ms", "--heartbeat-timeout", "2s"];
    await withReplicas(2, { serverArgs, pilots: false, name: "ended" }, async ([first, second]) => {
      const token = first!.creds.pilotToken;
      const registered = await call(first!, "POST", "/api/v1/pilots", token, { queue: "local", name: "ended-elsewhere", slots: 1 });
      const { id, reportKey } = registered.body as { id: number; reportKey: string };
      const beat = () => call(second!, "POST", `/api/v1/pilots/${id}/heartbeat`, token, { held: [] }, reportKey);
      expect((await beat()).status).toBe(200);
      expect((await call(first!, "POST", `/api/v1/pilots/${id}/exit`, token, undefined, reportKey)).status).toBe(200);
      const told = await until("the other replica to tell the pilot it ended", async () => {
        const answer = await beat();
        return answer.status === 409 ? answer.body : undefined;
      }, 10_000);
      expect((told.error as { code: string }).code).toBe("pilot_ended");
    });
  });

  it("lets requests wait in line for its database connections, and answers 503 with Retry-After, never 500, to one that waited too long", async () => {
    const serverArgs = ["--db-pool-size", "1", "--db-pool-wait", "300ms"];
    await withReplicas(1, { serverArgs, pilots: false, name: "pool" }, async ([server], _tallies, db) => {
      const user = server!.creds.userToken;
      const locker = new pg.Client({ connectionString: db });
      await locker.connect();
      try {
        // The server's only connection waits behind a lock on the pilots' table, in a registration.
        await locker.query("BEGIN; LOCK TABLE pilots IN ACCESS EXCLUSIVE MODE");
        const registering = call(server!, "POST", "/api/v1/pilots", server!.creds.pilotToken, { queue: "local", name: "waits", slots: 1 });
        await until("the registration to wait on the lock", async () => {
          const { rows } = await locker.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()");
          return rows.length > 0 ? true : undefined;
        });
        const refused = await call(server!, "GET", "/api/v1/workflows", user);
        expect(refused.status).toBe(503);
        expect(refused.retryAfter).toBe("1");
        expect((refused.body.error as { code: string; message: string }).code).toBe("database_busy");
        expect((refused.body.error as { message: string }).message).toMatch(/none of its 1 database connections came free within 300 ms \(--db-pool-size, --db-pool-wait\)/);
        await locker.query("COMMIT");
        expect((await registering).status).toBe(201);
        expect((await call(server!, "GET", "/api/v1/workflows", user)).status).toBe(200);
      } finally {
        await locker.end();
      }
    });
  });
});
