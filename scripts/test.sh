#!/usr/bin/env bash
# The whole test suite: lint, type-check, build, then unit and integration tests. The integration tests
# start the brokers, the Slurm cluster and the PostgreSQL they need with scripts/services/*; installing them first makes a missing package fail
# here, with apt's own message, rather than in the middle of a test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services/activemq.sh install
scripts/services/rabbitmq.sh install
scripts/services/slurm.sh install
scripts/services/postgres.sh install
scripts/services/chromium.sh install
# test/multi-host.test.ts captures its network's traffic with tcpdump.
scripts/services/capture.sh install
# Pilots run job code in a bubblewrap sandbox (test/sandbox.test.ts checks what it hides).
source scripts/lib.sh
ensure_package bwrap bubblewrap
npx eslint .
npx tsc --noEmit
scripts/structure-report.sh
npm run build
npx vitest run
