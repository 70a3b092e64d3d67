#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on 127.0.0.1 for the tests and a first try: install (Debian postgresql),
# up, down, status, url. Data under .pando/services/postgres-<port>; stopped by its own command (pg_ctl).
#   scripts/services/postgres.sh up [port]     default port 55432; prints the connection URL
# Durability is traded for speed (fsync off): this cluster is for tests, never for data you keep.
# PANDO_POSTGRES_DURABLE=1 starts it with PostgreSQL's durable defaults instead (fsync, synchronous_commit and
# full_page_writes on): the cluster benchmarks measure, since that is the durability Pando promises. Give a
# durable cluster its own port; `up` refuses to reuse a running cluster started in the other mode.
# A second cluster (e.g. inside a test network's namespace) takes PANDO_POSTGRES_HOST (the address it listens
# on and is reached at, default 127.0.0.1) and PANDO_POSTGRES_DIR (its data, default as above); give the same
# ones to down.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
cmd=${1:-status}
port=${2:-${PANDO_POSTGRES_PORT:-55432}}
host=${PANDO_POSTGRES_HOST:-127.0.0.1}
dir=${PANDO_POSTGRES_DIR:-"$PANDO_SERVICES_DIR/postgres-$port"}
url="postgres://postgres@$host:$port/pando"
if [ "${PANDO_POSTGRES_DURABLE:-0}" = 1 ]; then
  mode=durable
  settings="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
else
  mode=fast
  settings="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi

bindir() {
  local v
  v=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
  [ -n "$v" ] && echo "/usr/lib/postgresql/$v/bin"
}

as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

running() { [ -f "$dir/data/postmaster.pid" ] && kill -0 "$(head -1 "$dir/data/postmaster.pid")" 2>/dev/null; }

case "$cmd" in
  install) [ -n "$(bindir)" ] || apt_install postgresql ;;
  up)
    [ -n "$(bindir)" ] || apt_install postgresql
    bin=$(bindir)
    if running; then
      started=$(cat "$dir/mode" 2>/dev/null || echo fast)
      [ "$started" = "$mode" ] || { echo "postgres on port $port is running in $started mode, not $mode: stop it first (down) or use another port" >&2; exit 1; }
      echo "$url"; exit 0
    fi
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres:postgres "$dir"
      runuser -u postgres -- test -w "$dir" \
        || { echo "the postgres user cannot reach $dir: make its parent directories traversable (chmod o+x)" >&2; exit 1; }
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_postgres "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { echo "initdb failed; see $dir/initdb.log" >&2; exit 1; }
      # initdb trusts loopback only: a cluster on another address trusts the hosts of its own subnet.
      [ "$host" = 127.0.0.1 ] || echo "host all all samenet trust" >> "$dir/data/pg_hba.conf"
    fi
    as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-c listen_addresses=$host -p $port -k $dir $settings -c max_connections=200" \
      start >/dev/null || { echo "postgres did not start; see $dir/server.log" >&2; exit 1; }
    echo "$mode" > "$dir/mode"
    "$bin/psql" -h "$host" -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'pando'" | grep -q 1 \
      || "$bin/createdb" -h "$host" -p "$port" -U postgres pando
    echo "$url"
    ;;
  down)
    bin=$(bindir)
    if running; then as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; fi
    rm -rf "$dir"
    echo "postgres on port $port stopped"
    ;;
  status) if running; then echo "up: $url"; else echo "down"; exit 1; fi ;;
  url) echo "$url" ;;
  *) echo "usage: $0 install|up|down|status|url [port]" >&2; exit 2 ;;
esac
