# Shared helpers of the service scripts: sourced, not run.

# Where services keep their data, logs and pid files (relative to the repository unless set).
PANDO_SERVICES_DIR=${PANDO_SERVICES_DIR:-"$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.pando/services"}

# Installs Debian packages if the given command is missing.
ensure_package() { # command package...
  local cmd=$1; shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  apt_install "$@"
}

# Installs Debian packages if the given file is missing.
ensure_file() { # path package...
  local path=$1; shift
  [ -e "$path" ] && return 0
  apt_install "$@"
}

apt_install() { # package...
  echo "installing $* (Debian packages)" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >/dev/null 2>&1 \
    || { $sudo apt-get update >/dev/null 2>&1 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >/dev/null; } \
    || { echo "could not install $* with apt-get; install it and try again" >&2; return 1; }
}

# Waits until a TCP port (on 127.0.0.1, or the given host) accepts connections; gives up early if the given
# process died.
wait_for_port() { # port seconds what [pid] [host]
  local port=$1 seconds=$2 what=$3 pid=${4:-} host=${5:-127.0.0.1} i=0
  until (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; do
    i=$((i + 1))
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then echo "$what exited before it opened port $port" >&2; return 1; fi
    if [ "$i" -gt $((seconds * 20)) ]; then echo "$what did not open port $port within ${seconds}s" >&2; return 1; fi
    sleep 0.05
  done
}

# Stops the process in a pid file and waits for it to exit.
stop_pidfile() { # pidfile what
  local pidfile=$1 what=$2 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$pid" 2>/dev/null && { echo "$what ($pid) did not stop; killing it" >&2; kill -KILL "$pid"; }
  fi
  rm -f "$pidfile"
}

# The slurm.conf lines every Slurm of the scripts shares (slurm.sh's single node, slurm-cluster.sh's test
# network): no cgroups, accounting or MPI (none works in this sandbox, see slurm.sh), and a scheduler that
# starts short batch jobs at once rather than every few seconds.
slurm_common_settings() {
  cat <<'CONF'
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,sched_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
InactiveLimit=0
KillWait=5
MinJobAge=300
Waittime=0
CONF
}
