import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDriver, startCluster, type Cluster } from "./helpers/cluster.js";
import { firstMarker } from "./helpers/markers.js";
import { until } from "./helpers/until.js";

const FIXTURE = "test/fixtures/core.ts";

/**
 * A cluster of `pilots` pilots with a short heartbeat timeout, started before a describe's tests and
 * stopped after them, and a directory where jobs leave markers saying which pilot runs them.
 */
function clusterWithMarkers(pilots: number): { cluster: () => Cluster; markers: () => string } {
  let cluster: Cluster | undefined;
  let markers = "";
  beforeAll(async () => {
    cluster = await startCluster({ pilots, serverArgs: ["--heartbeat-interval", "200ms", "--heartbeat-timeout", "1500ms"] });
    markers = mkdtempSync(join(tmpdir(), "pando-markers-"));
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(markers, { recursive: true, force: true });
  });
  return { cluster: () => cluster!, markers: () => markers };
}

describe("a pilot killed with SIGKILL in the middle of a job", () => {
  const setup = clusterWithMarkers(2);

  it("has its job retried on another pilot after the heartbeat timeout, and the workflow finishes with every result", async () => {
    const [cluster, markers] = [setup.cluster(), setup.markers()];
    const driver = runDriver(`${FIXTURE}#survivors`, [markers, "4", "2500"], {
      url: cluster.url,
      token: cluster.credentials.userToken,
    });
    // The first job to start tells which pilot runs it; kill that pilot outright.
    const marker = await firstMarker(markers);
    const victim = cluster.pilots.find((p) => p.proc.pid === marker.pilotPid);
    expect(victim, "the marker names one of our pilots").toBeDefined();
    victim!.proc.kill("SIGKILL");

    const r = await driver;
    expect(r.stderr).toMatch(/workflow \d+ finished/);
    expect(r.code, r.stderr).toBe(0);
    expect((r.value as Array<{ i: number }>).map((v) => v.i)).toEqual([0, 1, 2, 3]);

    const job = await cluster.api("GET", `/api/v1/jobs/${marker.job.jobId}`);
    expect(job.body.state).toBe("finished");
    const attempts = job.body.attempts as Array<{ state: string; pilot: string; error: { code: string } | null }>;
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts[0]).toMatchObject({ state: "failed", pilot: victim!.name });
    expect(attempts[0]!.error?.code).toBe("lost_heartbeat");
    const last = attempts[attempts.length - 1]!;
    expect(last.state).toBe("finished");
    expect(last.pilot).not.toBe(victim!.name);
  });
});

describe("a server down for longer than the heartbeat timeout", () => {
  const setup = clusterWithMarkers(1);

  it("gives its pilots a whole timeout after it restarts before it declares any lost: their running jobs finish once", async () => {
    const [cluster, markers] = [setup.cluster(), setup.markers()];
    const driver = runDriver(`${FIXTURE}#survivors`, [markers, "2", "6000"], { url: cluster.url, token: cluster.credentials.userToken });
    const marker = await firstMarker(markers);
    // The pilot's last heartbeat is older than the timeout when the server comes back, and the pilot is slow
    // to call again (held stopped until the restarted server has swept for lost pilots a few times; its
    // job's executor runs on meanwhile).
    const pilot = cluster.pilots[0]!.proc;
    pilot.kill("SIGSTOP");
    try {
      await cluster.stopServer("SIGKILL");
      await new Promise((r) => setTimeout(r, 2500));
      await cluster.startServer();
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      pilot.kill("SIGCONT");
    }

    const r = await driver;
    expect(r.code, r.stderr).toBe(0);
    const job = await cluster.api("GET", `/api/v1/jobs/${marker.job.jobId}`);
    expect(job.body.attempts.map((a: { state: string; error: { code: string } | null }) => [a.state, a.error?.code ?? null])).toEqual([["finished", null]]);
  });
});

describe("a pilot that hears from several requests at once that it was declared ended", () => {
  const setup = clusterWithMarkers(1);

  it("drops what it held and registers again once, not once per request, and runs the retried job", async () => {
    const [cluster, markers] = [setup.cluster(), setup.markers()];
    const driver = runDriver(`${FIXTURE}#survivors`, [markers, "1", "2000"], { url: cluster.url, token: cluster.credentials.userToken });
    await firstMarker(markers);
    // Stopped past its heartbeat timeout while its executor finishes the job: once it runs again, its
    // heartbeat, its report of the job and its open long-poll all hear that it was declared ended.
    const pilot = cluster.pilots[0]!;
    pilot.proc.kill("SIGSTOP");
    try {
      await until("the server to declare the pilot lost", async () => {
        const pilots = (await cluster.api("GET", "/api/v1/pilots?status=lost")).body.pilots as unknown[];
        return pilots.length > 0 || undefined;
      });
      await new Promise((r) => setTimeout(r, 2500));
    } finally {
      pilot.proc.kill("SIGCONT");
    }

    const r = await driver;
    expect(r.code, r.stderr).toBe(0);
    expect(pilot.output().match(/declared this pilot ended/g), pilot.output()).toHaveLength(1);
    // Its first registration, lost, and one more that ran the job again: no registration left unused.
    const rows = (await cluster.api("GET", "/api/v1/pilots?limit=100")).body.pilots as Array<{ name: string; status: string }>;
    expect(rows.filter((p) => p.name === pilot.name).map((p) => p.status).sort()).toEqual(["lost", "running"]);
  });
});
