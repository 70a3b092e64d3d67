// Whether bubblewrap works on this host, asked once per pilot, and what the pilot does about it.
import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import type { Logger } from "pino";
import { SANDBOX_DEFAULTS, sandboxArgs, type SandboxSettings } from "./sandbox-args.js";

const PROBE_TIMEOUT_MS = 10_000;

/** Undefined if `bwrap … true` runs with the pilot's sandbox settings; else why it does not. */
export function probeBwrap(settings: SandboxSettings): string | undefined {
  const args = sandboxArgs(settings, {
    node: dirname(dirname(process.execPath)),
    pando: [],
    bundle: [],
    cwd: "/",
    hidden: [],
  });
  const run = spawnSync(settings.bwrapPath, [...args, "--", "true"], { encoding: "utf8", timeout: PROBE_TIMEOUT_MS });
  if (run.error) return `${settings.bwrapPath} could not be run (${run.error.message})`;
  if (run.status !== 0) {
    const said = run.stderr.trim().split("\n").slice(-3).join("; ");
    return `${settings.bwrapPath} failed (${run.signal ? `killed by ${run.signal}` : `exit code ${run.status}`}${said ? `: ${said}` : ""})`;
  }
  return undefined;
}

/** Refused start of a pilot told to use bwrap (`--sandbox bwrap`) where bwrap does not work. */
export class SandboxUnavailableError extends Error {
  override readonly name = "SandboxUnavailableError";
}

/** The pilot's choice: bwrap's path if executors run under it, and the warning to log once if they do not. */
export interface SandboxChoice {
  bwrap: string | undefined;
  warning?: string;
}

const INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; RHEL/Fedora: dnf install bubblewrap)";

/** Decides whether executors run in the sandbox; throws SandboxUnavailableError if they must and cannot. */
export function chooseSandbox(settings: SandboxSettings, probe: (s: SandboxSettings) => string | undefined = probeBwrap): SandboxChoice {
  if (settings.mode === "none") {
    return {
      bwrap: undefined,
      warning: "the sandbox is off (--sandbox none): job code can read every file the pilot's user can read and see the pilot's processes",
    };
  }
  const problem = probe(settings);
  if (problem === undefined) return { bwrap: settings.bwrapPath.includes("/") ? resolve(settings.bwrapPath) : settings.bwrapPath };
  if (settings.mode === "bwrap") {
    throw new SandboxUnavailableError(
      `the pilot must run jobs in a bubblewrap sandbox (--sandbox bwrap), but ${problem}; ${INSTALL_HINT}, or start the pilot with --sandbox auto to run jobs unsandboxed where it is missing`,
    );
  }
  return {
    bwrap: undefined,
    warning: `jobs run without a sandbox: ${problem}. Job code can read every file the pilot's user can read and see the pilot's processes; ${INSTALL_HINT}`,
  };
}

/**
 * A pilot's sandbox, decided once when it starts: bwrap and the settings executors run under, or none (warned
 * of). `choose` decides (pilots of one process share one decision: see inProcessPilots).
 */
export function pilotSandbox(
  options: Partial<SandboxSettings> | undefined,
  log: Logger,
  choose: (settings: SandboxSettings) => SandboxChoice = chooseSandbox,
): PilotSandbox | undefined {
  const settings = { ...SANDBOX_DEFAULTS, ...options };
  const choice = choose(settings);
  if (choice.warning) log.warn({ sandbox: settings.mode }, choice.warning);
  return choice.bwrap ? { bwrap: choice.bwrap, settings } : undefined;
}

export interface PilotSandbox {
  bwrap: string;
  settings: SandboxSettings;
}
