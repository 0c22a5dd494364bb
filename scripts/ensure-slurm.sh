#!/usr/bin/env bash
# Install SLURM (slurmctld, slurmd, sbatch) and munge from Debian packages, when missing, so the sweep test
# can start a real single-node SLURM cluster in a temp folder (tests/slurm.py; ~10 s to install, seconds to
# start). Installs only: no daemon is started or enabled here. Idempotent; needs root (or sudo).
set -euo pipefail
if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null \
    && command -v munged >/dev/null; then
    echo "slurm present: $(sbatch --version 2>/dev/null || echo unknown version)"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "ensure-slurm: not root and no sudo; install slurm-wlm yourself" >&2; exit 1; }
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
sbatch --version
