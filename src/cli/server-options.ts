import type { Command } from "commander";
import { defaultServerConfig, type ServerConfig } from "../server/config.js";
import { parseBytes, parseCount, parseNonNegative, parsePositiveDuration } from "./parse.js";

/** The server settings shared by `pando server` and the embedded server of `pando run`. */
export function addServerOptions(cmd: Command): Command {
  return cmd
    .option("--data-dir <dir>", "where the database and local credentials live", ".pando")
    .option("--heartbeat-interval <duration>", "how often pilots send heartbeats", parsePositiveDuration)
    .option("--heartbeat-timeout <duration>", "silence after which a pilot is lost and its jobs retried", parsePositiveDuration)
    .option("--max-payload <size>", "largest argument set or result (e.g. 16MiB)", parseBytes)
    .option("--max-request <size>", "largest HTTP request body (e.g. 256MiB)", parseBytes)
    .option("--max-log <chars>", "characters of stdout/stderr kept per attempt", parseCount)
    .option("--max-system-retries <n>", "retries after system failures such as a lost pilot", parseNonNegative)
    .option("--sqlite-sync <mode>", "normal (survives a killed server) or full (also power loss)");
}

export interface ServerFlags {
  dataDir: string;
  heartbeatInterval?: number;
  heartbeatTimeout?: number;
  maxPayload?: number;
  maxRequest?: number;
  maxLog?: number;
  maxSystemRetries?: number;
  sqliteSync?: string;
}

export function serverConfigFrom(flags: ServerFlags): ServerConfig {
  const config = defaultServerConfig(flags.dataDir);
  if (flags.heartbeatInterval !== undefined) config.heartbeatIntervalMs = flags.heartbeatInterval;
  if (flags.heartbeatTimeout !== undefined) {
    config.heartbeatTimeoutMs = flags.heartbeatTimeout;
    config.dispatchGraceMs = Math.min(config.dispatchGraceMs, flags.heartbeatTimeout);
  }
  if (flags.maxPayload !== undefined) config.maxPayloadBytes = flags.maxPayload;
  if (flags.maxRequest !== undefined) config.maxRequestBytes = flags.maxRequest;
  if (flags.maxLog !== undefined) config.maxLogChars = flags.maxLog;
  if (flags.maxSystemRetries !== undefined) config.maxSystemRetries = flags.maxSystemRetries;
  if (flags.sqliteSync !== undefined) {
    if (flags.sqliteSync !== "normal" && flags.sqliteSync !== "full") {
      throw new Error(`--sqlite-sync must be 'normal' or 'full', not '${flags.sqliteSync}'`);
    }
    config.sqliteSync = flags.sqliteSync;
  }
  if (config.heartbeatIntervalMs >= config.heartbeatTimeoutMs) {
    throw new Error(
      `the heartbeat interval (${config.heartbeatIntervalMs} ms) must be shorter than the heartbeat timeout (${config.heartbeatTimeoutMs} ms)`,
    );
  }
  return config;
}
