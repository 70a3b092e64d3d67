#!/usr/bin/env bash
# A multi-node Slurm cluster whose controller and compute nodes are hosts of a test network: each runs in a
# network namespace of its own (made beforehand, e.g. by test/helpers/netns.ts) with its own address and
# node name. Debian slurm-wlm; runs as root; no systemd needed.
#   PANDO_SLURM_CONTROLLER="198.18.0.4:NETNS" PANDO_SLURM_NODES="n1:198.18.0.5:NETNS1 n2:198.18.0.6:NETNS2" \
#     scripts/services/slurm-cluster.sh up
#   scripts/services/slurm-cluster.sh down      cancels the jobs left in it (and waits for them), then stops it
#   scripts/services/slurm-cluster.sh env       SLURM_CONF to give sbatch/squeue; run them in a namespace that
#                                               reaches the controller's address (nsenter --net=/run/netns/…)
# State, logs, slurm.conf and a munged of its own (its socket a file, shared by every namespace) live in
# PANDO_SLURM_CLUSTER_DIR (default $PANDO_SERVICES_DIR/slurm-cluster), so this cluster and the single-node one
# of slurm.sh never share a daemon. Slurm's default ports (6817, 6818) are those of each namespace, so they do
# not collide with a Slurm on the machine's own addresses, and the daemons may bind the wildcard address: the
# namespace is the isolation (slurm.sh's loopback shim is not needed here).
# Each node has this machine's CPUs (nproc) and 2000 MB of memory, in partition debug (no time limit). The
# controller's Slurm name is the machine's host name (namespaces share it, and slurmctld insists on it); the
# nodes' names are their own (slurmd -N).
# Namespaces are entered with nsenter --net only: `ip netns exec` remounts /sys, which hides /sys/fs/cgroup
# from slurmd and stops it.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
cmd=${1:-status}
dir=${PANDO_SLURM_CLUSTER_DIR:-"$PANDO_SERVICES_DIR/slurm-cluster"}
conf="$dir/slurm.conf"
munge_dir="$dir/munge"

in_ns() { # netns command...
  local ns=$1; shift
  nsenter --net="/run/netns/$ns" "$@"
}

# Fields of "name:address:netns".
field() { echo "$1" | cut -d: -f"$2"; }

start_munge() {
  [ -s /etc/munge/munge.key ] || runuser -u munge -- /usr/sbin/mungekey --create
  mkdir -p "$munge_dir"
  chown munge:munge "$munge_dir"
  chmod 0755 "$munge_dir"
  runuser -u munge -- /usr/sbin/munged --socket="$munge_dir/munge.socket" --pid-file="$munge_dir/munged.pid" \
    --seed-file="$munge_dir/munged.seed" --log-file="$munge_dir/munged.log" \
    || { echo "munged did not start; see $munge_dir/munged.log" >&2; exit 1; }
}

write_conf() {
  local cpus ctl node names=""
  cpus=$(nproc)
  ctl=$PANDO_SLURM_CONTROLLER
  mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/run"
  {
    cat <<CONF
ClusterName=pandonet
SlurmctldHost=$(hostname -s)($(field "$ctl" 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge_dir/munge.socket
$(slurm_common_settings)
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd-%n.pid
SlurmdSpoolDir=$dir/spool/%n
StateSaveLocation=$dir/state
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd-%n.log
CONF
    for node in $PANDO_SLURM_NODES; do
      echo "NodeName=$(field "$node" 1) NodeAddr=$(field "$node" 2) CPUs=$cpus RealMemory=2000 State=UNKNOWN"
      names="${names:+$names,}$(field "$node" 1)"
    done
    echo "PartitionName=debug Nodes=$names Default=YES MaxTime=INFINITE State=UP"
  } > "$conf"
}

running() { [ -f "$dir/run/slurmctld.pid" ] && kill -0 "$(cat "$dir/run/slurmctld.pid")" 2>/dev/null; }

# Slurm's client commands, run in the controller's namespace (the only place its address is reached from).
client() { in_ns "$(field "$PANDO_SLURM_CONTROLLER" 2)" timeout 10 "$@"; }

case "$cmd" in
  install) ensure_package slurmctld slurm-wlm ;;
  up)
    : "${PANDO_SLURM_CONTROLLER:?set PANDO_SLURM_CONTROLLER=address:netns}"
    : "${PANDO_SLURM_NODES:?set PANDO_SLURM_NODES to \"name:address:netns …\", one per compute node}"
    ensure_package slurmctld slurm-wlm
    if running; then echo "slurm cluster already up ($conf)"; exit 0; fi
    mkdir -p "$dir"
    write_conf
    start_munge
    export SLURM_CONF="$conf"
    in_ns "$(field "$PANDO_SLURM_CONTROLLER" 2)" /usr/sbin/slurmctld -i
    for node in $PANDO_SLURM_NODES; do
      mkdir -p "$dir/spool/$(field "$node" 1)"
      in_ns "$(field "$node" 3)" /usr/sbin/slurmd -N "$(field "$node" 1)"
    done
    want=$(echo $PANDO_SLURM_NODES | wc -w)
    deadline=$((SECONDS + 30))
    until [ "$(client sinfo -h -N -o %T 2>/dev/null | grep -c '^idle')" -eq "$want" ]; do
      running || { echo "slurmctld exited; see $dir/log/slurmctld.log" >&2; exit 1; }
      if [ "$SECONDS" -gt "$deadline" ]; then echo "the $want nodes did not all become idle within 30s; see $dir/log" >&2; exit 1; fi
      sleep 0.1
    done
    echo "slurm cluster up: SLURM_CONF=$conf"
    ;;
  down)
    if [ -f "$conf" ]; then
      export SLURM_CONF="$conf"
      # A batch step still running when slurmd stops keeps its slurmstepd alive for good: jobs are cancelled,
      # and waited for, before the daemons go.
      if running && [ -n "${PANDO_SLURM_CONTROLLER:-}" ]; then
        jobs=$(client squeue -h -o %i 2>/dev/null || true)
        if [ -n "$jobs" ]; then
          # shellcheck disable=SC2086
          client scancel $jobs || true
          for _ in $(seq 1 300); do
            [ -z "$(client squeue -h -o %i 2>/dev/null)" ] && break
            sleep 0.1
          done
        fi
        client scontrol shutdown >/dev/null 2>&1 || true
      fi
      for pidfile in "$dir"/run/*.pid; do stop_pidfile "$pidfile" "$(basename "$pidfile" .pid)"; done
    fi
    stop_pidfile "$munge_dir/munged.pid" munged
    rm -rf "$dir/state" "$dir/spool" "$dir/run"
    echo "slurm cluster stopped"
    ;;
  status) if running; then echo "up ($conf)"; else echo "down"; exit 1; fi ;;
  env) echo "export SLURM_CONF=$conf" ;;
  *) echo "usage: $0 install|up|down|status|env" >&2; exit 2 ;;
esac
