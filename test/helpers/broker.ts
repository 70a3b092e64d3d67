// A private ActiveMQ (or RabbitMQ) per test file, started by the project's own scripts, for tests that kill
// and restart their broker.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./cluster.js";

export const BROKER_USER = "pando";
export const BROKER_PASSWORD = "pando-test";
/** The logins the server hands out: pilots may only send, drivers only read result topics. */
export const BROKER_ROLES = {
  pilot: { login: "pando-pilot", passcode: "pilot-test" },
  driver: { login: "pando-driver", passcode: "driver-test" },
};

/** The environment that gives a broker script, or a server, the test logins of every role. */
export const BROKER_ENV = {
  PANDO_BROKER_USER: BROKER_USER,
  PANDO_BROKER_PASSWORD: BROKER_PASSWORD,
  PANDO_BROKER_PILOT_USER: BROKER_ROLES.pilot.login,
  PANDO_BROKER_PILOT_PASSWORD: BROKER_ROLES.pilot.passcode,
  PANDO_BROKER_DRIVER_USER: BROKER_ROLES.driver.login,
  PANDO_BROKER_DRIVER_PASSWORD: BROKER_ROLES.driver.passcode,
};

export interface TestBroker {
  url: string;
  port: number;
  up(): void;
  /** SIGKILL: a crash; persistent messages stay on disk. */
  kill(): void;
  /** Stops it and deletes its data. */
  purge(): void;
}

/** A broker's TLS listener besides its plain one: its port, and the PEM certificate and key it presents. */
export interface BrokerTls {
  port: number;
  cert: string;
  key: string;
}

export function testBroker(kind: "activemq" | "rabbitmq", port: number, tls?: BrokerTls): TestBroker {
  const dir = mkdtempSync(join(tmpdir(), `pando-${kind}-`));
  const script = join(ROOT, "scripts", "services", `${kind}.sh`);
  const tlsEnv: Record<string, string> = tls
    ? { PANDO_BROKER_TLS_CERT: tls.cert, PANDO_BROKER_TLS_KEY: tls.key, [`PANDO_${kind.toUpperCase()}_SSL_PORT`]: String(tls.port) }
    : {};
  const env = { ...process.env, PANDO_SERVICES_DIR: dir, ...BROKER_ENV, ...tlsEnv };
  const run = (cmd: string) => execFileSync(script, [cmd, String(port)], { env, stdio: ["ignore", "ignore", "inherit"] });
  return {
    url: tls ? `stomp+ssl://127.0.0.1:${tls.port}` : `stomp://127.0.0.1:${port}`,
    port,
    up: () => run("up"),
    kill: () => run("kill"),
    purge: () => {
      run("purge");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Makes servers started from now on log in to test brokers (credentials travel in the environment). */
export function useBrokerCredentials(): void {
  Object.assign(process.env, BROKER_ENV);
}
