import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runDriver, startCluster, type Cluster } from "./helpers/cluster.js";

// A project with a native package (bufferutil ships prebuilt binaries in its npm tarball): esbuild cannot
// bundle it, so workers install the project's lockfile once and import it from there.
const MAIN = `
import { createRequire } from "node:module";
import bufferUtil from "bufferutil";
import ms from "ms";
import { work, workflow } from "pando";

export const mask = work({ name: "mask" }, async (n: number) => {
  const out = Buffer.alloc(4);
  bufferUtil.mask(Buffer.from([1, 2, 3, 4]), Buffer.from([n, n, n, n]), out, 0, 4);
  return { bytes: [...out], from: createRequire(import.meta.url).resolve("bufferutil") };
});

/** ms is plain JavaScript: installed rather than bundled only because the work asks for it. */
export const pretty = work({ name: "pretty", dependencies: ["ms"] }, async (n: number) => ({
  text: ms(n),
  from: createRequire(import.meta.url).resolve("ms"),
}));

export const masked = workflow({ name: "masked" }, async () => ({ masks: await mask.map([[1], [2]]), pretty: await pretty(1500) }));
`;

describe("dependencies that cannot be bundled", () => {
  let cluster: Cluster;
  let project: string;

  beforeAll(async () => {
    project = mkdtempSync(join(tmpdir(), "pando-native-"));
    // The project has Pando from a git URL that workers cannot reach (the repository is gone by the time they
    // install): an environment links the Pando that runs it rather than installing the project's.
    const gone = mkdtempSync(join(tmpdir(), "pando-gone-"));
    writeFileSync(join(gone, "package.json"), JSON.stringify({ name: "pando", version: "0.1.0" }));
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.name=pando", "-c", "user.email=pando@localhost", ...args], { cwd: gone, stdio: "pipe" });
    git("init", "-q");
    git("add", "-A");
    git("commit", "-qm", "a stand-in for Pando");
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({
        name: "native-project",
        private: true,
        type: "module",
        dependencies: { bufferutil: "4.0.9", ms: "2.1.3", pando: `git+file://${gone}` },
      }),
    );
    writeFileSync(join(project, "main.ts"), MAIN);
    execFileSync("npm", ["install", "--no-audit", "--no-fund"], { cwd: project, stdio: "pipe", timeout: 180_000 });
    rmSync(gone, { recursive: true, force: true });
    cluster = await startCluster({ pilots: 1, slots: 1 });
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(project, { recursive: true, force: true });
  });

  it("installs the project's packages once on the worker and reuses them", async () => {
    const envs = join(cluster.dataDir, "cache-pilot-1", "envs");
    const run = () => runDriver(`${join(project, "main.ts")}#masked`, [], { url: cluster.url, token: cluster.credentials.userToken, timeoutMs: 300_000 });

    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    const { masks: values, pretty } = first.value as { masks: Array<{ bytes: number[]; from: string }>; pretty: { text: string; from: string } };
    expect(pretty.text).toBe("2s");
    expect(pretty.from).toMatch(new RegExp(`${envs}/[0-9a-f]{64}/node_modules/ms/`));
    expect(values.map((v) => v.bytes)).toEqual([
      [0, 3, 2, 5],
      [3, 0, 1, 6],
    ]);
    // Loaded from the environment the pilot installed, not from the bundle or the project.
    expect(values[0]!.from).toMatch(new RegExp(`${envs}/[0-9a-f]{64}/node_modules/bufferutil/`));
    const installed = readdirSync(envs).filter((d) => /^[0-9a-f]{64}$/.test(d));
    expect(installed).toHaveLength(1);
    const ready = readFileSync(join(envs, installed[0]!, ".ready"), "utf8");
    expect(existsSync(join(envs, installed[0]!, "node_modules", "bufferutil", "package.json"))).toBe(true);
    expect(realpathSync(join(envs, installed[0]!, "node_modules", "pando"))).toBe(realpathSync(ROOT));

    const second = await run();
    expect(second.code, second.stderr).toBe(0);
    expect(readdirSync(envs).filter((d) => /^[0-9a-f]{64}$/.test(d))).toEqual(installed);
    // Not installed again: the environment is the one of the first run.
    expect(readFileSync(join(envs, installed[0]!, ".ready"), "utf8")).toBe(ready);
  });
});
