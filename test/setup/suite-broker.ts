// Global setup of the "integration-broker" project: the core integration suite runs again with every server
// using this ActiveMQ, started (and installed if needed) by the project's own script.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BROKER_ENV } from "../helpers/broker.js";

export const SUITE_BROKER_PORT = 61613;
const SCRIPT = resolve(import.meta.dirname, "../../scripts/services/activemq.sh");
const dir = mkdtempSync(join(tmpdir(), "pando-suite-broker-"));
const env = { ...process.env, PANDO_SERVICES_DIR: dir, ...BROKER_ENV };

export function setup(): void {
  execFileSync(SCRIPT, ["up", String(SUITE_BROKER_PORT)], { env, stdio: "inherit" });
}

export function teardown(): void {
  execFileSync(SCRIPT, ["purge", String(SUITE_BROKER_PORT)], { env, stdio: "inherit" });
  rmSync(dir, { recursive: true, force: true });
}
