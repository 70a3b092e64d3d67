import { execFile } from "node:child_process";
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import type { Logger } from "pino";
import { ENVIRONMENT_HEADER } from "../codec/environment-header.js";
import { PANDO_ROOT } from "../bundle/cache.js";
import { refreshEntry } from "./cache-sweep.js";
import { withoutPando } from "./environment-manifest.js";
import { executorEnv } from "./executor-env.js";
import { sandboxArgs } from "./sandbox-args.js";
import type { PilotSandbox } from "./sandbox-probe.js";

const run = promisify(execFile);
const INSTALL_TIMEOUT_MS = 15 * 60_000;
const NPM_CI = ["npm", "ci", "--omit=dev", "--no-audit", "--no-fund"];

/**
 * `npm ci` in the environment's directory `work`, with an executor's environment (never the pilot's), in
 * the pilot's sandbox if it has one: the network, the system and Node read-only, `work` writable, npm's
 * cache in the sandbox's private /tmp.
 */
export function installCommand(work: string, sandbox: PilotSandbox | undefined): { file: string; args: string[]; env: Record<string, string> } {
  const env = executorEnv(process.env, { sandboxed: sandbox !== undefined, workDir: work, own: {}, secrets: [] });
  if (!sandbox) return { file: NPM_CI[0]!, args: NPM_CI.slice(1), env };
  const settings = { ...sandbox.settings, network: true };
  const paths = { node: dirname(dirname(realpathSync(process.execPath))), pando: [], bundle: [], workDir: work, cwd: work, hidden: [] };
  return { file: sandbox.bwrap, args: [...sandboxArgs(settings, paths), "--", ...NPM_CI], env: { ...env, npm_config_cache: "/tmp/npm-cache" } };
}

function firstLine(path: string): string {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(512);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString("utf8").split("\n")[0]!;
  } finally {
    closeSync(fd);
  }
}

/**
 * Installed environments for bundles that need packages esbuild cannot bundle (native modules): the
 * project's lockfile installed once per environment hash (`npm ci --omit=dev`) under the cache directory,
 * reused by every later bundle of that environment. A bundle is imported from beside its environment's
 * node_modules so that its imports resolve there.
 */
export class Environments {
  private readonly installs = new Map<string, Promise<string>>();
  /** Environments whose install ended (in `installs`): those a pilot may forget. */
  private readonly installed = new Set<string>();

  constructor(
    private readonly dir: string,
    private readonly fetch: (hash: string) => Promise<Uint8Array>,
    private readonly log: Logger,
    /** Where `npm ci` runs: the packages' install scripts are the bundle's user's code, as its jobs are. */
    private readonly sandbox?: PilotSandbox,
  ) {}

  /** The file to import a cached bundle from: the bundle itself, or its copy inside its environment. */
  async place(bundlePath: string, bundleHash: string): Promise<string> {
    const header = firstLine(bundlePath);
    if (!header.startsWith(ENVIRONMENT_HEADER)) return bundlePath;
    const envHash = header.slice(ENVIRONMENT_HEADER.length).split(" ")[0]!;
    if (!/^[0-9a-f]{64}$/.test(envHash)) throw new Error(`bundle ${bundleHash} names a malformed environment '${envHash}'`);
    const envDir = await this.ensure(envHash);
    const placed = join(envDir, `${bundleHash}.mjs`);
    if (!existsSync(placed)) copyFileSync(bundlePath, placed);
    return placed;
  }

  /** The directory an environment is (or will be) installed in. */
  dirOf(hash: string): string {
    return join(this.dir, hash);
  }

  /**
   * Forgets the installed environments but those whose directories are `kept`: a bundle that needs one of
   * them again installs it again if it was removed from the cache meanwhile. Installs in progress stay.
   */
  forgetAllBut(kept: ReadonlySet<string>): void {
    for (const hash of this.installed) {
      if (kept.has(this.dirOf(hash))) continue;
      this.installed.delete(hash);
      this.installs.delete(hash);
    }
  }

  private ensure(hash: string): Promise<string> {
    let pending = this.installs.get(hash);
    if (!pending) {
      const install = (pending = this.install(hash));
      pending.then(
        () => this.installs.get(hash) === install && this.installed.add(hash),
        () => this.installs.delete(hash),
      );
      this.installs.set(hash, pending);
    }
    return pending;
  }

  private async install(hash: string): Promise<string> {
    const target = this.dirOf(hash);
    // Refreshed as the pilots of the host do the entries they use, so that none of them sweeps it now.
    if (existsSync(join(target, ".ready")) && refreshEntry(target)) return target;
    const { packageJson, lockfile } = JSON.parse(new TextDecoder().decode(await this.fetch(hash))) as {
      packageJson: string;
      lockfile: string;
    };
    // Installed aside, then renamed into place: a half-installed environment is never used.
    const work = `${target}.${process.pid}.tmp`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    const project = withoutPando(packageJson, lockfile);
    writeFileSync(join(work, "package.json"), project.packageJson);
    writeFileSync(join(work, "package-lock.json"), project.lockfile);
    const started = Date.now();
    this.log.info({ environment: hash }, "installing a bundle's environment (npm ci)");
    try {
      const { file, args, env } = installCommand(work, this.sandbox);
      await run(file, args, { cwd: work, env, timeout: INSTALL_TIMEOUT_MS });
    } catch (err) {
      rmSync(work, { recursive: true, force: true });
      const e = err as { stderr?: string; message: string };
      const tail = (e.stderr ?? e.message).trim().split("\n").slice(-8).join("\n");
      throw new Error(`installing environment ${hash.slice(0, 12)} (npm ci --omit=dev) failed:\n${tail}`, { cause: err });
    }
    // The bundle's `import "pando"` must reach the Pando running it, whatever the lockfile installed.
    const link = join(work, "node_modules", "pando");
    rmSync(link, { recursive: true, force: true });
    mkdirSync(join(work, "node_modules"), { recursive: true });
    symlinkSync(PANDO_ROOT, link, "dir");
    writeFileSync(join(work, ".ready"), `${new Date(started).toISOString()} ${Date.now() - started} ms\n`);
    try {
      renameSync(work, target);
    } catch {
      // Another pilot sharing this cache installed it meanwhile: use theirs.
      rmSync(work, { recursive: true, force: true });
    }
    this.log.info({ environment: hash, ms: Date.now() - started }, "environment installed");
    return target;
  }
}
