// The pilot's executor pool and code cache options: flags, each with an environment variable for when it is not given, so
// that pilots a server or `pando run` starts (which inherit its environment) get the same settings.
import type { Command } from "commander";
import { parseDuration, parseNonNegative } from "./parse.js";
import { fromEnv } from "./sandbox-options.js";

export interface PoolFlags {
  warmExecutors?: number;
  executorIdle?: number;
  cacheKeep?: number;
}

export function addPoolOptions(cmd: Command): Command {
  return cmd
    .option(
      "--warm-executors <n>",
      "most executors a warm command starts per code context; jobs that wait start the others, up to the slots (env: PANDO_WARM_EXECUTORS; default 16)",
      parseNonNegative,
    )
    .option(
      "--executor-idle <duration>",
      "executors beyond the warm count that ran no job for this long end (env: PANDO_EXECUTOR_IDLE; default 60s; 0: never)",
      parseDuration,
    )
    .option(
      "--cache-keep <duration>",
      "code (bundles, environments, project archives) no pilot sharing the cache directory used for this long is removed from it (env: PANDO_CACHE_KEEP; default 7d; 0: never)",
      parseDuration,
    );
}

/** Each flag, else its variable; left out, the pilot's default applies (PILOT_DEFAULTS). */
export function poolFrom(flags: PoolFlags, env: NodeJS.ProcessEnv = process.env): { warmExecutors?: number; executorIdleMs?: number; cacheKeepMs?: number } {
  return {
    warmExecutors: flags.warmExecutors ?? fromEnv(env, "PANDO_WARM_EXECUTORS", parseNonNegative),
    executorIdleMs: flags.executorIdle ?? fromEnv(env, "PANDO_EXECUTOR_IDLE", parseDuration),
    cacheKeepMs: flags.cacheKeep ?? fromEnv(env, "PANDO_CACHE_KEEP", parseDuration),
  };
}
