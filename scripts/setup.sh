#!/usr/bin/env bash
# Set up rlvrlab in ./.venv (idempotent): a virtual env, torch, then the package with pinned dependencies.
#
# Torch: a plain `torch` requirement pulls a multi-GB CUDA build from PyPI. When the venv has no torch yet,
# this installs $RLVR_TORCH (default torch==2.13.0, which these CPU machines serve as a local CPU build).
# With CUDA elsewhere: RLVR_TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128"
# (or install any torch 2.6-2.14 into .venv first; pyproject accepts it and this script keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$python" -m venv .venv
fi
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
  # shellcheck disable=SC2086
  .venv/bin/pip install --quiet ${RLVR_TORCH:-torch==2.13.0}
fi
.venv/bin/pip install --quiet -e ".[dev]"
echo "rlvrlab ready in .venv (torch $(.venv/bin/python -c 'import torch; print(torch.__version__)'))"
