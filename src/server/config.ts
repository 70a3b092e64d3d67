import type { BrokerConfig } from "../bus/broker-config.js";
import { DEFAULT_MAX_PAYLOAD_BYTES } from "../codec/limits.js";
import { DEFAULT_MAX_ATTEMPTS } from "../core/retry-policy.js";
import { connectionDefaults, openFileLimit } from "./fd-limit.js";

/** Every limit and timer of the server, with its default. All are documented in docs/configuration.md. */
export interface ServerConfig {
  /** Directory of the embedded database and the local credentials. */
  dataDir: string;
  /** SQLite file; default `<dataDir>/pando.db`. */
  dbPath: string;
  /** A PostgreSQL URL (postgres://…): the state lives there instead of the SQLite file. */
  databaseUrl: string | undefined;
  /** PostgreSQL connections the server opens at most. */
  dbPoolSize: number;
  /** Longest a request waits for a free PostgreSQL connection; past it, 503 with Retry-After. */
  dbPoolWaitMs: number;
  /** "normal" survives a SIGKILLed server; "full" also survives power loss (an fsync per commit). */
  sqliteSync: "normal" | "full";
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** PEM certificate (with its chain) the server presents: it serves HTTPS when this and tlsKeyFile are set. */
  tlsCertFile: string | undefined;
  /** PEM private key of tlsCertFile. */
  tlsKeyFile: string | undefined;
  /**
   * The URL pilots, drivers, site agents and the monitor are told (a proxy's, a DNS name's); default the listening
   * address. Required when listening on every interface (0.0.0.0, ::).
   */
  publicUrl: string | undefined;
  /** Certificate authorities (PEM) the pilots this server starts trust, and the server itself for a stomp+ssl broker. */
  caFile: string | undefined;
  /** How often pilots send heartbeats. */
  heartbeatIntervalMs: number;
  /** A pilot silent for this long is lost and its jobs are retried. */
  heartbeatTimeoutMs: number;
  /**
   * How often the heartbeats answered are written to the database, all in one statement (at most a tenth of
   * the shortest heartbeat timeout): a heartbeat costs no transaction of its own.
   */
  heartbeatFlushMs: number;
  /** A job sent to a pilot that does not list it among its jobs for this long was lost in dispatch. */
  dispatchGraceMs: number;
  /** Largest argument set or result, as tagged-JSON bytes. */
  maxPayloadBytes: number;
  /** Most characters of stdout and of stderr kept per attempt (the start and the end are kept). */
  maxLogChars: number;
  /** Largest HTTP request body (a task's submission with its jobs, a pilot's report, a bundle). */
  maxRequestBytes: number;
  /**
   * Longest a client may take to send one whole request, headers and body (a slower one gets 408 and its
   * connection is closed), so that unfinished requests cannot hold connections. Long-polls and streams are
   * not concerned: they wait after their request is in.
   */
  requestTimeoutMs: number;
  /** Largest body of a request that carries a few fields only (tokens, queues, a pilot's registration…). */
  maxControlRequestBytes: number;
  /**
   * Largest request line and headers together (the URL with its query string, the token, every header):
   * over it, 431 and the connection is closed at once, without reading the rest.
   */
  maxHeaderBytes: number;
  /** Retries after system failures (lost pilot…), which never spend the user's maxAttempts. */
  maxSystemRetries: number;
  /** Attempts of a job when the work does not say (PanDA: maxAttempt). */
  defaultMaxAttempts: number;
  /** Queue of tasks that name none. */
  defaultQueue: string;
  /** The queues file (docs/queues.md); without one, the default queue is a plain local queue. */
  queuesFile: string | undefined;
  /** How often a local driver (a program running a workflow's body) tells the server it is alive. */
  driverHeartbeatIntervalMs: number;
  /** A local driver silent for this long is lost: its workflow fails and its unfinished tasks are cancelled. */
  driverHeartbeatTimeoutMs: number;
  /**
   * A site whose agent sent no heartbeat (registration or demand poll) and none of whose pilots was heard
   * from for this long is silent: brokerage passes its queues by, and says so in the pending reason.
   */
  siteSilenceMs: number;
  /** Longest long-poll a client may ask for. */
  maxWaitMs: number;
  /** The STOMP broker results travel through; without one, results go over REST only. */
  broker: BrokerConfig | undefined;
  /** How long start-up waits for the broker before going on without it (it keeps reconnecting). */
  brokerConnectWaitMs: number;
  /**
   * How long a queue's pilots are told to keep executors warm for a workflow or task that started there
   * (PilotCommand "warm"); 0: pilots are never told, and start executors when jobs come.
   */
  warmKeepMs: number;
  /** Execution contexts (bundle, initEnv, container) remembered for warming per queue. */
  warmContextsPerQueue: number;
  /** Open connections the server accepts (a new one beyond is closed); default from the open-file limit. */
  maxConnections: number;
  /**
   * Connections the kernel completes and queues until the server accepts them (the listen backlog; the
   * kernel's net.core.somaxconn caps it): thousands of pilots connecting at once overflow a short one.
   */
  listenBacklog: number;
  /** Long-polls and streams one token holds at once. */
  maxWaitsPerToken: number;
  /** Long-polls and streams one user's tokens hold at once. */
  maxWaitsPerUser: number;
  /** Long-polls and streams of all users at once; default half the open-file limit. */
  maxUserWaits: number;
  /** Pilots' acquire long-polls at once, a budget users' waits never take; default a quarter of the open-file limit. */
  maxPilotWaits: number;
  /**
   * Pilots' reports recorded at once (each one transaction); the others wait their turn in the server. Reports
   * about one task queue on its row lock in the database anyway, and each would hold a database connection
   * meanwhile, which heartbeats, acquires and registrations need.
   */
  maxConcurrentReports: number;
  /**
   * Reads of what pilots hold at once, of each kind (a heartbeat's attempts, an acquire's count); the pilots
   * asked for meanwhile are read together in the next turn, one statement for all of them.
   */
  maxConcurrentHeldReads: number;
  /**
   * Claims of a queue's jobs for acquiring pilots at once (statements); the acquires that come meanwhile are
   * claimed for together in the next turn, one statement for all of those of one queue.
   */
  maxConcurrentClaims: number;
  /**
   * Waiting pilots a new task is handed to in the transaction that records it (those with room first); the
   * others are woken to take its jobs themselves, so that a submission's transaction does not grow with the pilots.
   */
  maxHandOffPilots: number;
}

