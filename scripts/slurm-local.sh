#!/usr/bin/env bash
# Start (or stop) a single-node Slurm cluster on this machine for tests and demos:
# munged, slurmctld and slurmd with a generated slurm.conf under $DIR (default /tmp/crossbar-slurm).
# Needs Debian's slurm-wlm and munge, and root (slurmd runs jobs as their user).
#   scripts/slurm-local.sh start   -> prints `export SLURM_CONF=...` ; waits until the node is idle
#   scripts/slurm-local.sh stop
set -euo pipefail
CMD="${1:-start}"
DIR="${CROSSBAR_SLURM_DIR:-/tmp/crossbar-slurm}"
CONF="$DIR/slurm.conf"

# kill a daemon by its pid file and wait (up to 5 s) until it is gone
kill_pidfile() {
  [ -f "$1" ] || return 0
  local pid; pid="$(cat "$1")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$1"
}

# everything this script started: slurmd, slurmctld, and munged when it was not already running
stop() {
  kill_pidfile "$DIR/slurmd.pid"
  kill_pidfile "$DIR/slurmctld.pid"
  if [ -f "$DIR/munged.ours" ]; then kill_pidfile /run/munge/munged.pid; rm -f "$DIR/munged.ours"; fi
}

if [ "$CMD" = "stop" ]; then stop; exit 0; fi
if [ "$CMD" != "start" ]; then echo "usage: $0 start|stop" >&2; exit 2; fi
for b in munged slurmctld slurmd sinfo; do
  command -v "$b" >/dev/null || { echo "slurm-local: '$b' not found: install Debian's slurm-wlm and munge" >&2; exit 1; }
done
[ "$(id -u)" = "0" ] || { echo "slurm-local: run as root (slurmd must be able to start jobs)" >&2; exit 1; }

stop
# daemons of another local cluster would hold the same ports
if pgrep -x slurmctld >/dev/null || pgrep -x slurmd >/dev/null; then
  echo "slurm-local: stopping running slurmctld/slurmd (they would hold ports 6817/6818)" >&2
  pkill -x slurmd || true; pkill -x slurmctld || true; sleep 0.5
fi
mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log"
# munge: the Debian package creates /etc/munge/munge.key; start the daemon if no socket answers
mkdir -p /run/munge && chown munge:munge /run/munge 2>/dev/null || true
if ! munge -n >/dev/null 2>&1; then
  if id munge >/dev/null 2>&1; then su -s /bin/sh munge -c "munged" || munged --force; else munged --force; fi
  touch "$DIR/munged.ours"  # started here, so stopped here
  for _ in $(seq 50); do munge -n >/dev/null 2>&1 && break; sleep 0.1; done
fi
munge -n | unmunge >/dev/null || { echo "slurm-local: munge does not work" >&2; exit 1; }

HOST="$(hostname -s)"
NODE="$(slurmd -C | head -1)"   # NodeName=<host> CPUs=... RealMemory=...
cat > "$CONF" <<CONF
ClusterName=crossbar-local
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
MailProg=/bin/true
JobAcctGatherType=jobacct_gather/none
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
$NODE State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$CONF"
slurmctld -c -f "$CONF" || { tail -n 20 "$DIR/log/slurmctld.log" >&2; exit 1; }
slurmd -f "$CONF"
for _ in $(seq 60); do
  if timeout 3 sinfo -h -o "%T" 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; then
    echo "export SLURM_CONF=$CONF"
    exit 0
  fi
  sleep 0.2
done
echo "slurm-local: node did not become idle; logs in $DIR/log" >&2
sinfo >&2 || true
tail -n 20 "$DIR/log/"*.log >&2 || true
exit 1
