#!/usr/bin/env bash
# RabbitMQ with its STOMP plugin on 127.0.0.1 (Debian package rabbitmq-server), a private node per port.
#   scripts/services/rabbitmq.sh up [stomp-port]     default 61623; user/password from PANDO_BROKER_USER/PANDO_BROKER_PASSWORD
#   scripts/services/rabbitmq.sh down|kill|purge|status [stomp-port]
# The AMQP and distribution ports are derived from the STOMP port so that several nodes can coexist.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
cmd=${1:-status}
port=${2:-${PANDO_RABBITMQ_PORT:-61623}}
user=${PANDO_BROKER_USER:-pando}
password=${PANDO_BROKER_PASSWORD:-pando}
dir="$PANDO_SERVICES_DIR/rabbitmq-$port"
node="pando$port@localhost"

setup_env() {
  mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
  export HOME="$dir/home" RABBITMQ_NODENAME="$node" RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" RABBITMQ_MNESIA_BASE="$dir/mnesia"
  export RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_PID_FILE="$dir/rabbit.pid" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_DIST_PORT=$((port - 30000))
  export RABBITMQ_NODE_PORT=$((port - 55000)) PATH="/usr/lib/rabbitmq/bin:$PATH"
}

running() { [ -f "$dir/rabbit.pid" ] && kill -0 "$(cat "$dir/rabbit.pid")" 2>/dev/null; }

case "$cmd" in
  install) ensure_file /usr/lib/rabbitmq/bin/rabbitmq-server rabbitmq-server ;;
  up)
    ensure_file /usr/lib/rabbitmq/bin/rabbitmq-server rabbitmq-server
    if running; then echo "rabbitmq already up on 127.0.0.1:$port"; exit 0; fi
    setup_env
    cat > "$dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$((port - 55000))
stomp.listeners.tcp.1 = 127.0.0.1:$port
default_user = $user
default_pass = $password
loopback_users = none
log.console = false
log.file.level = warning
CONF
    echo '[{kernel, [{inet_dist_use_interface, {127,0,0,1}}]}].' > "$dir/advanced.config"
    rabbitmq-plugins enable --offline rabbitmq_stomp >/dev/null
    (cd "$dir" && setsid rabbitmq-server >>"$dir/console.log" 2>&1 < /dev/null) &
    if ! wait_for_port "$port" 60 rabbitmq "$!"; then tail -20 "$dir/console.log" >&2; exit 1; fi
    echo "rabbitmq up on stomp://127.0.0.1:$port (pid $(cat "$dir/rabbit.pid"))"
    ;;
  down|purge)
    if running; then setup_env; rabbitmqctl -n "$node" shutdown >/dev/null 2>&1 || stop_pidfile "$dir/rabbit.pid" rabbitmq; fi
    # The node started Erlang's port mapper daemon; stop it too unless another node still uses it.
    if command -v epmd >/dev/null && ! epmd -names 2>/dev/null | grep -q '^name '; then epmd -kill >/dev/null 2>&1 || true; fi
    if [ "$cmd" = purge ]; then rm -rf "$dir"; fi
    echo "rabbitmq on port $port stopped"
    ;;
  kill)
    if running; then pid=$(cat "$dir/rabbit.pid"); kill -KILL "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done; fi
    echo "rabbitmq on port $port killed"
    ;;
  status) if running; then echo "up (pid $(cat "$dir/rabbit.pid"))"; else echo "down"; exit 1; fi ;;
  *) echo "usage: $0 install|up|down|kill|purge|status [stomp-port]" >&2; exit 2 ;;
esac
