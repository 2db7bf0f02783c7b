#!/usr/bin/env bash
# scripts/slurm-sweep.sh on a real, single-node Slurm cluster started in a
# temporary directory (munged, slurmctld and slurmd from Debian's packages,
# private sockets, ports and spool directories; nothing of the machine's own
# configuration is read or changed). A job array of 4 shards is submitted
# with sbatch, the shards are merged with `dsim merge`, and the merged
# summary must equal an unsharded sweep's. Where the daemons cannot start
# (not installed, no root, a container without the needed privileges) the
# test says why and exits 77, which CTest reports as skipped.
# Usage: slurm_test.sh PATH/TO/dsim SOURCE_DIR
set -u
. "$(dirname "$0")/lib.sh"
SRC=$(pwd)  # lib.sh has changed to the source root; jobs run elsewhere

skip() { echo "SKIPPED: $*" >&2; exit 77; }
for cmd in munged slurmctld slurmd sbatch squeue scontrol; do
  command -v "$cmd" >/dev/null || PATH=$PATH:/usr/sbin command -v "$cmd" >/dev/null ||
    skip "$cmd is not installed (Debian packages: munge slurmctld slurmd slurm-client)"
done
PATH=$PATH:/usr/sbin
[ "$(id -u)" -eq 0 ] || skip "a private slurmd must run as root to start jobs as the submitting user"

CL=$WORK/cluster
mkdir -p "$CL"/{munge,state,spool,log,run} && chmod 700 "$CL/munge"
HOST=$(hostname -s)
# Free ports: the kernel picks them (bind to port 0), so two runs never collide.
read -r CTLD_PORT SLURMD_PORT < <(python3 - <<'EOF'
import socket
s1, s2 = socket.socket(), socket.socket()
s1.bind(("127.0.0.1", 0)); s2.bind(("127.0.0.1", 0))
print(s1.getsockname()[1], s2.getsockname()[1])
EOF
) || skip "could not pick free ports"

cleanup_cluster() {
  for p in "$CL"/run/*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null; done
  sleep 0.5
  for p in "$CL"/run/*.pid; do [ -f "$p" ] && kill -KILL "$(cat "$p")" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup_cluster EXIT

# --- munge, with a fresh key and its own socket ------------------------------
dd if=/dev/urandom of="$CL/munge/munge.key" bs=1024 count=1 status=none && chmod 400 "$CL/munge/munge.key"
munged --force --socket="$CL/munge/sock" --key-file="$CL/munge/munge.key" \
  --pid-file="$CL/run/munged.pid" --log-file="$CL/log/munged.log" --seed-file="$CL/munge/seed" \
  2>"$CL/log/munged.err" || skip "munged did not start: $(tail -1 "$CL/log/munged.err")"

CPUS=$(nproc)
cat >"$CL/slurm.conf" <<EOF
ClusterName=dsimtest
SlurmctldHost=$HOST
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$CL/munge/sock
CredType=cred/munge
StateSaveLocation=$CL/state
SlurmdSpoolDir=$CL/spool
SlurmctldPidFile=$CL/run/slurmctld.pid
SlurmdPidFile=$CL/run/slurmd.pid
SlurmctldLogFile=$CL/log/slurmctld.log
SlurmdLogFile=$CL/log/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$HOST CPUs=$CPUS State=UNKNOWN
PartitionName=dsim Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$CL/slurm.conf
slurmctld -f "$SLURM_CONF" -i 2>"$CL/log/slurmctld.err" ||
  skip "slurmctld did not start: $(tail -2 "$CL/log/slurmctld.err" "$CL/log/slurmctld.log" 2>/dev/null | tr '\n' ' ')"
slurmd -f "$SLURM_CONF" 2>"$CL/log/slurmd.err" ||
  skip "slurmd did not start: $(tail -2 "$CL/log/slurmd.err" "$CL/log/slurmd.log" 2>/dev/null | tr '\n' ' ')"
ready=0
for _ in $(seq 1 100); do  # the node registers within a few seconds
  state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1)
  case $state in idle*|mixed*|allocated*) ready=1; break ;; esac
  sleep 0.2
done
[ $ready -eq 1 ] || skip "the Slurm node did not become idle (state '${state:-none}'): $(tail -3 "$CL/log/slurmd.log" 2>/dev/null | tr '\n' ' ')"

# --- The sweep: 4 array tasks of scripts/slurm-sweep.sh, then merge -----------
CHURN=$SRC/scenarios/regression/raft-churn.yaml
BUG=$SRC/scenarios/bugs/raft-skip-prev-check.yaml
SEEDS=1..40
JOBDIR=$WORK/job
mkdir -p "$JOBDIR/out" && cd "$JOBDIR" || exit 1  # the job log is opened before the script runs
jobid=$(DSIM="$DSIM" sbatch --parsable --array=0-3 --cpus-per-task=1 "$SRC/scripts/slurm-sweep.sh" \
  "$CHURN" "$BUG" --seeds $SEEDS 2>"$WORK/sbatch.err")
[ -n "$jobid" ] && pass || { fail "sbatch failed: $(cat "$WORK/sbatch.err")"; finish; exit; }
done_ok=0
for _ in $(seq 1 600); do  # at most ~2 minutes
  [ -z "$(squeue -h -j "$jobid" 2>/dev/null)" ] && { done_ok=1; break; }
  sleep 0.2
done
[ $done_ok -eq 1 ] && pass || fail "the job array did not finish: $(squeue -h -j "$jobid")"
ls out/shard-*.jsonl >/dev/null 2>&1 && [ "$(ls out/shard-*.jsonl | wc -l)" -eq 4 ] && pass ||
  { fail "want 4 shard result files, have: $(ls out 2>&1)"; cat out/slurm-*.log >&2 2>/dev/null; }
total=$(cat out/shard-*.jsonl 2>/dev/null | wc -l)
[ "$total" -eq 80 ] && pass || fail "the shards ran $total runs, want 80 (2 scenarios x 40 seeds, each once)"

"$DSIM" merge out/shard-*.jsonl --junit out/junit.xml 2>"$WORK/m-slurm.err"
[ $? -eq 1 ] && pass || fail "merge of the shards should exit 1 (the planted bug has unexpected seeds)"
"$DSIM" sweep "$CHURN" "$BUG" --seeds $SEEDS -j 2 --progress never --results "$WORK/full.jsonl" 2>/dev/null
"$DSIM" merge "$WORK/full.jsonl" 2>"$WORK/m-full.err"
cmp -s "$WORK/m-full.err" "$WORK/m-slurm.err" && pass ||
  { fail "the merged Slurm summary differs from the unsharded sweep's"; diff "$WORK/m-full.err" "$WORK/m-slurm.err" >&2; }
command -v xmllint >/dev/null && { xmllint --noout out/junit.xml && pass || fail "merged JUnit invalid"; }
finish
