import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDriver, startCluster, type Cluster } from "./helpers/cluster.js";

describe("walltime and memory limits", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ pilots: 1, slots: 2 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("kills a job over its walltime or memory with a code of its own, and does not retry it", async () => {
    const r = await runDriver("test/fixtures/limits.ts#limited", [], { url: cluster.url, token: cluster.credentials.userToken });
    expect(r.code, r.stderr).toBe(0);
    const v = r.value as Record<string, { ok: boolean; code?: string; attempts?: number; message?: string; value?: unknown }>;
    expect(v.withinWalltime).toEqual({ ok: true, value: 100 });
    expect(v.overWalltime).toMatchObject({ ok: false, code: "walltime_exceeded", attempts: 1 });
    expect(v.overWalltime!.message).toBe("the job ran longer than its walltime of 1000 ms and was killed");
    expect(v.withinMemory).toEqual({ ok: true, value: 1 });
    expect(v.overMemory).toMatchObject({ ok: false, code: "out_of_memory", attempts: 1 });
    expect(v.overMemory!.message).toMatch(/^the job's processes used \d+ MiB, over the 200 MiB it asked for, and were killed$/);
  });
});
