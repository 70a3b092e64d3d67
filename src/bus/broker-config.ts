import type { BrokerSettings } from "../api/pilots.js";

/** A broker login. */
export interface BrokerAccount {
  login: string;
  passcode?: string;
}

/** Who a broker account is for, besides the server: pilots (send only), drivers (read result topics only). */
export type BrokerRole = "pilot" | "driver";

/** A STOMP broker (or several, tried in turn) and how to log in. */
export interface BrokerConfig {
  endpoints: Array<{ host: string; port: number }>;
  /** stomp+ssl://: TLS to every endpoint, the broker's certificate verified (PANDO_CA or the system's authorities). */
  tls?: boolean;
  /** PEM certificate authorities to verify a TLS broker with, instead of PANDO_CA or the system's (never handed out). */
  caFile?: string;
  /** The server's own login (everything on the prefix's destinations). */
  login?: string;
  passcode?: string;
  /** Destination prefix (see BrokerSettings). */
  prefix: string;
  /**
   * The logins the server hands out, one per role, each allowed only what its role needs (docs/broker.md).
   * A role without one is told of no broker: its results go over REST.
   */
  accounts?: Partial<Record<BrokerRole, BrokerAccount>>;
}

export const DEFAULT_PREFIX = "pando";
const DEFAULT_PORT = 61613;
const DEFAULT_TLS_PORT = 61614;

export class BrokerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BrokerConfigError";
  }
}

/**
 * Reads `stomp://[user[:password]@]host[:port][,host[:port]…]`, or `stomp+ssl://…` for TLS (default port 61614).
 * Explicit user/password/prefix win over the URL's. Errors quote the URL with its password hidden.
 */
export function parseBrokerUrl(
  url: string,
  overrides: { user?: string; password?: string; prefix?: string } = {},
): BrokerConfig {
  const m = /^stomp(\+ssl)?:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)\/?$/.exec(url.trim());
  if (!m) {
    throw new BrokerConfigError(
      `'${redactUrl(url)}' is not a broker URL; write stomp://host:port or stomp://user:password@host:port, ` +
        "stomp+ssl://… for TLS (several hosts separated by commas)",
    );
  }
  const tls = m[1] !== undefined;
  const endpoints = m[4]!.split(",").map((part) => {
    const hp = /^([A-Za-z0-9.\-_]+|\[[0-9a-fA-F:]+\])(?::(\d{1,5}))?$/.exec(part.trim());
    const port = hp?.[2] === undefined ? (tls ? DEFAULT_TLS_PORT : DEFAULT_PORT) : Number(hp[2]);
    if (!hp || port < 1 || port > 65535) {
      throw new BrokerConfigError(`'${part}' in '${redactUrl(url)}' is not host:port`);
    }
    return { host: hp[1]!.replace(/^\[|\]$/g, ""), port };
  });
  const prefix = overrides.prefix ?? DEFAULT_PREFIX;
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(prefix)) {
    throw new BrokerConfigError(`'${prefix}' is not a destination prefix; use letters, digits, _ and -, parts joined by dots`);
  }
  const login = overrides.user ?? (m[2] ? decodeURIComponent(m[2]) : undefined);
  const passcode = overrides.password ?? (m[3] !== undefined ? decodeURIComponent(m[3]) : undefined);
  return { endpoints, ...(tls ? { tls } : {}), login, passcode, prefix };
}

/** The URL with any password replaced, fit for logs and messages. */
export function redactUrl(url: string): string {
  return url.replace(/^(stomp(?:\+ssl)?:\/\/[^:@/]*):[^@/]*@/, "$1:***@");
}

/** How the config is described in logs: endpoints and user, never the password. */
export function describeBroker(config: BrokerConfig): string {
  const who = config.login ? `${config.login}@` : "";
  return `${config.tls ? "stomp+ssl" : "stomp"}://${who}${config.endpoints.map((e) => `${e.host}:${e.port}`).join(",")}`;
}

/** The settings a client of one role is told: the broker with that role's login, or null when the role has none. */
export function toSettings(config: BrokerConfig, role: BrokerRole): BrokerSettings | null {
  const account = config.accounts?.[role];
  if (!account) return null;
  return {
    endpoints: config.endpoints.map((e) => `${e.host}:${e.port}`),
    ...(config.tls ? { tls: true } : {}),
    login: account.login,
    ...(account.passcode !== undefined ? { passcode: account.passcode } : {}),
    prefix: config.prefix,
  };
}

/** A role's account from its user and password settings; a password without a user is a mistake said plainly. */
export function roleAccount(role: BrokerRole, user: string | undefined, password: string | undefined): BrokerAccount | undefined {
  if (user === undefined || user === "") {
    if (password !== undefined && password !== "") {
      throw new BrokerConfigError(`a broker ${role} password was given without a ${role} user; set --broker-${role}-user too`);
    }
    return undefined;
  }
  return { login: user, ...(password !== undefined ? { passcode: password } : {}) };
}

export function fromSettings(settings: BrokerSettings): BrokerConfig {
  return {
    endpoints: settings.endpoints.map((e) => {
      const i = e.lastIndexOf(":");
      return { host: e.slice(0, i), port: Number(e.slice(i + 1)) };
    }),
    ...(settings.tls ? { tls: true } : {}),
    login: settings.login,
    passcode: settings.passcode,
    prefix: settings.prefix,
  };
}
