#!/bin/bash
# Submit the sweep to the university cluster and fetch the logs afterwards.
set -euo pipefail
CLUSTER=login.hpc.example.edu
ssh -o BatchMode=yes "$USER@$CLUSTER" "mkdir -p ~/sweeps/$(date +%F)"
scp sweep.yaml train.py "$USER@$CLUSTER:~/sweeps/"
ssh "$USER@$CLUSTER" "cd ~/sweeps && sbatch --array=0-15 run_sweep.sbatch"
ssh -L 8265:localhost:8265 "$USER@$CLUSTER" -N -f
rsync -az "$USER@$CLUSTER:~/sweeps/logs/" logs/
