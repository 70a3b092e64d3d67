#!/usr/bin/env bash
# The whole test suite: lint, type-check, build, then unit and integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
npx eslint .
npx tsc --noEmit
npm run build
npx vitest run
