import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { sandboxFrom } from "./sandbox-options.js";

describe("sandboxFrom", () => {
  it("takes each flag, else its variable, else the default", () => {
    expect(sandboxFrom({}, {})).toEqual({ mode: "auto", network: true, bindReadOnly: [], bindWritable: [], bwrapPath: "bwrap" });
    const env = { PANDO_SANDBOX: "none", PANDO_SANDBOX_NETWORK: "off", PANDO_SANDBOX_BIND_RO: `/:${tmpdir()}`, PANDO_SANDBOX_BWRAP: "/opt/bwrap" };
    expect(sandboxFrom({}, env)).toEqual({ mode: "none", network: false, bindReadOnly: ["/", tmpdir()], bindWritable: [], bwrapPath: "/opt/bwrap" });
    expect(sandboxFrom({ sandbox: "bwrap", sandboxNetwork: true, sandboxBindRo: [] }, env)).toMatchObject({ mode: "bwrap", network: true, bindReadOnly: [] });
  });

  it("says which variable holds a bad value", () => {
    expect(() => sandboxFrom({}, { PANDO_SANDBOX: "maybe" })).toThrow("PANDO_SANDBOX: 'maybe' is not a sandbox mode; use one of auto, bwrap, none");
    expect(() => sandboxFrom({}, { PANDO_SANDBOX_NETWORK: "yes" })).toThrow("PANDO_SANDBOX_NETWORK: 'yes' is neither on nor off");
    expect(() => sandboxFrom({}, { PANDO_SANDBOX_BIND: "data" })).toThrow("PANDO_SANDBOX_BIND: 'data' is not an absolute path");
  });

  it("refuses a bind of a path that is not there", () => {
    expect(() => sandboxFrom({ sandboxBind: ["/nonexistent/out"] }, {})).toThrow("the sandbox bind /nonexistent/out is not there");
  });
});
