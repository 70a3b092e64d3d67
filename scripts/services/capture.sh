#!/usr/bin/env bash
# Packet capture for the tests over the namespaced test network (test/helpers/capture.ts runs tcpdump in a
# host's namespace): install (Debian tcpdump), status.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
case "${1:-status}" in
  install) ensure_package tcpdump tcpdump ;;
  status) command -v tcpdump >/dev/null && echo "tcpdump: $(command -v tcpdump)" || { echo "tcpdump is not installed"; exit 1; } ;;
  *) echo "usage: $0 install|status" >&2; exit 2 ;;
esac
