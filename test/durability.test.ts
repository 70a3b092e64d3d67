import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDriver, startCluster, type Cluster } from "./helpers/cluster.js";
import { firstMarker } from "./helpers/markers.js";

const FIXTURE = "test/fixtures/core.ts";

describe("a server killed with SIGKILL", () => {
  let cluster: Cluster;
  let markers: string;

  beforeAll(async () => {
    cluster = await startCluster({ pilots: 2 });
    markers = mkdtempSync(join(tmpdir(), "pando-durable-"));
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(markers, { recursive: true, force: true });
  });

  it("loses nothing it acknowledged: finished results stay, and a running workflow completes after a restart", async () => {
    const before = await runDriver(`${FIXTURE}#map50`, [], { url: cluster.url, token: cluster.credentials.userToken });
    expect(before.code, before.stderr).toBe(0);

    const driver = runDriver(`${FIXTURE}#survivors`, [markers, "6", "1500"], {
      url: cluster.url,
      token: cluster.credentials.userToken,
    });
    await firstMarker(markers);
    await cluster.restartServer("SIGKILL");

    const r = await driver;
    expect(r.stderr).toMatch(/workflow \d+ finished/);
    expect(r.code, r.stderr).toBe(0);
    expect((r.value as Array<{ i: number }>).map((v) => v.i)).toEqual([0, 1, 2, 3, 4, 5]);

    const old = await cluster.api("GET", `/api/v1/workflows/${before.workflowId}`);
    expect(old.body.status).toBe("finished");
    const results = await cluster.api("GET", `/api/v1/tasks/${old.body.tasks[0].id}/results?limit=100`);
    expect(results.body.results).toHaveLength(50);
    expect(results.body.results.map((x: { result: string }) => JSON.parse(x.result)).sort((a: number, b: number) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i * i).sort((a, b) => a - b),
    );
  });
});
