// The bubblewrap (bwrap) command line an executor starts under: what of the host its job code sees. Pure:
// the caller finds the paths (sandbox-paths.ts) and checks that bwrap works (sandbox-probe.ts).
import { isAbsolute, relative, sep } from "node:path";

/** How a pilot isolates the code it runs: `auto` uses bwrap where it works, `bwrap` requires it, `none` never. */
export const SANDBOX_MODES = ["auto", "bwrap", "none"] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];

/** What an operator chooses for a pilot's sandbox. */
export interface SandboxSettings {
  mode: SandboxMode;
  /** Jobs keep the host's network (default); off: a network namespace of their own, with loopback only. */
  network: boolean;
  /** Host paths jobs may read besides what they need anyway (shared data, a site's software). */
  bindReadOnly: readonly string[];
  /** Host paths jobs may write (a shared output area). */
  bindWritable: readonly string[];
  /** The bwrap program. */
  bwrapPath: string;
}

export const SANDBOX_DEFAULTS: SandboxSettings = { mode: "auto", network: true, bindReadOnly: [], bindWritable: [], bwrapPath: "bwrap" };

/** The host's system directories a process needs (programs, libraries, configuration, certificates). */
export const SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/run/systemd/resolve"] as const;

/** A path to hide (found on the host: a directory is covered by an empty one, a file by an empty file). */
export interface HiddenPath {
  path: string;
  dir: boolean;
}

/** The host paths one executor's sandbox is made of; every path absolute. */
export interface SandboxPaths {
  /** Node's installation (the directory above its bin/). */
  node: string;
  /** The Pando package and the directories its dependencies resolve from. */
  pando: readonly string[];
  /** The bundle's file, and beside it what its imports resolve from (node_modules, its installed environment). */
  bundle: readonly string[];
  /** The project directory: the unpacked project archive, or else the one the bundle was built from. */
  projectDir?: string;
  /** With an archive, the directory the bundle was built from too, where it exists on this host (read-only). */
  builtProjectDir?: string;
  /** The executor's own writable directory (its commands' working directories, its HOME). */
  workDir?: string;
  /** The CA file its clients trust (PANDO_CA), shown read-only wherever it lies: a remote driver calls the server. */
  caFile?: string;
  /** Where the executor starts (its working directory), if it is visible in the sandbox; else workDir or /. */
  cwd: string;
  /** Paths hidden wherever they lie inside something visible: the pilot's data, cache and other executors' directories. */
  hidden: readonly HiddenPath[];
}

/** `inner` is `outer` or lies below it. */
export function isWithin(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/**
 * The bwrap arguments (before the command) that run an executor with: its own PID namespace (the pilot and
 * other executors are not in its /proc), a new session, death with the pilot, a private /tmp, the host's
 * system directories, Node, Pando, the bundle and the project read-only, the operator's binds, its own work
 * directory writable, and the pilot's data, cache and other executors' directories hidden.
 */
export function sandboxArgs(settings: Pick<SandboxSettings, "network" | "bindReadOnly" | "bindWritable">, paths: SandboxPaths): string[] {
  const args = ["--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"];
  if (!settings.network) args.push("--unshare-net");
  args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp");
  for (const dir of SYSTEM_DIRS) args.push("--ro-bind-try", dir, dir);
  const needed = [paths.node, ...paths.pando, ...[paths.projectDir, paths.builtProjectDir].filter((p): p is string => p !== undefined)];
  const readOnly = [...new Set(needed)].filter((p) => !SYSTEM_DIRS.some((s) => isWithin(p, s)));
  for (const p of readOnly) args.push("--ro-bind", p, p);
  for (const p of settings.bindReadOnly) args.push("--ro-bind", p, p);
  for (const p of settings.bindWritable) args.push("--bind", p, p);
  // Hidden after everything that may hold them is bound, and before what they may hold is bound again.
  const visible = [...SYSTEM_DIRS, ...readOnly, ...settings.bindReadOnly, ...settings.bindWritable];
  for (const h of paths.hidden) {
    if (!visible.some((v) => isWithin(h.path, v))) continue;
    if (paths.hidden.some((other) => other !== h && other.dir && other.path !== h.path && isWithin(h.path, other.path))) continue;
    if (h.dir) args.push("--tmpfs", h.path);
    else args.push("--ro-bind", "/dev/null", h.path);
  }
  // Shown again inside the hidden cache: the bundle, and the unpacked project archive beside it.
  const project = paths.projectDir;
  const inHidden = project && paths.hidden.some((h) => h.dir && isWithin(project, h.path)) ? [project] : [];
  for (const p of [...paths.bundle, ...inHidden, ...(paths.caFile ? [paths.caFile] : [])]) args.push("--ro-bind", p, p);
  if (paths.workDir) args.push("--bind", paths.workDir, paths.workDir);
  const shown = [...visible, ...paths.bundle, ...(paths.workDir ? [paths.workDir] : [])];
  const rebound = [...paths.bundle, ...inHidden];
  const cwdVisible =
    shown.some((v) => isWithin(paths.cwd, v)) && (!paths.hidden.some((h) => isWithin(paths.cwd, h.path)) || rebound.some((r) => isWithin(paths.cwd, r)));
  args.push("--chdir", cwdVisible ? paths.cwd : (paths.workDir ?? "/"));
  return args;
}
