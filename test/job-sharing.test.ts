// A task that may run on two queues, placed by brokerage on one: its jobs waiting there go to the idle
// pilots of the other, so that both queues' slots run them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDriver, startCluster, type Cluster } from "./helpers/cluster.js";

describe("jobs waiting on one queue while another queue their task allows idles", () => {
  let cluster: Cluster;
  const dir = mkdtempSync(join(tmpdir(), "pando-sharing-"));

  beforeAll(async () => {
    // Two queues of one slot each, no pilot started by the server: one pilot on each, started here.
    cluster = await startCluster({ pilots: 0, queues: [{ name: "a", maxPilots: 0 }, { name: "b", maxPilots: 0 }] });
    cluster.startPilot("on-a", 1, "a");
    cluster.startPilot("on-b", 1, "b");
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("run on both queues' pilots side by side: the jobs left waiting move to the idle queue", async () => {
    // Each job waits until both run at once: on one queue's single slot, they never would.
    const r = await runDriver("test/fixtures/sharing.ts#together", [join(dir, "markers"), "2"], { url: cluster.url, token: cluster.credentials.userToken });
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toEqual([0, 1]);
    const { tasks } = (await cluster.api("GET", `/api/v1/workflows/${r.workflowId}`)).body as { tasks: Array<{ id: number }> };
    const { jobs } = (await cluster.api("GET", `/api/v1/tasks/${tasks[0]!.id}/jobs`)).body as { jobs: Array<{ id: number }> };
    const pilots = await Promise.all(jobs.map(async (j) => ((await cluster.api("GET", `/api/v1/jobs/${j.id}`)).body.attempts as Array<{ pilot: string }>).map((a) => a.pilot)));
    expect(pilots.flat().sort()).toEqual(["on-a", "on-b"]);
  });
});
