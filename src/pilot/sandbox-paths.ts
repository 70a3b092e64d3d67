// Where the host paths of an executor's sandbox are (sandbox-args.ts turns them into bwrap's arguments).
import { closeSync, existsSync, openSync, readSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { PANDO_ROOT } from "../bundle/cache.js";
import { projectDirNamedBy } from "../bundle/project-dir.js";
import { isWithin, type HiddenPath, type SandboxPaths } from "./sandbox-args.js";

/** How much of a bundle's beginning holds its project directory statement (after an environment header). */
const HEAD_BYTES = 16 * 1024;

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function head(file: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const buf = Buffer.alloc(HEAD_BYTES);
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString("utf8");
  } catch {
    return "";
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The project directory a bundle names, if its jobs may see it: an absolute directory with a package.json
 * (what a project directory is), neither / nor the pilot user's home or a directory above it (where the
 * user's other files and keys are).
 */
export function shownProjectDir(named: string | undefined, home: string | undefined, hasPackageJson: (dir: string) => boolean): string | undefined {
  if (!named || !isAbsolute(named)) return undefined;
  const dir = resolve(named);
  if (dir === "/" || (home && isWithin(resolve(home), dir))) return undefined;
  return hasPackageJson(dir) ? dir : undefined;
}

/** The Pando package and where its imports resolve from, as real paths. */
function pandoDirs(): string[] {
  const root = real(PANDO_ROOT);
  const dirs = [root];
  const modules = join(PANDO_ROOT, "node_modules");
  if (existsSync(modules) && !isWithin(real(modules), root)) dirs.push(real(modules));
  // Installed as a dependency: its own dependencies sit beside it.
  if (basename(dirname(root)) === "node_modules") dirs.push(dirname(root));
  return dirs;
}

function hidden(paths: readonly string[]): HiddenPath[] {
  const out: HiddenPath[] = [];
  for (const path of new Set(paths.map((p) => resolve(p)))) {
    try {
      out.push({ path, dir: statSync(path).isDirectory() });
    } catch {
      // Not there: nothing to hide.
    }
  }
  return out;
}

export interface ExecutorLocation {
  bundlePath: string;
  cacheDir: string;
  workRoot: string;
  workDir?: string;
  /** The unpacked project archive the jobs run in: their project directory, rather than the one the bundle names. */
  projectDir?: string;
  /**
   * A data directory hidden from the jobs even before a server has written its credentials there (those of
   * `pando run`, whose executors may start while its embedded server starts). Others are hidden once they
   * hold credentials.
   */
  dataDir?: string;
}

/** The paths of the sandbox of an executor of this bundle, from the host as it is now. */
export function sandboxPaths(at: ExecutorLocation, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): SandboxPaths {
  const bundle = resolve(at.bundlePath);
  const cacheDir = resolve(at.cacheDir);
  // The directory the bundle was built in, where it exists on this host (a pilot beside the driver): files a
  // driver writes there while it runs are passed to jobs by path, so it stays visible beside the archive.
  const built = shownProjectDir(projectDirNamedBy(head(bundle)), env.HOME, (d) => existsSync(join(d, "package.json")));
  const projectDir = at.projectDir ?? built;
  const dataDirs = [dirname(cacheDir), env.PANDO_DATA_DIR].filter((d): d is string => !!d && existsSync(join(d, "credentials.json")));
  if (at.dataDir) dataDirs.push(at.dataDir);
  const beside = join(dirname(bundle), "node_modules");
  return {
    node: dirname(dirname(real(process.execPath))),
    pando: pandoDirs(),
    bundle: [bundle, ...(existsSync(beside) ? [beside] : [])],
    projectDir,
    ...(at.projectDir && built ? { builtProjectDir: built } : {}),
    workDir: at.workDir,
    ...(env.PANDO_CA && existsSync(env.PANDO_CA) ? { caFile: real(resolve(env.PANDO_CA)) } : {}),
    cwd,
    hidden: hidden([
      cacheDir,
      resolve(at.workRoot),
      ...dataDirs,
      ...[projectDir, built, cwd, PANDO_ROOT].filter((d): d is string => !!d).map((d) => join(d, ".pando")),
      "/etc/shadow",
      "/etc/gshadow",
    ]),
  };
}
