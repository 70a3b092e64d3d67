// The pilot's sandbox options: flags, each with an environment variable as its default, so that pilots a
// server or `pando run` starts (which inherit its environment) get the same settings.
import { delimiter } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { SANDBOX_DEFAULTS, SANDBOX_MODES, type SandboxMode, type SandboxSettings } from "../pilot/sandbox-args.js";

export interface SandboxFlags {
  sandbox: SandboxMode;
  sandboxNetwork: boolean;
  sandboxBindRo: string[];
  sandboxBind: string[];
  sandboxBwrap: string;
}

export function parseSandboxMode(text: string): SandboxMode {
  if ((SANDBOX_MODES as readonly string[]).includes(text)) return text as SandboxMode;
  throw new InvalidArgumentError(`'${text}' is not a sandbox mode; use one of ${SANDBOX_MODES.join(", ")}`);
}

export function parseOnOff(text: string): boolean {
  if (text === "on" || text === "off") return text === "on";
  throw new InvalidArgumentError(`'${text}' is neither on nor off`);
}

/** A path of a bind option, which may be given more than once: absolute, since the sandbox has no working directory yet. */
function collectPath(text: string, previous: string[]): string[] {
  if (!text.startsWith("/")) throw new InvalidArgumentError(`'${text}' is not an absolute path; sandbox binds name host paths from /`);
  return [...previous, text];
}

/** Paths from an environment variable, separated like PATH. */
function pathsOf(value: string | undefined): string[] {
  return (value ?? "").split(delimiter).filter(Boolean);
}

function envDefault<T>(name: string, parse: (text: string) => T, fallback: T): T {
  const value = process.env[name];
  return value ? parse(value) : fallback;
}

export function addSandboxOptions(cmd: Command): Command {
  return cmd
    .option(
      "--sandbox <mode>",
      "how job code is isolated: auto (bubblewrap where it works, else unsandboxed with a warning), bwrap (refuse to start without it), none (env: PANDO_SANDBOX)",
      parseSandboxMode,
      envDefault("PANDO_SANDBOX", parseSandboxMode, SANDBOX_DEFAULTS.mode),
    )
    .option(
      "--sandbox-network <on|off>",
      "whether sandboxed jobs have the host's network (env: PANDO_SANDBOX_NETWORK)",
      parseOnOff,
      envDefault("PANDO_SANDBOX_NETWORK", parseOnOff, SANDBOX_DEFAULTS.network),
    )
    .option("--sandbox-bind-ro <path>", "a host path sandboxed jobs may read; repeatable (env: PANDO_SANDBOX_BIND_RO, :-separated)", collectPath, pathsOf(process.env.PANDO_SANDBOX_BIND_RO))
    .option("--sandbox-bind <path>", "a host path sandboxed jobs may write; repeatable (env: PANDO_SANDBOX_BIND, :-separated)", collectPath, pathsOf(process.env.PANDO_SANDBOX_BIND))
    .option("--sandbox-bwrap <path>", "the bubblewrap program (env: PANDO_SANDBOX_BWRAP)", process.env.PANDO_SANDBOX_BWRAP || SANDBOX_DEFAULTS.bwrapPath);
}

export function sandboxFrom(flags: SandboxFlags): SandboxSettings {
  return {
    mode: flags.sandbox,
    network: flags.sandboxNetwork,
    bindReadOnly: flags.sandboxBindRo,
    bindWritable: flags.sandboxBind,
    bwrapPath: flags.sandboxBwrap,
  };
}
