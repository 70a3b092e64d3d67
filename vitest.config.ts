import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

// Pilots run jobs in a sandbox with a private /tmp. The directories tests share with their jobs (barriers,
// markers) are made under a scratch directory (TMPDIR) that the suite's pilots bind writable
// (PANDO_SANDBOX_BIND); executors keep their own directories apart (PANDO_WORK_ROOT).
const SCRATCH = join(tmpdir(), "pando-test-scratch");
const WORK_ROOT = join(tmpdir(), "pando-test-work");
mkdirSync(SCRATCH, { recursive: true });
mkdirSync(WORK_ROOT, { recursive: true });
// Builds `pando run` caches across runs go to a directory of the suite's, not the user's.
const SANDBOX_ENV = { TMPDIR: SCRATCH, PANDO_SANDBOX_BIND: SCRATCH, PANDO_WORK_ROOT: WORK_ROOT, PANDO_BUILD_CACHE: join(tmpdir(), "pando-test-build-cache") };

// Files of the core suite, run twice: results over REST only, and through an ActiveMQ broker.
const CORE_SUITE = [
  "test/core.test.ts",
  "test/bad-input.test.ts",
  "test/kill-retry.test.ts",
  "test/pilot-loss.test.ts",
  "test/durability.test.ts",
  "test/embedded.test.ts",
  "test/remote.test.ts",
  "test/driver-crash.test.ts",
  "test/local-drivers.test.ts",
];

const integration = {
  environment: "node" as const,
  // Integration files start real servers, pilots and brokers; on a 2-core machine they run one at a time.
  fileParallelism: false,
  testTimeout: 120_000,
  hookTimeout: 120_000,
  env: SANDBOX_ENV,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "examples/**/*.test.ts", "bench/**/*.test.ts", "monitor/**/*.test.ts"],
          environment: "node",
        },
      },
      { test: { name: "integration", include: ["test/**/*.test.ts"], ...integration } },
      {
        test: {
          name: "integration-broker",
          include: CORE_SUITE,
          ...integration,
          globalSetup: ["test/setup/suite-broker.ts"],
          // The logins of test/helpers/broker.ts: the server's, and those it hands to pilots and drivers.
          env: {
            ...SANDBOX_ENV,
            PANDO_TEST_BROKER: "stomp://127.0.0.1:61613",
            PANDO_BROKER_USER: "pando",
            PANDO_BROKER_PASSWORD: "pando-test",
            PANDO_BROKER_PILOT_USER: "pando-pilot",
            PANDO_BROKER_PILOT_PASSWORD: "pilot-test",
            PANDO_BROKER_DRIVER_USER: "pando-driver",
            PANDO_BROKER_DRIVER_PASSWORD: "driver-test",
          },
        },
      },
      {
        // The store matrix: the whole integration suite again, every server on PostgreSQL.
        test: {
          name: "integration-postgres",
          include: ["test/**/*.test.ts"],
          // Installing the package has no store of its own to test, and the multi-host test's central host has
          // a PostgreSQL of its own: they run once, in the SQLite project.
          exclude: ["test/install.test.ts", "test/multi-host.test.ts"],
          ...integration,
          globalSetup: ["test/setup/suite-postgres.ts"],
          env: { ...SANDBOX_ENV, PANDO_TEST_DB: "postgres://postgres@127.0.0.1:25433/pando" },
        },
      },
    ],
  },
});
