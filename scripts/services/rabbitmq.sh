#!/usr/bin/env bash
# RabbitMQ with its STOMP plugin on 127.0.0.1 (Debian package rabbitmq-server), a private node per port.
#   scripts/services/rabbitmq.sh up [stomp-port]     default 61623; user/password from PANDO_BROKER_USER/PASSWORD (the
#                                                    server's login, everything); with PANDO_BROKER_PILOT_USER/PASSWORD
#                                                    and PANDO_BROKER_DRIVER_USER/PASSWORD also the logins the server
#                                                    hands to pilots (send only) and drivers (read results only)
#   scripts/services/rabbitmq.sh down|kill|purge|status [stomp-port]
# With PANDO_BROKER_TLS_CERT and PANDO_BROKER_TLS_KEY (PEM files, e.g. made by scripts/services/ca.sh) it also
# listens for STOMP over TLS on stomp+ssl://127.0.0.1:$PANDO_RABBITMQ_SSL_PORT (default: stomp-port + 1); the plain
# listener stays.
# The AMQP and distribution ports are derived from the STOMP port so that several nodes can coexist.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
cmd=${1:-status}
port=${2:-${PANDO_RABBITMQ_PORT:-61623}}
user=${PANDO_BROKER_USER:-pando}
password=${PANDO_BROKER_PASSWORD:-pando}
prefix=${PANDO_BROKER_PREFIX:-pando}
dir="$PANDO_SERVICES_DIR/rabbitmq-$port"
node="pando$port@localhost"
tls_cert=${PANDO_BROKER_TLS_CERT:-}
tls_key=${PANDO_BROKER_TLS_KEY:-}
ssl_port=${PANDO_RABBITMQ_SSL_PORT:-$((port + 1))}

tls_enabled() { [ -n "$tls_cert" ] && [ -n "$tls_key" ]; }

# The node reads the certificate and key as the user it runs as: copies in its directory, whatever the originals' modes.
copy_tls_files() {
  tls_enabled || return 0
  [ -r "$tls_cert" ] || { echo "cannot read the broker's TLS certificate $tls_cert (PANDO_BROKER_TLS_CERT)" >&2; exit 1; }
  [ -r "$tls_key" ] || { echo "cannot read the broker's TLS key $tls_key (PANDO_BROKER_TLS_KEY)" >&2; exit 1; }
  install -m 600 "$tls_cert" "$dir/tls-cert.pem"
  install -m 600 "$tls_key" "$dir/tls-key.pem"
}

# The STOMP TLS listener's lines of rabbitmq.conf, when TLS is asked for. Clients are not asked for certificates.
tls_config() {
  tls_enabled || return 0
  cat <<CONF
stomp.listeners.ssl.1 = 127.0.0.1:$ssl_port
ssl_options.certfile = $dir/tls-cert.pem
ssl_options.keyfile = $dir/tls-key.pem
ssl_options.cacertfile = $dir/tls-cert.pem
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
CONF
}

setup_env() {
  mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
  export HOME="$dir/home" RABBITMQ_NODENAME="$node" RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" RABBITMQ_MNESIA_BASE="$dir/mnesia"
  export RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_PID_FILE="$dir/rabbit.pid" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_DIST_PORT=$((port - 30000))
  export RABBITMQ_NODE_PORT=$((port - 55000)) PATH="/usr/lib/rabbitmq/bin:$PATH"
}

# A role login: created (or its password reset) with what its role may do. STOMP's /queue/<q> is the queue <q>
# behind the default exchange (declared on use: configure on it); /topic/<t> is amq.topic with routing key <t>,
# and each subscription to it a queue stomp-subscription-… of the subscriber's own.
role_user() {
  local name=$1 pass=$2 configure=$3 write=$4 read=$5 topic_write=$6 topic_read=$7
  rabbitmqctl -n "$node" add_user "$name" "$pass" >/dev/null 2>&1 || rabbitmqctl -n "$node" change_password "$name" "$pass" >/dev/null
  rabbitmqctl -n "$node" set_permissions -p / "$name" "$configure" "$write" "$read" >/dev/null
  rabbitmqctl -n "$node" set_topic_permissions -p / "$name" amq.topic "$topic_write" "$topic_read" >/dev/null
}

role_users() {
  local p=${prefix//./\\.}
  if [ -n "${PANDO_BROKER_PILOT_USER:-}" ]; then
    role_user "$PANDO_BROKER_PILOT_USER" "${PANDO_BROKER_PILOT_PASSWORD:-}" \
      "^$p\\.reports\$" '^(amq\.default|amq\.topic)$' '^$' "^$p\\.results\\..*" '^$'
  fi
  if [ -n "${PANDO_BROKER_DRIVER_USER:-}" ]; then
    role_user "$PANDO_BROKER_DRIVER_USER" "${PANDO_BROKER_DRIVER_PASSWORD:-}" \
      '^stomp-subscription-.*' '^stomp-subscription-.*' '^(stomp-subscription-.*|amq\.topic)$' '^$' "^$p\\.results\\..*"
  fi
}

running() { [ -f "$dir/rabbit.pid" ] && kill -0 "$(cat "$dir/rabbit.pid")" 2>/dev/null; }

case "$cmd" in
  install) ensure_file /usr/lib/rabbitmq/bin/rabbitmq-server rabbitmq-server ;;
  up)
    ensure_file /usr/lib/rabbitmq/bin/rabbitmq-server rabbitmq-server
    if running; then echo "rabbitmq already up on 127.0.0.1:$port"; exit 0; fi
    setup_env
    copy_tls_files
    cat > "$dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$((port - 55000))
stomp.listeners.tcp.1 = 127.0.0.1:$port
default_user = $user
default_pass = $password
loopback_users = none
log.console = false
log.file.level = warning
$(tls_config)
CONF
    echo '[{kernel, [{inet_dist_use_interface, {127,0,0,1}}]}].' > "$dir/advanced.config"
    rabbitmq-plugins enable --offline rabbitmq_stomp >/dev/null
    (cd "$dir" && setsid rabbitmq-server >>"$dir/console.log" 2>&1 < /dev/null) &
    server_pid=$!
    if ! wait_for_port "$port" 60 rabbitmq "$server_pid"; then tail -20 "$dir/console.log" >&2; exit 1; fi
    if tls_enabled && ! wait_for_port "$ssl_port" 30 rabbitmq "$server_pid"; then tail -20 "$dir/console.log" >&2; exit 1; fi
    role_users
    echo "rabbitmq up on stomp://127.0.0.1:$port$(tls_enabled && echo " and stomp+ssl://127.0.0.1:$ssl_port") (pid $(cat "$dir/rabbit.pid"))"
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