export function defaultServerConfig(dataDir: string): ServerConfig {
  const connections = connectionDefaults(openFileLimit());
  return {
    dataDir,
    dbPath: `${dataDir}/pando.db`,
    databaseUrl: undefined,
    dbPoolSize: 20,
    dbPoolWaitMs: 10_000,
    sqliteSync: "normal",
    host: "127.0.0.1",
    port: 0,
    tlsCertFile: undefined,
    tlsKeyFile: undefined,
    publicUrl: undefined,
    caFile: undefined,
    heartbeatIntervalMs: 10_000,
    heartbeatTimeoutMs: 60_000,
    heartbeatFlushMs: 1000,
    dispatchGraceMs: 30_000,
    maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
    maxLogChars: 64 * 1024,
    maxRequestBytes: 256 * 1024 * 1024,
    requestTimeoutMs: 300_000,
    maxControlRequestBytes: 64 * 1024,
    maxHeaderBytes: 16 * 1024,
    maxSystemRetries: 10,
    defaultMaxAttempts: DEFAULT_MAX_ATTEMPTS,
    defaultQueue: "local",
    queuesFile: undefined,
    driverHeartbeatIntervalMs: 10_000,
    driverHeartbeatTimeoutMs: 60_000,
    siteSilenceMs: 300_000,
    maxWaitMs: 60_000,
    broker: undefined,
    brokerConnectWaitMs: 3000,
    warmKeepMs: 10 * 60_000,
    warmContextsPerQueue: 8,
    maxConnections: connections.maxConnections,
    listenBacklog: 4096,
    maxWaitsPerToken: 64,
    maxWaitsPerUser: 256,
    maxUserWaits: connections.maxUserWaits,
    maxPilotWaits: connections.maxPilotWaits,
    maxConcurrentReports: 4,
    maxConcurrentHeldReads: 4,
    maxConcurrentClaims: 4,
    maxHandOffPilots: 64,
  };
}
