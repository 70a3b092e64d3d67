import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { parseBrokerUrl, roleAccount } from "../bus/broker-config.js";
import { errorMessage } from "../core/errors.js";
import { defaultServerConfig, type ServerConfig } from "../server/config.js";
import { parseBytes, parseCount, parseDuration, parseNonNegative, parsePositiveDuration } from "./parse.js";

/**
 * One server setting, settable by a flag, an environment variable and a key of the --config JSON file;
 * a flag wins over the environment, which wins over the file.
 */
interface Setting {
  key: string;
  flag: string;
  env: string;
  help: string;
  parse: (text: string) => unknown;
  apply: (config: ServerConfig, value: unknown, all: Record<string, unknown>) => void;
  /** A setting of a server others connect to (`pando server`), not of the embedded server of `pando run`. */
  listening?: true;
}

const text = (s: string) => s;

const SETTINGS: Setting[] = [
  {
    key: "tlsCert",
    flag: "--tls-cert <file>",
    env: "PANDO_TLS_CERT",
    help: "PEM certificate (with its chain) to serve HTTPS with; needs --tls-key",
    parse: text,
    apply: (c, v) => (c.tlsCertFile = (v as string) || undefined),
  },
  {
    key: "tlsKey",
    flag: "--tls-key <file>",
    env: "PANDO_TLS_KEY",
    help: "PEM private key of --tls-cert",
    parse: text,
    apply: (c, v) => (c.tlsKeyFile = (v as string) || undefined),
  },
  {
    key: "publicUrl",
    flag: "--public-url <url>",
    env: "PANDO_PUBLIC_URL",
    help: "the URL pilots, drivers and the monitor are told, e.g. https://pando.example.org:8720 (needed with --host 0.0.0.0 or ::)",
    parse: text,
    apply: (c, v) => (c.publicUrl = (v as string) || undefined),
    listening: true,
  },
  {
    key: "ca",
    flag: "--ca <file>",
    env: "PANDO_CA",
    help: "PEM certificate authorities trusted instead of the system's: for an https:// --server, a stomp+ssl:// broker, and by the pilots the server starts",
    parse: text,
    apply: (c, v) => (c.caFile = (v as string) || undefined),
  },
  {
    key: "heartbeatInterval",
    flag: "--heartbeat-interval <duration>",
    env: "PANDO_HEARTBEAT_INTERVAL",
    help: "how often pilots send heartbeats (10s)",
    parse: parsePositiveDuration,
    apply: (c, v) => (c.heartbeatIntervalMs = v as number),
  },
  {
    key: "heartbeatFlush",
    flag: "--heartbeat-flush <duration>",
    env: "PANDO_HEARTBEAT_FLUSH",
    help: "how often the pilots' heartbeats are written to the database, all in one statement (1s; at most a tenth of the heartbeat timeout)",
    parse: parsePositiveDuration,
    apply: (c, v) => (c.heartbeatFlushMs = v as number),
  },
  {
    key: "heartbeatTimeout",
    flag: "--heartbeat-timeout <duration>",
    env: "PANDO_HEARTBEAT_TIMEOUT",
    help: "silence after which a pilot is lost and its jobs retried (60s)",
    parse: parsePositiveDuration,
    apply: (c, v) => {
      c.heartbeatTimeoutMs = v as number;
      c.dispatchGraceMs = Math.min(c.dispatchGraceMs, v as number);
    },
  },
  {
    key: "driverHeartbeatTimeout",
    flag: "--driver-heartbeat-timeout <duration>",
    env: "PANDO_DRIVER_HEARTBEAT_TIMEOUT",
    help: "silence after which a local driver is lost: its workflow fails and its tasks are cancelled (60s)",
    parse: parsePositiveDuration,
    apply: (c, v) => {
      c.driverHeartbeatTimeoutMs = v as number;
      c.driverHeartbeatIntervalMs = Math.min(c.driverHeartbeatIntervalMs, Math.max(1, Math.floor((v as number) / 4)));
    },
  },
  {
    key: "siteSilence",
    flag: "--site-silence <duration>",
    env: "PANDO_SITE_SILENCE",
    help: "silence of a site's agent and all its pilots after which brokerage passes its queues by (5m)",
    parse: parsePositiveDuration,
    apply: (c, v) => (c.siteSilenceMs = v as number),
  },
  {
    key: "db",
    flag: "--db <url>",
    env: "PANDO_DB",
    help: "PostgreSQL URL (postgres://user@host:port/db) to keep the state in, instead of SQLite in the data directory",
    parse: text,
    apply: (c, v) => (c.databaseUrl = (v as string) || undefined),
  },
  {
    key: "dbPoolSize",
    flag: "--db-pool-size <n>",
    env: "PANDO_DB_POOL_SIZE",
    help: "PostgreSQL connections the server opens at most (20)",
    parse: parseCount,
    apply: (c, v) => (c.dbPoolSize = v as number),
  },
  {
    key: "dbPoolWait",
    flag: "--db-pool-wait <duration>",
    env: "PANDO_DB_POOL_WAIT",
    help: "longest a request waits for a free PostgreSQL connection before it is answered 503 with Retry-After (10s)",
    parse: parsePositiveDuration,
    apply: (c, v) => (c.dbPoolWaitMs = v as number),
  },
  {
    key: "queuesFile",
    flag: "--queues-file <path>",
    env: "PANDO_QUEUES_FILE",
    help: "JSON file declaring the queues (docs/queues.md)",
    parse: text,
    apply: (c, v) => (c.queuesFile = v as string),
  },
  {
    key: "maxPayload",
    flag: "--max-payload <size>",
    env: "PANDO_MAX_PAYLOAD",
    help: "largest argument set or result (16MiB)",
    parse: parseBytes,
    apply: (c, v) => (c.maxPayloadBytes = v as number),
  },
  {
    key: "maxRequest",
    flag: "--max-request <size>",
    env: "PANDO_MAX_REQUEST",
    help: "largest HTTP request body (256MiB)",
    parse: parseBytes,
    apply: (c, v) => (c.maxRequestBytes = v as number),
  },
  {
    key: "requestTimeout",
    flag: "--request-timeout <duration>",
    env: "PANDO_REQUEST_TIMEOUT",
    help: "longest a client may take to send a whole request, headers and body; slower: 408 (5m)",
    parse: parsePositiveDuration,
    apply: (c, v) => (c.requestTimeoutMs = v as number),
  },
  {
    key: "maxControlRequest",
    flag: "--max-control-request <size>",
    env: "PANDO_MAX_CONTROL_REQUEST",
    help: "largest body of a request with a few fields only, e.g. a token or a pilot's registration (64KiB)",
    parse: parseBytes,
    apply: (c, v) => (c.maxControlRequestBytes = v as number),
  },
  {
    key: "maxHeader",
    flag: "--max-header <size>",
    env: "PANDO_MAX_HEADER",
    help: "largest request line and headers together, the URL's query string included (16KiB)",
    parse: parseBytes,
    apply: (c, v) => (c.maxHeaderBytes = v as number),
  },
  {
    key: "maxLog",
    flag: "--max-log <chars>",
    env: "PANDO_MAX_LOG",
    help: "characters of stdout/stderr kept per attempt (65536)",
    parse: parseCount,
    apply: (c, v) => (c.maxLogChars = v as number),
  },
  {
    key: "maxSystemRetries",
    flag: "--max-system-retries <n>",
    env: "PANDO_MAX_SYSTEM_RETRIES",
    help: "retries after system failures such as a lost pilot (10)",
    parse: parseNonNegative,
    apply: (c, v) => (c.maxSystemRetries = v as number),
  },
  {
    key: "warmKeep",
    flag: "--warm-keep <duration>",
    env: "PANDO_WARM_KEEP",
    help: "how long pilots are told to keep executors warm for a workflow or task that started on their queue; 0: never (10m)",
    parse: parseDuration,
    apply: (c, v) => (c.warmKeepMs = v as number),
  },
  {
    key: "warmContexts",
    flag: "--warm-contexts <n>",
    env: "PANDO_WARM_CONTEXTS",
    help: "execution contexts (bundle, initEnv, container) remembered for warming per queue (8)",
    parse: parseCount,
    apply: (c, v) => (c.warmContextsPerQueue = v as number),
  },
  {
    key: "maxConnections",
    flag: "--max-connections <n>",
    env: "PANDO_MAX_CONNECTIONS",
    help: "open connections the server accepts (default: the open-file limit less 64)",
    parse: parseCount,
    apply: (c, v) => (c.maxConnections = v as number),
  },
  {
    key: "listenBacklog",
    flag: "--listen-backlog <n>",
    env: "PANDO_LISTEN_BACKLOG",
    help: "connections queued until the server accepts them; the kernel's net.core.somaxconn caps it (4096)",
    parse: parseCount,
    apply: (c, v) => (c.listenBacklog = v as number),
  },
  {
    key: "maxWaitsPerToken",
    flag: "--max-waits-per-token <n>",
    env: "PANDO_MAX_WAITS_PER_TOKEN",
    help: "long-polls and streams one token holds at once (64)",
    parse: parseCount,
    apply: (c, v) => (c.maxWaitsPerToken = v as number),
  },
  {
    key: "maxWaitsPerUser",
    flag: "--max-waits-per-user <n>",
    env: "PANDO_MAX_WAITS_PER_USER",
    help: "long-polls and streams one user's tokens hold at once (256)",
    parse: parseCount,
    apply: (c, v) => (c.maxWaitsPerUser = v as number),
  },
  {
    key: "maxUserWaits",
    flag: "--max-user-waits <n>",
    env: "PANDO_MAX_USER_WAITS",
    help: "long-polls and streams of all users at once (default: half the open-file limit)",
    parse: parseCount,
    apply: (c, v) => (c.maxUserWaits = v as number),
  },
  {
    key: "maxPilotWaits",
    flag: "--max-pilot-waits <n>",
    env: "PANDO_MAX_PILOT_WAITS",
    help: "pilots' acquire long-polls at once, kept apart from users' (default: a quarter of the open-file limit)",
    parse: parseCount,
    apply: (c, v) => (c.maxPilotWaits = v as number),
  },
  {
    key: "maxConcurrentReports",
    flag: "--max-concurrent-reports <n>",
    env: "PANDO_MAX_CONCURRENT_REPORTS",
    help: "pilots' reports recorded at once; the others wait their turn (4)",
    parse: parseCount,
    apply: (c, v) => (c.maxConcurrentReports = v as number),
  },
  {
    key: "maxConcurrentHeldReads",
    flag: "--max-concurrent-held-reads <n>",
    env: "PANDO_MAX_CONCURRENT_HELD_READS",
    help: "reads of what pilots hold (heartbeats, acquires) at once, of each kind; the pilots asked for meanwhile are read together (4)",
    parse: parseCount,
    apply: (c, v) => (c.maxConcurrentHeldReads = v as number),
  },
  {
    key: "maxConcurrentClaims",
    flag: "--max-concurrent-claims <n>",
    env: "PANDO_MAX_CONCURRENT_CLAIMS",
    help: "claims of jobs for acquiring pilots at once; the acquires that come meanwhile are claimed for together (4)",
    parse: parseCount,
    apply: (c, v) => (c.maxConcurrentClaims = v as number),
  },
  {
    key: "maxHandOffPilots",
    flag: "--max-hand-off-pilots <n>",
    env: "PANDO_MAX_HAND_OFF_PILOTS",
    help: "waiting pilots a new task is handed to as it is recorded; the others are woken to take its jobs themselves (64)",
    parse: parseCount,
    apply: (c, v) => (c.maxHandOffPilots = v as number),
  },
  {
    key: "sqliteSync",
    flag: "--sqlite-sync <mode>",
    env: "PANDO_SQLITE_SYNC",
    help: "normal (survives a killed server) or full (also a power failure)",
    parse: (s) => {
      if (s !== "normal" && s !== "full") throw new Error(`sqlite-sync must be 'normal' or 'full', not '${s}'`);
      return s;
    },
    apply: (c, v) => (c.sqliteSync = v as "normal" | "full"),
  },
  {
    key: "broker",
    flag: "--broker <url>",
    env: "PANDO_BROKER",
    help: "STOMP broker for results: stomp://host:port[,host:port], or stomp+ssl:// for TLS (credentials better in PANDO_BROKER_USER/PASSWORD)",
    parse: text,
    apply: (c, v, all) => {
      const config = parseBrokerUrl(v as string, {
        user: all.brokerUser as string | undefined,
        password: all.brokerPassword as string | undefined,
        prefix: all.brokerPrefix as string | undefined,
      });
      const pilot = roleAccount("pilot", all.brokerPilotUser as string | undefined, all.brokerPilotPassword as string | undefined);
      const driver = roleAccount("driver", all.brokerDriverUser as string | undefined, all.brokerDriverPassword as string | undefined);
      c.broker = { ...config, accounts: { ...(pilot ? { pilot } : {}), ...(driver ? { driver } : {}) } };
    },
  },
  { key: "brokerUser", flag: "--broker-user <name>", env: "PANDO_BROKER_USER", help: "broker login", parse: text, apply: () => undefined },
  {
    key: "brokerPassword",
    flag: "--broker-password <password>",
    env: "PANDO_BROKER_PASSWORD",
    help: "broker password (prefer the environment variable: command lines are visible to other users)",
    parse: text,
    apply: () => undefined,
  },
  ...(["pilot", "driver"] as const).flatMap((role): Setting[] => {
    const Role = role === "pilot" ? "Pilot" : "Driver";
    const may = role === "pilot" ? "sends reports and results, reads nothing" : "reads result topics, sends nothing";
    return [
      {
        key: `broker${Role}User`,
        flag: `--broker-${role}-user <name>`,
        env: `PANDO_BROKER_${role.toUpperCase()}_USER`,
        help: `broker login handed to ${role}s (${may}); without one, ${role}s' results go over REST`,
        parse: text,
        apply: () => undefined,
      },
      {
        key: `broker${Role}Password`,
        flag: `--broker-${role}-password <password>`,
        env: `PANDO_BROKER_${role.toUpperCase()}_PASSWORD`,
        help: `password of the ${role}s' broker login (prefer the environment variable)`,
        parse: text,
        apply: () => undefined,
      },
    ];
  }),
  {
    key: "brokerPrefix",
    flag: "--broker-prefix <prefix>",
    env: "PANDO_BROKER_PREFIX",
    help: "destination prefix on the broker (pando)",
    parse: text,
    apply: () => undefined,
  },
];

