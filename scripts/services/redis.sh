#!/usr/bin/env bash
# Redis on 127.0.0.1 for the benchmarks (BullMQ runs on it): install (Debian redis-server), up, down, status.
#   scripts/services/redis.sh up [port]      default port 6390; append-only file fsynced every second
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
cmd=${1:-status}
port=${2:-${PANDO_REDIS_PORT:-6390}}
dir="$PANDO_SERVICES_DIR/redis-$port"
pidfile="$dir/redis.pid"

case "$cmd" in
  install) ensure_package redis-server redis-server ;;
  up)
    ensure_package redis-server redis-server
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then echo "redis already up on 127.0.0.1:$port"; exit 0; fi
    mkdir -p "$dir"
    redis-server --bind 127.0.0.1 --port "$port" --daemonize yes --pidfile "$pidfile" --dir "$dir" \
      --logfile "$dir/redis.log" --save "" --appendonly yes --appendfsync everysec --protected-mode yes
    wait_for_port "$port" 10 redis
    echo "redis up on 127.0.0.1:$port (pid $(cat "$pidfile"))"
    ;;
  down) stop_pidfile "$pidfile" redis; rm -rf "$dir"; echo "redis on port $port stopped" ;;
  status)
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then echo "up (pid $(cat "$pidfile"))"; else echo "down"; exit 1; fi
    ;;
  *) echo "usage: $0 install|up|down|status [port]" >&2; exit 2 ;;
esac
