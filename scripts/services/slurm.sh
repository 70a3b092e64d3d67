#!/usr/bin/env bash
# A single-node Slurm cluster on 127.0.0.1 for the tests and a first try: install (Debian slurm-wlm), up,
# down, status, env. Runs as root (SlurmUser=root); no systemd needed.
#   scripts/services/slurm.sh up          then: eval "$(scripts/services/slurm.sh env)"
#   scripts/services/slurm.sh down        cancels the jobs left in it (and waits for them), then stops it
# Its one node has this machine's CPUs (nproc) and 2000 MB of memory, in partition debug (no time limit): a
# queue's pilot asks for cores × slotsPerPilot CPUs and memory.max × slotsPerPilot of memory, and must fit.
# Ports: slurmctld listens on PANDO_SLURMCTLD_PORT (default 6817), slurmd on PANDO_SLURMD_PORT (default 6818);
# set them (for up, and the same for down) when a Slurm of the machine already uses those. State, logs and
# slurm.conf under $PANDO_SERVICES_DIR/slurm (default .pando/services/slurm in the checkout).
# Slurm 22.05 binds its sockets to the wildcard address whatever it is told; a small LD_PRELOAD shim
# (compiled here, once) rewrites those binds to loopback, so nothing listens beyond 127.0.0.1.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
cmd=${1:-status}
dir="$PANDO_SERVICES_DIR/slurm"
conf="$dir/slurm.conf"

start_munge() {
  mkdir -p /run/munge && chown munge:munge /run/munge && chmod 0755 /run/munge
  if [ -S /run/munge/munge.socket.2 ] && munge -n >/dev/null 2>&1; then return 0; fi
  [ -s /etc/munge/munge.key ] || runuser -u munge -- /usr/sbin/mungekey --create
  runuser -u munge -- /usr/sbin/munged
  # Ours to stop: munged was not running before.
  cp /run/munge/munged.pid "$dir/munged.pid"
}

write_conf() {
  local host cpus
  host=$(hostname -s)
  cpus=$(nproc)
  mkdir -p "$dir/state" "$dir/spool" "$dir/log"
  cat > "$conf" <<CONF
ClusterName=pando
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${PANDO_SLURMCTLD_PORT:-6817}
SlurmdPort=${PANDO_SLURMD_PORT:-6818}
AuthType=auth/munge
CredType=cred/munge
$(slurm_common_settings)
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmdSpoolDir=$dir/spool
StateSaveLocation=$dir/state
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
}

build_shim() {
  [ -f "$dir/bindlo.so" ] && return 0
  ensure_package gcc gcc libc6-dev
  cat > "$dir/bindlo.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
/* Binds to the wildcard address go to loopback instead. */
int bind(int fd, const struct sockaddr *addr, socklen_t len) {
  static int (*real_bind)(int, const struct sockaddr *, socklen_t);
  if (!real_bind) real_bind = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
  if (addr && addr->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
    struct sockaddr_in a; memcpy(&a, addr, sizeof a);
    if (a.sin_addr.s_addr == htonl(INADDR_ANY)) { a.sin_addr.s_addr = htonl(INADDR_LOOPBACK); return real_bind(fd, (struct sockaddr *)&a, sizeof a); }
  } else if (addr && addr->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
    struct sockaddr_in6 a; memcpy(&a, addr, sizeof a);
    if (!memcmp(&a.sin6_addr, &in6addr_any, sizeof a.sin6_addr)) { a.sin6_addr = in6addr_loopback; return real_bind(fd, (struct sockaddr *)&a, sizeof a); }
  }
  return real_bind(fd, addr, len);
}
C
  gcc -shared -fPIC -O2 -o "$dir/bindlo.so" "$dir/bindlo.c" -ldl
}

running() { [ -f "$dir/slurmctld.pid" ] && kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null; }

case "$cmd" in
  install) ensure_package slurmctld slurm-wlm ;;
  up)
    ensure_package slurmctld slurm-wlm
    mkdir -p "$dir"
    if running; then echo "slurm already up ($conf)"; exit 0; fi
    write_conf
    build_shim
    start_munge
    export SLURM_CONF="$conf"
    LD_PRELOAD="$dir/bindlo.so" /usr/sbin/slurmctld -i
    LD_PRELOAD="$dir/bindlo.so" /usr/sbin/slurmd
    i=0
    until timeout 3 sinfo -h -o %T 2>/dev/null | grep -q '^idle'; do
      i=$((i + 1))
      if [ "$i" -gt 300 ]; then echo "slurm did not become idle within 30s; see $dir/log" >&2; exit 1; fi
      sleep 0.1
    done
    echo "slurm up: SLURM_CONF=$conf"
    ;;
  down)
    if [ -f "$conf" ]; then
      export SLURM_CONF="$conf"
      # A batch step still running when slurmd stops keeps its slurmstepd alive for good, waiting for a
      # daemon to report to: jobs are cancelled, and waited for, before the daemons go.
      if running; then
        jobs=$(timeout 10 squeue -h -o %i 2>/dev/null || true)
        if [ -n "$jobs" ]; then
          echo "cancelling jobs left in slurm: $(echo $jobs)"
          # shellcheck disable=SC2086
          timeout 10 scancel $jobs || true
          for _ in $(seq 1 300); do
            [ -z "$(timeout 3 squeue -h -o %i 2>/dev/null)" ] && break
            sleep 0.1
          done
        fi
      fi
      timeout 10 scontrol shutdown >/dev/null 2>&1 || true
      for f in slurmctld.pid slurmd.pid; do stop_pidfile "$dir/$f" "${f%.pid}"; done
    fi
    stop_pidfile "$dir/munged.pid" munged
    rm -rf "$dir/state" "$dir/spool"
    echo "slurm stopped"
    ;;
  status) if running; then echo "up ($conf)"; else echo "down"; exit 1; fi ;;
  env) echo "export SLURM_CONF=$conf" ;;
  *) echo "usage: $0 install|up|down|status|env" >&2; exit 2 ;;
esac
