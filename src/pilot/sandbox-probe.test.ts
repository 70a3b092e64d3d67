import { describe, expect, it } from "vitest";
import { SANDBOX_DEFAULTS } from "./sandbox-args.js";
import { chooseSandbox, probeBwrap, SandboxUnavailableError } from "./sandbox-probe.js";

const works = () => undefined;
const missing = () => "/no/bwrap could not be run (spawnSync /no/bwrap ENOENT)";

describe("chooseSandbox", () => {
  it("uses bwrap where it works, in auto and bwrap modes", () => {
    expect(chooseSandbox({ ...SANDBOX_DEFAULTS, bwrapPath: "bwrap" }, works)).toEqual({ bwrap: "bwrap" });
    expect(chooseSandbox({ ...SANDBOX_DEFAULTS, mode: "bwrap", bwrapPath: "/usr/bin/bwrap" }, works)).toEqual({ bwrap: "/usr/bin/bwrap" });
  });

  it("runs unsandboxed with a warning saying what jobs can read and how to install bubblewrap when auto finds none", () => {
    const choice = chooseSandbox({ ...SANDBOX_DEFAULTS, bwrapPath: "/no/bwrap" }, missing);
    expect(choice.bwrap).toBeUndefined();
    expect(choice.warning).toMatch(/^jobs run without a sandbox: \/no\/bwrap could not be run/);
    expect(choice.warning).toContain("apt-get install bubblewrap");
  });

  it("refuses in bwrap mode where bwrap does not work", () => {
    expect(() => chooseSandbox({ ...SANDBOX_DEFAULTS, mode: "bwrap", bwrapPath: "/no/bwrap" }, missing)).toThrow(SandboxUnavailableError);
    expect(() => chooseSandbox({ ...SANDBOX_DEFAULTS, mode: "bwrap", bwrapPath: "/no/bwrap" }, missing)).toThrow(
      /must run jobs in a bubblewrap sandbox \(--sandbox bwrap\), but \/no\/bwrap could not be run/,
    );
  });

  it("does not probe when the sandbox is off, and warns", () => {
    const choice = chooseSandbox({ ...SANDBOX_DEFAULTS, mode: "none" }, () => {
      throw new Error("probed");
    });
    expect(choice.bwrap).toBeUndefined();
    expect(choice.warning).toMatch(/^the sandbox is off/);
  });
});

describe("probeBwrap", () => {
  it("says why a program that is not there cannot sandbox", () => {
    expect(probeBwrap({ ...SANDBOX_DEFAULTS, bwrapPath: "/nonexistent/bwrap" })).toMatch(/^\/nonexistent\/bwrap could not be run \(.*ENOENT/);
  });

  it("says how a program that fails failed", () => {
    expect(probeBwrap({ ...SANDBOX_DEFAULTS, bwrapPath: "false" })).toBe("false failed (exit code 1)");
  });
});
