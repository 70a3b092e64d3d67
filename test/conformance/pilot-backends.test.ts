// The contract of a pilot backend (src/resources/pilot-backend.ts), checked the same way for every
// implementation: local child processes, and jobs of a real Slurm (scripts/services/slurm.sh). The test
// plays the provisioner's part, calling the backend itself, against a real server its pilots register with.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queueDefinitionSchema, type QueueDefinition } from "../../src/core/queue-config.js";
import { LocalBackend } from "../../src/resources/local-backend.js";
import type { PilotBackend, PilotLaunch } from "../../src/resources/pilot-backend.js";
import { SlurmBackend } from "../../src/resources/slurm-backend.js";
import { ROOT, runDriver, startCluster, type Cluster, type DriverRun } from "../helpers/cluster.js";
import { until } from "../helpers/until.js";

const FIXTURE = "test/fixtures/pilot-backends.ts";
const SLURM = join(ROOT, "scripts", "services", "slurm.sh");
const SLURM_CONF = join(ROOT, ".pando", "services", "slurm", "slurm.conf");
/** A pilot the backend lost goes silent: the server gives up on it after this long and retries its jobs. */
const HEARTBEAT_TIMEOUT = "3s";

interface BackendCase {
  kind: QueueDefinition["backend"];
  create(): PilotBackend;
  /** Brings up the batch system for this file's tests of the backend, and takes it down after them. */
  setUp?(): void;
  tearDown?(): void;
  /** The queue's own settings, beyond its name and backend. */
  queue: Record<string, unknown>;
  /**
   * How to make the batch system hold a pilot pending, and the reason the backend then gives. Absent: the
   * backend never holds one (a local pilot runs from the moment it is submitted, checked by the first test).
   */
  hold?: { queue: Record<string, unknown>; reason: string };
  /** A launch the batch system refuses (made so here), and what the error must say. */
  refused(launch: PilotLaunch): { launch: PilotLaunch; error: RegExp };
  /** Makes the batch system unreachable for status(); returns what restores it. Absent: the backend asks nobody. */
  unreachable?: { make(): () => void; error: RegExp };
  /** Whether close() stops the pilots it started (local processes) or leaves them to the batch system. */
  closeStopsPilots: boolean;
}

const CASES: BackendCase[] = [
  {
    kind: "local",
    create: () => new LocalBackend(),
    queue: {},
    // A log directory that cannot be made (a file is in the way): the process cannot start.
    refused: (l) => {
      mkdirSync(l.logDir, { recursive: true });
      writeFileSync(join(l.logDir, "in-the-way"), "");
      return { launch: { ...l, logDir: join(l.logDir, "in-the-way", "logs") }, error: /not a directory/i };
    },
    closeStopsPilots: true,
  },
  {
    kind: "slurm",
    create: () => new SlurmBackend(),
    setUp: () => {
      const up = spawnSync(SLURM, ["up"], { encoding: "utf8" });
      if (up.status !== 0) throw new Error(`scripts/services/slurm.sh up failed; Slurm is needed for these tests:\n${up.stderr}`);
      process.env.SLURM_CONF = SLURM_CONF;
    },
    tearDown: () => {
      spawnSync(SLURM, ["down"]);
    },
    queue: { slurm: { partition: "debug" } },
    // Submitted to start an hour from now: Slurm holds it pending (BeginTime).
    hold: { queue: { slurm: { partition: "debug", extraArgs: ["--begin=now+1hour"] } }, reason: "BeginTime: its start time has not come (--begin)" },
    refused: (l) => ({
      launch: { ...l, queue: { ...l.queue, slurm: { partition: "no-such-partition", extraArgs: [] } } },
      error: /^sbatch failed for queue 'pb-slurm': .*invalid partition/i,
    }),
    unreachable: {
      // A configuration Slurm's commands cannot read (a missing one, they would wait a minute for).
      make: () => {
        const broken = mkdtempSync(join(tmpdir(), "pando-broken-slurm-"));
        writeFileSync(join(broken, "slurm.conf"), "this is not a slurm.conf\n");
        process.env.SLURM_CONF = join(broken, "slurm.conf");
        return () => {
          process.env.SLURM_CONF = SLURM_CONF;
          rmSync(broken, { recursive: true, force: true });
        };
      },
      error: /^squeue failed: .*Parse error in file/,
    },
    closeStopsPilots: false,
  },
];

