import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UsageError } from "./run-errors.js";
import type { RunFlags } from "./run-session.js";
import { noWorkflowCalled, resumeCommand, runTarget, splitTarget, workflowExport } from "./run-target.js";

const flags = (more: Partial<RunFlags> = {}) => ({ dataDir: ".pando", ...more }) as RunFlags;

describe("runTarget", () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.PANDO_SERVER;
    delete process.env.PANDO_SERVER;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.PANDO_SERVER;
    else process.env.PANDO_SERVER = saved;
  });

  it("splits the file from the workflow and parses each argument that is JSON", () => {
    expect(runTarget("flow.ts#main", ["3", "abc", '{"a":1}'], flags())).toEqual({
      target: "flow.ts#main",
      file: "flow.ts",
      exportName: "main",
      rawArgs: ["3", "abc", '{"a":1}'],
      args: [3, "abc", { a: 1 }],
      serverUrl: undefined,
    });
  });

  it("runs a program for its top-level code without arguments", () => {
    expect(runTarget("flow.ts", ["ignored"], flags())).toMatchObject({ file: "flow.ts", exportName: undefined, args: [] });
  });

  it("takes the server from --server, else from PANDO_SERVER, an empty one meaning the embedded server", () => {
    expect(runTarget("f.ts#w", [], flags({ server: "http://a:1" })).serverUrl).toBe("http://a:1");
    process.env.PANDO_SERVER = "http://b:2";
    expect(runTarget("f.ts#w", [], flags()).serverUrl).toBe("http://b:2");
    process.env.PANDO_SERVER = "";
    expect(runTarget("f.ts#w", [], flags()).serverUrl).toBeUndefined();
  });

  it("refuses the flags that do not go together, saying what to do", () => {
    expect(() => runTarget("f.ts", [], flags({ remote: true }))).toThrow("--remote and --resume need the workflow to call: pando run f.ts#<export>");
    expect(() => runTarget("f.ts", [], flags({ resume: 3 }))).toThrow("--remote and --resume need the workflow to call");
    expect(() => runTarget("f.ts#w", [], flags({ detach: true, remote: true }))).toThrow("--detach needs --remote and --server");
    expect(() => runTarget("f.ts#w", [], flags({ detach: true, server: "http://a:1" }))).toThrow("--detach needs --remote and --server");
    expect(() => runTarget("f.ts#w", [], flags({ remote: true, resume: 3 }))).toThrow("--resume is for local drivers");
  });
});

describe("splitTarget", () => {
  it("splits at the last #", () => {
    expect(splitTarget("dir#1/flow.ts#main")).toEqual({ file: "dir#1/flow.ts", exportName: "main" });
    expect(splitTarget("flow.ts")).toEqual({ file: "flow.ts", exportName: undefined });
  });
});

describe("resumeCommand", () => {
  it("repeats the target and its arguments, quoted for a shell, with the server or data directory", () => {
    expect(resumeCommand("f.ts#w", ["1", "it's"], flags({ server: "http://a:1" }), 7)).toBe(
      "pando run f.ts#w 1 'it'\\''s' --server http://a:1 --resume 7",
    );
    expect(resumeCommand("f.ts#w", [], flags({ dataDir: "my data" }), 7)).toBe("pando run f.ts#w --data-dir 'my data' --resume 7");
    expect(resumeCommand("f.ts#w", [], flags(), 7)).toBe("pando run f.ts#w --resume 7");
  });

  it("asks for the workflow and its arguments when the program ran for its top-level code", () => {
    expect(resumeCommand("f.ts", [], flags(), 7)).toBe("pando run f.ts#<workflow> <its arguments> --resume 7");
  });
});

describe("workflowExport", () => {
  const wf = Object.assign(() => undefined, { workflowName: "main" });
  const work = Object.assign(() => undefined, { workName: "square" });

  it("gives the workflow the export names", () => {
    expect(workflowExport("f.ts", "main", { main: wf })).toBe(wf);
  });

  it("says why an export is not a workflow to call, naming the module's workflows", () => {
    const mod = { main: wf, square: work, other: 3 };
    expect(() => workflowExport("f.ts", "square", mod)).toThrow(/'square' in f\.ts is a work, not a workflow.*its workflows: main/);
    expect(() => workflowExport("f.ts", "missing", mod)).toThrow("f.ts has no export 'missing' (its workflows: main)");
    expect(() => workflowExport("f.ts", "other", mod)).toThrow("'other' in f.ts is not a workflow (its workflows: main)");
    expect(() => workflowExport("f.ts", "x", {})).toThrow("it exports no workflow: wrap the driver with workflow() and export it");
    expect(() => workflowExport("f.ts", "x", {})).toThrow(UsageError);
  });

  it("says to run a program that runs its workflow itself without #export", () => {
    expect(() => workflowExport("f.ts", "main", undefined)).toThrow("f.ts runs a workflow from its top-level code; run it as `pando run f.ts` (without #main)");
  });
});

describe("noWorkflowCalled", () => {
  it("names a workflow to call when the module exports one", () => {
    expect(noWorkflowCalled("f.ts", { main: Object.assign(() => undefined, { workflowName: "main" }) }).message).toBe(
      "f.ts called no workflow, so nothing ran: name the one to call: pando run f.ts#main [args…] (its workflows: main)",
    );
  });
});
