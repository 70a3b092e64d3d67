import { afterEach, describe, expect, it } from "vitest";
import { SANDBOX_DEFAULTS } from "./sandbox-args.js";
import { installCommand } from "./environments.js";

describe("installCommand", () => {
  const saved = process.env.PANDO_TOKEN;
  afterEach(() => {
    if (saved === undefined) delete process.env.PANDO_TOKEN;
    else process.env.PANDO_TOKEN = saved;
  });

  it("runs npm ci in the pilot's sandbox, the environment's directory writable, with the network even when jobs have none", () => {
    process.env.PANDO_TOKEN = "pilot-token";
    const sandbox = { bwrap: "/usr/bin/bwrap", settings: { ...SANDBOX_DEFAULTS, network: false } };
    const { file, args, env } = installCommand("/cache/envs/abc.1.tmp", sandbox);
    expect(file).toBe("/usr/bin/bwrap");
    expect(args).toContain("--unshare-pid");
    expect(args).not.toContain("--unshare-net");
    expect(args.join(" ")).toContain("--bind /cache/envs/abc.1.tmp /cache/envs/abc.1.tmp");
    expect(args.slice(args.indexOf("--") + 1)).toEqual(["npm", "ci", "--omit=dev", "--no-audit", "--no-fund"]);
    expect(env.PANDO_TOKEN).toBeUndefined();
    expect(env.HOME).toBe("/cache/envs/abc.1.tmp");
  });

  it("runs npm ci itself without a sandbox, still without the pilot's environment", () => {
    process.env.PANDO_TOKEN = "pilot-token";
    const { file, args, env } = installCommand("/cache/envs/abc.1.tmp", undefined);
    expect([file, ...args]).toEqual(["npm", "ci", "--omit=dev", "--no-audit", "--no-fund"]);
    expect(env.PANDO_TOKEN).toBeUndefined();
  });
});
