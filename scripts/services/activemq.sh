#!/usr/bin/env bash
# ActiveMQ on 127.0.0.1 with a STOMP connector (Debian package activemq, JVM started directly so its PID is ours).
#   scripts/services/activemq.sh install
#   scripts/services/activemq.sh up [port]      default 61613; user/password from PANDO_BROKER_USER/PASSWORD (the
#                                               server's login, everything); with PANDO_BROKER_PILOT_USER/PASSWORD and
#                                               PANDO_BROKER_DRIVER_USER/PASSWORD also the logins the server hands to
#                                               pilots (send reports and results only) and drivers (read results only)
#   scripts/services/activemq.sh down [port]    clean stop (SIGTERM), data kept
#   scripts/services/activemq.sh kill [port]    SIGKILL (a crash), data kept
#   scripts/services/activemq.sh purge [port]   stop and delete its data
#   scripts/services/activemq.sh status [port]
# With PANDO_BROKER_TLS_CERT and PANDO_BROKER_TLS_KEY (PEM files, e.g. made by scripts/services/ca.sh) it also
# listens for STOMP over TLS on stomp+ssl://127.0.0.1:$PANDO_ACTIVEMQ_SSL_PORT (default: port + 1), with a PKCS12
# keystore built from them; the plain connector stays.
# Persistent messages live in KahaDB under the service directory and survive a restart.
# A second broker (e.g. inside a test network's namespace) takes PANDO_ACTIVEMQ_HOST (the address it listens
# on, default 127.0.0.1) and PANDO_ACTIVEMQ_DIR (its configuration and data, default as above); give the same
# ones to the other commands.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
cmd=${1:-status}
port=${2:-${PANDO_ACTIVEMQ_PORT:-61613}}
user=${PANDO_BROKER_USER:-pando}
password=${PANDO_BROKER_PASSWORD:-pando}
prefix=${PANDO_BROKER_PREFIX:-pando}
host=${PANDO_ACTIVEMQ_HOST:-127.0.0.1}
dir=${PANDO_ACTIVEMQ_DIR:-"$PANDO_SERVICES_DIR/activemq-$port"}
pidfile="$dir/java.pid"
tls_cert=${PANDO_BROKER_TLS_CERT:-}
tls_key=${PANDO_BROKER_TLS_KEY:-}
ssl_port=${PANDO_ACTIVEMQ_SSL_PORT:-$((port + 1))}
# The keystore's password guards a file of the service directory only: the key's protection is the directory's.
keystore_password=pando-keystore

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

# The role logins, when given: one authenticationUser line each.
role_users() {
  if [ -n "${PANDO_BROKER_PILOT_USER:-}" ]; then
    echo "<authenticationUser username=\"$PANDO_BROKER_PILOT_USER\" password=\"${PANDO_BROKER_PILOT_PASSWORD:-}\" groups=\"pilots\"/>"
  fi
  if [ -n "${PANDO_BROKER_DRIVER_USER:-}" ]; then
    echo "<authenticationUser username=\"$PANDO_BROKER_DRIVER_USER\" password=\"${PANDO_BROKER_DRIVER_PASSWORD:-}\" groups=\"drivers\"/>"
  fi
}

# The ssl STOMP connector and its keystore (PKCS12, built from the PEM certificate and key), when TLS is asked for.
tls_enabled() { [ -n "$tls_cert" ] && [ -n "$tls_key" ]; }

build_keystore() {
  ensure_package openssl openssl
  [ -r "$tls_cert" ] || { echo "cannot read the broker's TLS certificate $tls_cert (PANDO_BROKER_TLS_CERT)" >&2; exit 1; }
  [ -r "$tls_key" ] || { echo "cannot read the broker's TLS key $tls_key (PANDO_BROKER_TLS_KEY)" >&2; exit 1; }
  (umask 077; openssl pkcs12 -export -in "$tls_cert" -inkey "$tls_key" -name pando -out "$dir/conf/broker.p12" \
    -passout "pass:$keystore_password") || { echo "cannot build a keystore from $tls_cert and $tls_key" >&2; exit 1; }
}

ssl_context() {
  tls_enabled || return 0
  echo "<sslContext><sslContext keyStore=\"file:$dir/conf/broker.p12\" keyStoreType=\"PKCS12\" keyStorePassword=\"$keystore_password\"/></sslContext>"
}

ssl_connector() {
  tls_enabled || return 0
  echo "<transportConnector name=\"stomp+ssl\" uri=\"stomp+ssl://$host:$ssl_port?transport.closeAsync=false&amp;transport.tcpNoDelay=true&amp;wireFormat.maxFrameSize=268435456\"/>"
}

