import { describe, expect, it } from "vitest";
import { executorEnv } from "./executor-env.js";

const host = {
  PATH: "/usr/bin:/bin",
  HOME: "/home/pilot",
  TMPDIR: "/scratch",
  LANG: "C.UTF-8",
  LC_ALL: "C.UTF-8",
  SLURM_JOB_ID: "42",
  PANDO_TOKEN: "pilot-secret-token",
  PANDO_DB: "postgres://u:p@db/pando",
  PANDO_BROKER_PASSWORD: "broker-secret",
  AWS_SECRET_ACCESS_KEY: "aws",
  http_proxy: "http://proxy:3128",
  LEAKY: "Bearer pilot-secret-token",
};
const own = { PANDO_SERVER_URL: "http://server", PANDO_WORK_ROOT: "/tmp/pando-executor-1" };

describe("executorEnv", () => {
  it("passes only the allowed variables, never a credential of the pilot or its server", () => {
    const env = executorEnv(host, { sandboxed: false, own, secrets: ["pilot-secret-token"] });
    expect(env).toEqual({
      PATH: "/usr/bin:/bin",
      HOME: "/home/pilot",
      TMPDIR: "/scratch",
      LANG: "C.UTF-8",
      LC_ALL: "C.UTF-8",
      SLURM_JOB_ID: "42",
      http_proxy: "http://proxy:3128",
      ...own,
    });
  });

  it("gives a sandboxed executor its own directory as HOME, and none of the host's paths", () => {
    const env = executorEnv(host, { sandboxed: true, workDir: "/tmp/pando-executor-1", own, secrets: [] });
    expect(env.HOME).toBe("/tmp/pando-executor-1");
    expect(env.TMPDIR).toBeUndefined();
  });

  it("drops any variable holding a secret, Pando's own included, and has a PATH", () => {
    const env = executorEnv({ LANG: "x pilot-secret-token" }, { sandboxed: false, own: { PANDO_SERVER_URL: "http://pilot-secret-token@h" }, secrets: ["pilot-secret-token", ""] });
    expect(env).toEqual({ PATH: "/usr/local/bin:/usr/bin:/bin" });
  });
});