interface Pilot {
  id: number;
  name: string;
  pid: number;
  status: string;
}

interface Attempt {
  state: string;
  pilot: string | null;
  error: { code: string } | null;
}

describe.each(CASES)("pilot backend: $kind", (c) => {
  const queueName = `pb-${c.kind}`;
  let cluster: Cluster;
  let backend: PilotBackend;
  let dir: string;
  let workers = 0;
  const drivers: DriverRun[] = [];
  /** Batch ids still to clean up after the tests. */
  const submitted = new Set<string>();

  const queue = (extra: Record<string, unknown> = {}): QueueDefinition =>
    queueDefinitionSchema.parse({ name: queueName, backend: c.kind, pilotIdle: "10m", ...c.queue, ...extra });
  const launch = (q: QueueDefinition = queue()): PilotLaunch => ({
    workerId: ++workers,
    queue: q,
    serverUrl: cluster.url,
    token: cluster.credentials.pilotToken,
    cacheDir: join(dir, "cache"),
    logDir: join(dir, "logs"),
  });
  const submit = async (l: PilotLaunch) => {
    const id = await backend.submit(l);
    submitted.add(id);
    return { id, name: `${c.kind}-${queueName}-${l.workerId}` };
  };
  const pilotNamed = async (name: string): Promise<Pilot | undefined> =>
    ((await cluster.api("GET", `/api/v1/pilots?queue=${queueName}`)).body.pilots as Pilot[]).find((p) => p.name === name);
  const registered = (name: string) => until(`pilot ${name} to register`, async () => {
    const p = await pilotNamed(name);
    return p?.status === "running" ? p : undefined;
  }, 60_000);
  const forgotten = (id: string) => until(`status() to leave out ${id}`, async () => ((await backend.status([id])).has(id) ? undefined : true), 60_000);
  const run = (target: string, args: string[]) => {
    const r = runDriver(`${FIXTURE}#${target}`, args, { url: cluster.url, token: cluster.credentials.userToken, extra: ["--queue", queueName] });
    drivers.push(r);
    return r;
  };
  /** The only job of a workflow's first task, with its attempts (undefined until submitted). */
  const jobOf = async (workflowId: number) => {
    const wf = await cluster.api("GET", `/api/v1/workflows/${workflowId}`);
    const taskId = wf.body.tasks[0]?.id;
    if (taskId === undefined) return undefined;
    const jobs = await cluster.api("GET", `/api/v1/tasks/${taskId}/jobs`);
    const id = jobs.body.jobs[0]?.id;
    return id === undefined ? undefined : ((await cluster.api("GET", `/api/v1/jobs/${id}`)).body as { id: number; state: string; attempts: Attempt[] });
  };

  beforeAll(async () => {
    c.setUp?.();
    dir = mkdtempSync(join(tmpdir(), `pando-backend-${c.kind}-`));
    cluster = await startCluster({
      pilots: 0,
      broker: null,
      // The backend's queue: the server starts no pilot of its own there (maxPilots 0), the test does.
      queues: [{ name: "local" }, { name: queueName, backend: c.kind, heartbeatTimeout: HEARTBEAT_TIMEOUT, ...c.queue }],
    });
    backend = c.create();
  });

  afterAll(async () => {
    for (const d of drivers) d.proc.kill("SIGKILL");
    await Promise.allSettled(drivers);
    const cleanup = c.create();
    await Promise.allSettled([...submitted].map((id) => cleanup.cancel(id)));
    await backend?.close();
    await cluster?.stop();
    c.tearDown?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let running: { id: string; name: string } | undefined;

  it("submit returns a batch id; the pilot starts, registers with the server and runs jobs", async () => {
    running = await submit(launch());
    expect(running.id).toMatch(/^\d+$/);
    const pilot = await registered(running.name);
    if (c.kind === "local") expect(String(pilot.pid)).toBe(running.id);
    expect((await backend.status([running.id])).get(running.id)).toEqual({ state: "running", reason: null });
    const r = await run("where", []);
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toEqual({ pilotPid: pilot.pid, attempt: 1 });
  });

  it("status leaves out the jobs that ended (a pilot that left when idle) and those it never knew", async () => {
    const idle = await submit(launch(queue({ pilotIdle: "1s" })));
    await registered(idle.name);
    const never = "999999999";
    expect((await backend.status([never])).size).toBe(0);
    await forgotten(idle.id);
    expect((await pilotNamed(idle.name))?.status).toBe("finished");
    // Those still alive are still listed.
    expect([...(await backend.status([idle.id, running!.id, never])).keys()]).toEqual([running!.id]);
  });

  if (c.hold) {
    const hold = c.hold;
    it("status says pending with the batch system's reason while it holds a pilot; cancel ends the pending pilot", async () => {
      const held = await submit(launch(queue(hold.queue)));
      const status = await until("the held pilot to be pending with a reason", async () => {
        const s = (await backend.status([held.id])).get(held.id);
        return s?.state === "pending" && s.reason !== null ? s : undefined;
      });
      expect(status.reason).toBe(hold.reason);
      await backend.cancel(held.id);
      await forgotten(held.id);
      expect(await pilotNamed(held.name)).toBeUndefined();
    });
  }

  it("cancel ends a running pilot, and the job it held is retried on another pilot without spending an attempt", async () => {
    const gate = join(dir, "gate-cancel");
    const driver = run("gated", [JSON.stringify(gate)]);
    const workflowId = await driver.started;
    await until("the job to run on the first pilot", async () => {
      const a = (await jobOf(workflowId))?.attempts.at(-1);
      return a?.state === "running" && a.pilot === running!.name ? true : undefined;
    });
    await backend.cancel(running!.id);
    await forgotten(running!.id);
    await until("the server to see the cancelled pilot gone", async () => ((await pilotNamed(running!.name))?.status === "running" ? undefined : true));

    const next = await submit(launch());
    await until("the job to be retried on the next pilot", async () => {
      const a = (await jobOf(workflowId))?.attempts.at(-1);
      return a?.state === "running" && a.pilot === next.name ? true : undefined;
    });
    writeFileSync(gate, "");
    const r = await driver;
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toBe(2);
    const job = (await jobOf(workflowId))!;
    expect(job.state).toBe("finished");
    expect(job.attempts).toHaveLength(2);
    expect(job.attempts[0]).toMatchObject({ state: "failed", pilot: running!.name });
    expect(job.attempts[0]!.error?.code).toMatch(/^(pilot_exited|pilot_gone|lost_heartbeat)$/);
    expect(job.attempts[1]).toMatchObject({ state: "finished", pilot: next.name });
    running = next;
  });

  it("a failure of the batch system is an error that gives its reason", async () => {
    const refused = c.refused(launch());
    await expect(backend.submit(refused.launch)).rejects.toThrow(refused.error);
    if (c.unreachable) {
      const restore = c.unreachable.make();
      try {
        await expect(backend.status([running!.id])).rejects.toThrow(c.unreachable.error);
      } finally {
        restore();
      }
    }
    // The backend still works.
    expect((await backend.status([running!.id])).get(running!.id)?.state).toBe("running");
  });

  it(`close stops watching${c.closeStopsPilots ? ", and stops the pilots it started" : "; the pilots it started run on in the batch system"}`, async () => {
    const { id, name } = running!;
    const pilot = await registered(name);
    await backend.close();
    if (c.closeStopsPilots) {
      expect(() => process.kill(pilot.pid, 0)).toThrow(/ESRCH/);
      expect((await backend.status([id])).size).toBe(0);
      await until("the server to see the pilot leave", async () => ((await pilotNamed(name))?.status === "finished" ? true : undefined));
    } else {
      const other = c.create();
      expect((await other.status([id])).get(id)?.state).toBe("running");
      expect((await pilotNamed(name))?.status).toBe("running");
    }
  });
});
