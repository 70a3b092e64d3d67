// A private ActiveMQ (or RabbitMQ) per test file, started by the project's own scripts, for tests that kill
// and restart their broker.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./cluster.js";

export const BROKER_USER = "pando";
export const BROKER_PASSWORD = "pando-test";

export interface TestBroker {
  url: string;
  port: number;
  up(): void;
  /** SIGKILL: a crash; persistent messages stay on disk. */
  kill(): void;
  /** Stops it and deletes its data. */
  purge(): void;
}

export function testBroker(kind: "activemq" | "rabbitmq", port: number): TestBroker {
  const dir = mkdtempSync(join(tmpdir(), `pando-${kind}-`));
  const script = join(ROOT, "scripts", "services", `${kind}.sh`);
  const env = { ...process.env, PANDO_SERVICES_DIR: dir, PANDO_BROKER_USER: BROKER_USER, PANDO_BROKER_PASSWORD: BROKER_PASSWORD };
  const run = (cmd: string) => execFileSync(script, [cmd, String(port)], { env, stdio: ["ignore", "ignore", "inherit"] });
  return {
    url: `stomp://127.0.0.1:${port}`,
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
  process.env.PANDO_BROKER_USER = BROKER_USER;
  process.env.PANDO_BROKER_PASSWORD = BROKER_PASSWORD;
}