/**
 * The server settings shared by `pando server` and the embedded server of `pando run`; `listening` adds those
 * of a server others connect to (HTTPS, the public URL).
 */
export function addServerOptions(cmd: Command, { listening = false }: { listening?: boolean } = {}): Command {
  cmd
    .option("--data-dir <dir>", "where the database and local credentials live", process.env.PANDO_DATA_DIR ?? ".pando")
    .option("--config <file>", "JSON file of server settings (keys as the flags in camelCase)");
  for (const s of SETTINGS) if (listening || !s.listening) cmd.option(s.flag, `${s.help} [${s.env}]`, s.parse);
  return cmd;
}

export interface ServerFlags {
  dataDir: string;
  config?: string;
  [setting: string]: unknown;
}

function readConfigFile(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`cannot read the config file ${path}: ${errorMessage(err)}`, { cause: err });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`the config file ${path} must hold a JSON object of settings`);
  }
  const known = new Set(["dataDir", ...SETTINGS.map((s) => s.key)]);
  const unknown = Object.keys(parsed).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new Error(`the config file ${path} has unknown settings: ${unknown.join(", ")}; known: ${[...known].join(", ")}`);
  }
  return parsed as Record<string, unknown>;
}

/** The server's settings from flags, environment and --config file; `listening` as for addServerOptions. */
export function serverConfigFrom(flags: ServerFlags, { listening = false }: { listening?: boolean } = {}): ServerConfig {
  const file = flags.config ? readConfigFile(flags.config) : {};
  const values: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    if (s.listening && !listening) continue;
    const fromFlag = flags[s.key];
    const fromEnv = process.env[s.env];
    const fromFile = file[s.key];
    try {
      if (fromFlag !== undefined) values[s.key] = fromFlag;
      else if (fromEnv !== undefined && fromEnv !== "") values[s.key] = s.parse(fromEnv);
      else if (fromFile !== undefined) values[s.key] = s.parse(String(fromFile));
    } catch (err) {
      const where = fromEnv !== undefined && fromEnv !== "" ? s.env : `${s.key} in ${flags.config}`;
      throw new Error(`${where}: ${errorMessage(err)}`, { cause: err });
    }
  }
  const config = defaultServerConfig(typeof file.dataDir === "string" && flags.dataDir === ".pando" ? file.dataDir : flags.dataDir);
  for (const s of SETTINGS) if (values[s.key] !== undefined) s.apply(config, values[s.key], values);
  if (config.heartbeatIntervalMs >= config.heartbeatTimeoutMs) {
    throw new Error(
      `the heartbeat interval (${config.heartbeatIntervalMs} ms) must be shorter than the heartbeat timeout (${config.heartbeatTimeoutMs} ms)`,
    );
  }
  return config;
}