write_config() {
  mkdir -p "$dir/conf" "$dir/data" "$dir/tmp"
  if tls_enabled; then build_keystore; fi
  cat > "$dir/conf/activemq.xml" <<XML
<beans xmlns="http://www.springframework.org/schema/beans" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-2.0.xsd
  http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <bean class="org.springframework.beans.factory.config.PropertyPlaceholderConfigurer"/>
  <broker xmlns="http://activemq.apache.org/schema/core" useJmx="false" brokerName="pando-$port"
          dataDirectory="\${activemq.data}" schedulerSupport="false" advisorySupport="false"
          schedulePeriodForDestinationPurge="10000">
    <destinationPolicy>
      <policyMap><policyEntries>
        <!-- Result topics are one per task: collect them once nobody listens. -->
        <policyEntry topic="&gt;" gcInactiveDestinations="true" inactiveTimoutBeforeGC="30000"/>
      </policyEntries></policyMap>
    </destinationPolicy>
    $(ssl_context)
    <plugins>
      <simpleAuthenticationPlugin anonymousAccessAllowed="false">
        <users><authenticationUser username="$user" password="$password" groups="servers"/>$(role_users)</users>
      </simpleAuthenticationPlugin>
      <!-- The server's login may do anything; pilots only send (reports, results), drivers only read results.
           Creating a destination takes admin: whoever may be first on a result topic has it there. -->
      <authorizationPlugin><map><authorizationMap><authorizationEntries>
        <authorizationEntry queue="&gt;" read="servers" write="servers" admin="servers"/>
        <authorizationEntry topic="&gt;" read="servers" write="servers" admin="servers"/>
        <authorizationEntry queue="$prefix.reports" read="servers" write="servers,pilots" admin="servers,pilots"/>
        <authorizationEntry topic="$prefix.results.&gt;" read="servers,drivers" write="servers,pilots" admin="servers,pilots,drivers"/>
      </authorizationEntries></authorizationMap></map></authorizationPlugin>
    </plugins>
    <systemUsage><systemUsage>
      <memoryUsage><memoryUsage limit="128 mb"/></memoryUsage>
      <storeUsage><storeUsage limit="2 gb"/></storeUsage>
      <tempUsage><tempUsage limit="1 gb"/></tempUsage>
    </systemUsage></systemUsage>
    <!-- Journal synced to disk every second (like Redis appendfsync everysec): a crashed broker process
         loses nothing; a power cut may lose the last second. -->
    <persistenceAdapter><kahaDB directory="\${activemq.data}/kahadb" journalDiskSyncStrategy="periodic" journalDiskSyncInterval="1000"/></persistenceAdapter>
    <transportConnectors>
      <transportConnector name="stomp" uri="stomp://$host:$port?transport.closeAsync=false&amp;transport.tcpNoDelay=true&amp;wireFormat.maxFrameSize=268435456"/>
      $(ssl_connector)
    </transportConnectors>
  </broker>
</beans>
XML
  cat > "$dir/conf/log4j.properties" <<'PROPS'
log4j.rootLogger=WARN, stdout
log4j.logger.org.apache.activemq=INFO
log4j.logger.org.springframework=WARN
log4j.logger.org.apache.xbean=WARN
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=%d{ISO8601} %-5p %m%n
PROPS
}

case "$cmd" in
  install) ensure_file /usr/share/activemq/bin/activemq.jar activemq ;;
  up)
    ensure_file /usr/share/activemq/bin/activemq.jar activemq
    if running; then echo "activemq already up on $host:$port"; exit 0; fi
    write_config
    # shellcheck disable=SC2086 # extra JVM options are words on purpose
    setsid java -Xms64m -Xmx256m ${PANDO_ACTIVEMQ_JAVA_OPTS:-} -Djava.awt.headless=true -Djava.io.tmpdir="$dir/tmp" \
      --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED \
      --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED \
      -Dlog4j.configuration="file:$dir/conf/log4j.properties" \
      -Dactivemq.classpath="$dir/conf:" -Dactivemq.home=/usr/share/activemq -Dactivemq.base="$dir" \
      -Dactivemq.conf="$dir/conf" -Dactivemq.data="$dir/data" \
      -jar /usr/share/activemq/bin/activemq.jar start "xbean:file:$dir/conf/activemq.xml" \
      >>"$dir/console.log" 2>&1 < /dev/null &
    echo $! > "$pidfile"
    if ! wait_for_port "$port" 60 activemq "$(cat "$pidfile")" "$host"; then tail -20 "$dir/console.log" >&2; exit 1; fi
    if tls_enabled; then
      if ! wait_for_port "$ssl_port" 30 activemq "$(cat "$pidfile")" "$host"; then tail -20 "$dir/console.log" >&2; exit 1; fi
      echo "activemq up on stomp://$host:$port and stomp+ssl://$host:$ssl_port (pid $(cat "$pidfile"))"
    else
      echo "activemq up on stomp://$host:$port (pid $(cat "$pidfile"))"
    fi
    ;;
  down) stop_pidfile "$pidfile" activemq; echo "activemq on port $port stopped" ;;
  kill)
    if running; then pid=$(cat "$pidfile"); kill -KILL "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done; fi
    rm -f "$pidfile"; echo "activemq on port $port killed"
    ;;
  purge) stop_pidfile "$pidfile" activemq; rm -rf "$dir"; echo "activemq on port $port stopped and its data deleted" ;;
  status) if running; then echo "up (pid $(cat "$pidfile"))"; else echo "down"; exit 1; fi ;;
  *) echo "usage: $0 install|up|down|kill|purge|status [port]" >&2; exit 2 ;;
esac
