import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDriver, startCluster, type Cluster } from "./helpers/cluster.js";

const FIXTURE = "test/fixtures/contexts.ts";

describe("execution contexts", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ pilots: 1, slots: 2 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("runs a work after its initEnv, in the environment it leaves; other works are untouched", async () => {
    const r = await runDriver(`${FIXTURE}#contexts`, [], { url: cluster.url, token: cluster.credentials.userToken });
    expect(r.code, r.stderr).toBe(0);
    const v = r.value as Record<string, { ok: boolean; value?: unknown; code?: string; message?: string; attempts?: number }>;
    expect(v.initEnv).toEqual({
      ok: true,
      value: [
        { mark: "from-init-env", cwd: "/tmp" },
        { mark: "from-init-env", cwd: "/tmp" },
      ],
    });
    expect(v.plain).toMatchObject({ ok: true, value: { mark: null } });
    expect((v.plain!.value as { cwd: string }).cwd).not.toBe("/tmp");
  });

  it("fails a job whose initEnv fails, with the shell's output, without retrying", async () => {
    const r = await runDriver(`${FIXTURE}#contexts`, [], { url: cluster.url, token: cluster.credentials.userToken });
    const broken = (r.value as Record<string, { ok: boolean; code?: string; message?: string; attempts?: number }>).broken!;
    expect(broken).toMatchObject({ ok: false, code: "context_failed", attempts: 1 });
    expect(broken.message).toContain("the job's execution context (initEnv or container) failed to start: it exited with code 1");
    expect(broken.message).toContain("preparing the environment");
  });

  it("says clearly when a container is asked for and the pilot has no runtime", async () => {
    // This machine (and CI's) has no runtime that can run containers: podman installs from Debian but its
    // OCI runtime may not set resource limits in this sandbox, so the tests show the clear error instead.
    const r = await runDriver(`${FIXTURE}#contexts`, [], { url: cluster.url, token: cluster.credentials.userToken });
    const container = (r.value as Record<string, { ok: boolean; code?: string; message?: string }>).container!;
    expect(container).toMatchObject({ ok: false, code: "container_unavailable" });
    expect(container.message).toMatch(
      /^the job runs in container docker\.io\/library\/node:20, but pilot pilot-1 has no container runtime \(apptainer, singularity, podman\); install one/,
    );
  });

  it("takes the workflow's initEnv as the default of its work calls", async () => {
    const r = await runDriver(`${FIXTURE}#withDefaults`, [], { url: cluster.url, token: cluster.credentials.userToken });
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toMatchObject({ mark: "workflow-default" });
  });
});
