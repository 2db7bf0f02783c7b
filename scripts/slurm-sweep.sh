#!/usr/bin/env bash
# A Slurm job array: one shard per array task, then a merge job.
#
#   mkdir -p out   # Slurm opens the job logs there before the script runs
#   sbatch --array=0-15 scripts/slurm-sweep.sh scenarios/regression/raft-churn.yaml --seeds 1..100000
#   # when the array is done (e.g. sbatch --dependency=afterany:<jobid>):
#   build/dsim merge out/shard-*.jsonl --junit out/junit.xml
#
# SLURM_ARRAY_TASK_ID is the shard index and SLURM_ARRAY_TASK_COUNT the
# shard count, so the tasks cover the seed range exactly once. Each shard
# keeps its results in a file of its own and resumes it if the task is
# requeued after a preemption. DSIM names the dsim binary (default
# build/dsim, relative to the submission directory).
#SBATCH --job-name=dsim-sweep
#SBATCH --cpus-per-task=2
#SBATCH --time=01:00:00
#SBATCH --output=out/slurm-%A_%a.log
set -euo pipefail
: "${SLURM_ARRAY_TASK_ID:?run this with sbatch --array}"
: "${SLURM_ARRAY_TASK_COUNT:?run this with sbatch --array}"
mkdir -p out
exec "${DSIM:-build/dsim}" sweep "$@" --jobs "${SLURM_CPUS_PER_TASK:-1}" --quiet \
  --shard "${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT}" \
  --results "out/shard-${SLURM_ARRAY_TASK_ID}.jsonl" --resume
