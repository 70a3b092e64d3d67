// A queue's new jobs wake only the long-polling pilots that have room for them: a pilot whose slots are full
// could take none, and at thousands of pilots each woken one costs the server a read of what it holds. Its
// own reports wake it when they free room.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "./helpers/cluster.js";
import { scrape } from "./helpers/prometheus.js";
import { until } from "./helpers/until.js";

const KEY_HEADER = "x-pando-pilot-key";

describe("a new job wakes a long-polling pilot with room, not a full one", () => {
  let cluster: Cluster;
  const code = `import { work } from "pando"; export const twice = work({ name: "twice" }, async (n) => 2 * n);`;
  const bytes = new TextEncoder().encode(code);
  const hash = createHash("sha256").update(bytes).digest("hex");

  beforeAll(async () => {
    // A new task is handed to one waiting pilot as it is recorded; its other jobs reach pilots through their
    // wake-ups. No warm commands: a long-poll answers with jobs only.
    cluster = await startCluster({ pilots: 0, serverArgs: ["--max-hand-off-pilots", "1", "--warm-keep", "0"] });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  async function register(name: string) {
    const res = await cluster.api("POST", "/api/v1/pilots", { queue: "local", name, slots: 1 }, cluster.credentials.pilotToken);
    expect(res.status).toBe(201);
    const id = res.body.id as number;
    const key = res.body.reportKey as string;
    return {
      id,
      acquire: (waitMs: number) =>
        cluster.api("POST", `/api/v1/pilots/${id}/acquire`, { capacity: 1, waitMs }, cluster.credentials.pilotToken, { [KEY_HEADER]: key }),
      report: (jobId: number, attempt: number) =>
        cluster.api("POST", `/api/v1/pilots/${id}/report`, { updates: [{ jobId, attempt, state: "finished", endedAt: Date.now(), result: "2" }] }, cluster.credentials.pilotToken, {
          [KEY_HEADER]: key,
        }),
    };
  }

  async function submit(workflowId: number, ...keys: string[]): Promise<void> {
    const jobs = keys.map((key) => ({ key, args: "[1]" }));
    const task = await cluster.api("POST", `/api/v1/workflows/${workflowId}/tasks`, { work: "twice", bundleHash: hash, jobs });
    expect(task.status).toBe(201);
  }

  const longPolls = async (n: number) =>
    until(`${n} acquire long-polls to be held`, async () => ((await scrape(cluster.api)).value("pando_long_polls", { kind: "acquire" }) >= n ? true : undefined));

  it("the full pilot, waiting first, does not take the wake-up the pilot with room needs; its report wakes it to hear its queue again", async () => {
    const up = await fetch(`${cluster.url}/api/v1/bundles/${hash}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${cluster.credentials.userToken}`, "content-type": "application/octet-stream" },
      body: bytes,
    });
    expect(up.status).toBe(201);
    const wf = (await cluster.api("POST", "/api/v1/workflows", { name: "wake-ups" })).body.id as number;
    const full = await register("full");
    const handed = await register("handed");
    const woken = await register("woken");

    // The first pilot takes a job: its only slot is full.
    await submit(wf, "first");
    const first = await full.acquire(0);
    expect(first.body.jobs).toHaveLength(1);

    // It waits first, then the two pilots with room. A task of two jobs: one is handed to the first pilot with
    // room as the task is recorded, and the other wakes one more pilot, which must be the other one with room.
    const fullWaits = full.acquire(20_000);
    await longPolls(1);
    const handedWaits = handed.acquire(15_000);
    await longPolls(2);
    const wokenWaits = woken.acquire(15_000);
    await longPolls(3);
    await submit(wf, "second", "third");
    for (const answer of [await handedWaits, await wokenWaits]) {
      expect(answer.status).toBe(200);
      expect(answer.body.jobs).toHaveLength(1);
    }

    // The full pilot's report frees its slot and wakes its long-poll: with room, it hears its queue again.
    const job = first.body.jobs[0] as { jobId: number; attempt: number };
    expect((await full.report(job.jobId, job.attempt)).status).toBe(200);
    await submit(wf, "fourth");
    const after = await fullWaits;
    expect(after.status).toBe(200);
    expect(after.body.jobs).toHaveLength(1);
  });
});
