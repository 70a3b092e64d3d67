import { describe, expect, it } from "vitest";
import { isWithin, sandboxArgs, type SandboxPaths } from "./sandbox-args.js";

const settings = { network: true, bindReadOnly: [], bindWritable: [] };
const paths: SandboxPaths = {
  node: "/opt/node",
  pando: ["/srv/pando", "/srv/pando-deps"],
  bundle: ["/home/u/proj/.pando/cache/abc.mjs", "/home/u/proj/.pando/cache/node_modules"],
  projectDir: "/home/u/proj",
  workDir: "/tmp/pando-executor-1",
  cwd: "/home/u/proj",
  hidden: [
    { path: "/home/u/proj/.pando/cache", dir: true },
    { path: "/home/u/proj/.pando", dir: true },
    { path: "/tmp", dir: true },
    { path: "/etc/shadow", dir: false },
    { path: "/var/lib/pando", dir: true },
  ],
};

/** The index of an option with its arguments in argv, or -1. */
function at(argv: string[], ...words: string[]): number {
  return argv.findIndex((_, i) => words.every((w, j) => argv[i + j] === w));
}

describe("sandboxArgs", () => {
  it("isolates processes, /tmp and the session, and dies with the pilot", () => {
    const argv = sandboxArgs(settings, paths);
    for (const flag of ["--die-with-parent", "--new-session", "--unshare-pid"]) expect(argv).toContain(flag);
    expect(at(argv, "--proc", "/proc")).toBeGreaterThanOrEqual(0);
    expect(at(argv, "--tmpfs", "/tmp")).toBeGreaterThanOrEqual(0);
    expect(argv).not.toContain("--unshare-net");
    expect(sandboxArgs({ ...settings, network: false }, paths)).toContain("--unshare-net");
  });

  it("shows the system, Node, Pando and the project read-only, and only the executor's own directory writable", () => {
    const argv = sandboxArgs(settings, paths);
    expect(at(argv, "--ro-bind-try", "/usr", "/usr")).toBeGreaterThanOrEqual(0);
    for (const p of ["/opt/node", "/srv/pando", "/srv/pando-deps", "/home/u/proj"]) expect(at(argv, "--ro-bind", p, p)).toBeGreaterThanOrEqual(0);
    const writable = argv.flatMap((a, i) => (a === "--bind" ? [argv[i + 1]] : []));
    expect(writable).toEqual(["/tmp/pando-executor-1"]);
    expect(at(argv, "--chdir", "/home/u/proj")).toBeGreaterThanOrEqual(0);
  });

  it("hides the pilot's data inside the project, then shows the bundle in it again", () => {
    const argv = sandboxArgs(settings, paths);
    const hideData = at(argv, "--tmpfs", "/home/u/proj/.pando");
    expect(hideData).toBeGreaterThan(at(argv, "--ro-bind", "/home/u/proj", "/home/u/proj"));
    expect(at(argv, "--ro-bind", "/home/u/proj/.pando/cache/abc.mjs", "/home/u/proj/.pando/cache/abc.mjs")).toBeGreaterThan(hideData);
    // Inside a hidden directory already: not hidden twice.
    expect(at(argv, "--tmpfs", "/home/u/proj/.pando/cache")).toBe(-1);
    // A file is covered by an empty one; what is not visible anyway is left alone.
    expect(at(argv, "--ro-bind", "/dev/null", "/etc/shadow")).toBeGreaterThan(0);
    expect(argv).not.toContain("/var/lib/pando");
  });

  it("shows the CA file its clients trust read-only, even inside a hidden directory", () => {
    const ca = "/home/u/proj/.pando/tls/ca.pem";
    const argv = sandboxArgs(settings, { ...paths, caFile: ca });
    expect(at(argv, "--ro-bind", ca, ca)).toBeGreaterThan(at(argv, "--tmpfs", "/home/u/proj/.pando"));
    expect(sandboxArgs(settings, paths)).not.toContain(ca);
  });

  it("adds the operator's binds, and hides what lies inside them", () => {
    const argv = sandboxArgs({ ...settings, bindReadOnly: ["/data"], bindWritable: ["/var/lib"] }, paths);
    expect(at(argv, "--ro-bind", "/data", "/data")).toBeGreaterThan(0);
    expect(at(argv, "--bind", "/var/lib", "/var/lib")).toBeGreaterThan(0);
    expect(at(argv, "--tmpfs", "/var/lib/pando")).toBeGreaterThan(at(argv, "--bind", "/var/lib", "/var/lib"));
  });

  it("starts in the executor's directory when the pilot's is not visible", () => {
    const argv = sandboxArgs(settings, { ...paths, cwd: "/root" });
    expect(at(argv, "--chdir", "/tmp/pando-executor-1")).toBeGreaterThan(0);
    expect(at(sandboxArgs(settings, { ...paths, cwd: "/home/u/proj/.pando" }), "--chdir", "/tmp/pando-executor-1")).toBeGreaterThan(0);
    expect(at(sandboxArgs(settings, { ...paths, cwd: "/root", workDir: undefined }), "--chdir", "/")).toBeGreaterThan(0);
  });
});

describe("sandboxArgs with a project archive", () => {
  const archive = "/var/cache/pando/projects/0123abcd";
  const shipped: SandboxPaths = {
    ...paths,
    bundle: ["/var/cache/pando/abc.mjs"],
    projectDir: archive,
    builtProjectDir: "/home/u/proj",
    cwd: archive,
    hidden: [{ path: "/var/cache/pando", dir: true }, ...paths.hidden],
  };

  it("shows the unpacked archive read-only after hiding the cache it lies in, and starts there", () => {
    const argv = sandboxArgs({ ...settings, bindReadOnly: ["/var/cache"] }, shipped);
    const hideCache = at(argv, "--tmpfs", "/var/cache/pando");
    expect(hideCache).toBeGreaterThan(0);
    const binds = argv.flatMap((a, i) => (a === "--ro-bind" && argv[i + 1] === archive ? [i] : []));
    expect(Math.max(...binds)).toBeGreaterThan(hideCache);
    expect(at(argv, "--chdir", archive)).toBeGreaterThan(0);
    expect(argv.flatMap((a, i) => (a === "--bind" ? [argv[i + 1]] : []))).toEqual(["/tmp/pando-executor-1"]);
  });

  it("shows the directory the bundle was built in too, read-only, where it exists on the pilot's host", () => {
    const argv = sandboxArgs(settings, shipped);
    expect(at(argv, "--ro-bind", "/home/u/proj", "/home/u/proj")).toBeGreaterThan(0);
    expect(at(sandboxArgs(settings, { ...shipped, builtProjectDir: undefined }), "--ro-bind", "/home/u/proj", "/home/u/proj")).toBe(-1);
  });
});

describe("isWithin", () => {
  it("holds for the path itself and paths below it, not for siblings sharing a prefix", () => {
    expect(isWithin("/a/b", "/a/b")).toBe(true);
    expect(isWithin("/a/b/c", "/a/b")).toBe(true);
    expect(isWithin("/a/bc", "/a/b")).toBe(false);
    expect(isWithin("/a", "/a/b")).toBe(false);
    expect(isWithin("/a/..b", "/a")).toBe(true);
  });
});
