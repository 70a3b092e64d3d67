import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { contextKey, executorCommand, findContainerRuntime } from "./execution-context.js";

const NODE_ARGS = ["--enable-source-maps", "/opt/pando/dist/pilot/executor.js", "/cache/abc.mjs"];
const MOUNTS = ["/opt/pando/package.json", "/cache/abc.mjs"];

describe("executorCommand", () => {
  it("runs node directly in the plain context", () => {
    expect(executorCommand({}, NODE_ARGS, MOUNTS)).toEqual({ file: process.execPath, args: NODE_ARGS });
  });

  it("runs the executor from a shell that ran the initEnv first, stopping if it fails", () => {
    const { file, args } = executorCommand({ initEnv: "source /opt/env.sh" }, NODE_ARGS, MOUNTS);
    expect(file).toBe("/bin/sh");
    expect(args.slice(0, 3)).toEqual(["-c", 'set -e\nsource /opt/env.sh\nexec "$@"', "pando-init-env"]);
    expect(args.slice(3)).toEqual([process.execPath, ...NODE_ARGS]);
  });

  it("runs node in the image with podman, passing the IPC channel and mounting the code read-only", () => {
    const { file, args } = executorCommand(
      { container: "node:20", runtime: { name: "podman", path: "/usr/bin/podman" } },
      NODE_ARGS,
      MOUNTS,
    );
    expect(file).toBe("/usr/bin/podman");
    expect(args).toEqual([
      "run", "--rm", "-i", "--network=host", "--preserve-fds=1", "-e", "NODE_CHANNEL_FD", "-e", "NODE_CHANNEL_SERIALIZATION_MODE",
      "-v", "/opt/pando:/opt/pando:ro", "-v", "/cache:/cache:ro", "node:20", "node", ...NODE_ARGS,
    ]);
  });

  it("starts a container's executor in the unpacked project archive, mounted read-only, with PANDO_PROJECT_DIR", () => {
    const podman = executorCommand({ container: "node:20", runtime: { name: "podman", path: "/usr/bin/podman" } }, NODE_ARGS, MOUNTS, undefined, "/cache/projects/ab");
    expect(podman.args.join(" ")).toContain("-v /cache/projects/ab:/cache/projects/ab:ro -e PANDO_PROJECT_DIR -w /cache/projects/ab node:20");
    const apptainer = executorCommand({ container: "/i.sif", runtime: { name: "apptainer", path: "/usr/bin/apptainer" } }, NODE_ARGS, MOUNTS, undefined, "/cache/projects/ab");
    expect(apptainer.args).toEqual(["exec", "--bind", "/opt/pando,/cache,/cache/projects/ab", "--pwd", "/cache/projects/ab", "/i.sif", "node", ...NODE_ARGS]);
  });

  it("runs node in the image with apptainer, binding the code", () => {
    const { file, args } = executorCommand(
      { container: "/images/node.sif", runtime: { name: "apptainer", path: "/usr/bin/apptainer" }, initEnv: "module load x" },
      NODE_ARGS,
      MOUNTS,
    );
    expect(file).toBe("/bin/sh");
    expect(args.slice(3)).toEqual(["/usr/bin/apptainer", "exec", "--bind", "/opt/pando,/cache", "/images/node.sif", "node", ...NODE_ARGS]);
  });
});

describe("executorCommand with a working directory for command works", () => {
  it("gives a container the executor's working directories writable, and their variable", () => {
    const podman = executorCommand({ container: "node:20", runtime: { name: "podman", path: "/usr/bin/podman" } }, NODE_ARGS, MOUNTS, "/scratch/w1");
    expect(podman.args).toContain("/scratch/w1:/scratch/w1");
    expect(podman.args.join(" ")).toContain("-e PANDO_WORK_ROOT -e PANDO_EXECUTOR_DIR -v /scratch/w1:/scratch/w1 node:20 node");
    const apptainer = executorCommand({ container: "/i.sif", runtime: { name: "apptainer", path: "/usr/bin/apptainer" } }, NODE_ARGS, MOUNTS, "/scratch/w1");
    expect(apptainer.args).toEqual(["exec", "--bind", "/opt/pando,/cache,/scratch/w1", "/i.sif", "node", ...NODE_ARGS]);
  });

  it("changes nothing outside a container", () => {
    expect(executorCommand({}, NODE_ARGS, MOUNTS, "/scratch/w1")).toEqual({ file: process.execPath, args: NODE_ARGS });
  });
});

describe("findContainerRuntime and contextKey", () => {
  it("finds the first runtime on the PATH, in order of preference", () => {
    const dir = mkdtempSync(join(tmpdir(), "pando-path-"));
    try {
      expect(findContainerRuntime(dir)).toBeUndefined();
      for (const name of ["podman", "singularity"]) {
        writeFileSync(join(dir, name), "#!/bin/sh\n");
        chmodSync(join(dir, name), 0o755);
      }
      expect(findContainerRuntime(`/nonexistent:${dir}`)).toEqual({ name: "singularity", path: join(dir, "singularity") });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps jobs of different contexts apart, and users' jobs apart even with the same bundle", () => {
    const job = { owner: 1, bundleHash: "b", initEnv: undefined, container: undefined };
    expect(contextKey(job)).not.toBe(contextKey({ ...job, owner: 2 }));
    expect(contextKey(job)).toBe(contextKey({ ...job }));
    expect(contextKey(job)).not.toBe(contextKey({ ...job, initEnv: "x" }));
    expect(contextKey(job)).not.toBe(contextKey({ ...job, container: "x" }));
    expect(contextKey(job)).not.toBe(contextKey({ ...job, projectHash: "c".repeat(64) }));
  });
});
