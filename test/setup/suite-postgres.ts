// Global setup of the "integration-postgres" project: the whole integration suite runs again with every
// server keeping its state in this PostgreSQL (a fresh database per server), started by the project's script.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const SUITE_POSTGRES_PORT = 25433;
const SCRIPT = resolve(import.meta.dirname, "../../scripts/services/postgres.sh");
const dir = mkdtempSync(join(tmpdir(), "pando-suite-postgres-"));
// The cluster runs as the postgres user, who must be able to reach its data directory.
chmodSync(dir, 0o755);
const env = { ...process.env, PANDO_SERVICES_DIR: dir };

export function setup(): void {
  execFileSync(SCRIPT, ["up", String(SUITE_POSTGRES_PORT)], { env, stdio: "inherit" });
}

export function teardown(): void {
  execFileSync(SCRIPT, ["down", String(SUITE_POSTGRES_PORT)], { env, stdio: "inherit" });
  rmSync(dir, { recursive: true, force: true });
}
