// The pilot's sandbox options: flags, each with an environment variable for when it is not given, so that
// pilots a server or `pando run` starts (which inherit its environment) get the same settings.
import { existsSync } from "node:fs";
import { delimiter } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { SANDBOX_DEFAULTS, SANDBOX_MODES, type SandboxMode, type SandboxSettings } from "../pilot/sandbox-args.js";

export interface SandboxFlags {
  sandbox?: SandboxMode;
  sandboxNetwork?: boolean;
  sandboxBindRo?: string[];
  sandboxBind?: string[];
  sandboxBwrap?: string;
}

export function parseSandboxMode(text: string): SandboxMode {
  if ((SANDBOX_MODES as readonly string[]).includes(text)) return text as SandboxMode;
  throw new InvalidArgumentError(`'${text}' is not a sandbox mode; use one of ${SANDBOX_MODES.join(", ")}`);
}

export function parseOnOff(text: string): boolean {
  if (text === "on" || text === "off") return text === "on";
  throw new InvalidArgumentError(`'${text}' is neither on nor off`);
}

/** A bind's host path: absolute, since the sandbox shows it at the same place. */
function parseBindPath(text: string): string {
  if (!text.startsWith("/")) throw new InvalidArgumentError(`'${text}' is not an absolute path; sandbox binds name host paths from /`);
  return text;
}

function collectPath(text: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), parseBindPath(text)];
}

export function addSandboxOptions(cmd: Command): Command {
  return cmd
    .option(
      "--sandbox <mode>",
      "how job code is isolated: auto (bubblewrap where it works, else unsandboxed with a warning), bwrap (refuse to start without it), none (env: PANDO_SANDBOX; default auto)",
      parseSandboxMode,
    )
    .option("--sandbox-network <on|off>", "whether sandboxed jobs have the host's network (env: PANDO_SANDBOX_NETWORK; default on)", parseOnOff)
    .option("--sandbox-bind-ro <path>", "a host path sandboxed jobs may read; repeatable (env: PANDO_SANDBOX_BIND_RO, :-separated)", collectPath)
    .option("--sandbox-bind <path>", "a host path sandboxed jobs may write; repeatable (env: PANDO_SANDBOX_BIND, :-separated)", collectPath)
    .option("--sandbox-bwrap <path>", "the bubblewrap program (env: PANDO_SANDBOX_BWRAP; default bwrap)");
}

/** A setting from its variable, or undefined if unset; a bad value is an error naming the variable. */
export function fromEnv<T>(env: NodeJS.ProcessEnv, name: string, parse: (text: string) => T): T | undefined {
  const value = env[name];
  if (!value) return undefined;
  try {
    return parse(value);
  } catch (err) {
    throw new Error(`${name}: ${(err as Error).message}`, { cause: err });
  }
}

function bindsFromEnv(env: NodeJS.ProcessEnv, name: string): string[] | undefined {
  return fromEnv(env, name, (text) => text.split(delimiter).filter(Boolean).map(parseBindPath));
}

/**
 * The pilot's sandbox settings: each flag, else its variable, else the default. A bind of a path that is not
 * there is refused here: otherwise bwrap would fail, and `auto` would run every job unsandboxed.
 */
export function sandboxFrom(flags: SandboxFlags, env: NodeJS.ProcessEnv = process.env): SandboxSettings {
  const settings: SandboxSettings = {
    mode: flags.sandbox ?? fromEnv(env, "PANDO_SANDBOX", parseSandboxMode) ?? SANDBOX_DEFAULTS.mode,
    network: flags.sandboxNetwork ?? fromEnv(env, "PANDO_SANDBOX_NETWORK", parseOnOff) ?? SANDBOX_DEFAULTS.network,
    bindReadOnly: flags.sandboxBindRo ?? bindsFromEnv(env, "PANDO_SANDBOX_BIND_RO") ?? [],
    bindWritable: flags.sandboxBind ?? bindsFromEnv(env, "PANDO_SANDBOX_BIND") ?? [],
    bwrapPath: flags.sandboxBwrap || env.PANDO_SANDBOX_BWRAP || SANDBOX_DEFAULTS.bwrapPath,
  };
  for (const path of [...settings.bindReadOnly, ...settings.bindWritable]) {
    if (!existsSync(path)) throw new Error(`the sandbox bind ${path} is not there: make it, or leave it out of --sandbox-bind(-ro) and PANDO_SANDBOX_BIND(_RO)`);
  }
  return settings;
}
