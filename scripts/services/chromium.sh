#!/usr/bin/env bash
# Chromium for the monitor's browser tests, which drive it with playwright-core (no browser download of its
# own): install (Debian chromium), path (prints the executable the tests launch).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
cmd=${1:-path}
executable=/usr/bin/chromium

case "$cmd" in
  install) ensure_file "$executable" chromium ;;
  path)
    [ -x "$executable" ] || { echo "no Chromium at $executable: run scripts/services/chromium.sh install" >&2; exit 1; }
    echo "$executable"
    ;;
  *) echo "usage: $0 install|path" >&2; exit 2 ;;
esac
