"""Wall and CPU time of `rlvr demo` in each mode, against the budget each mode promises (2 CPU cores).

    python benchmarks/demo_time.py                 # quick and default (about 20 minutes)
    python benchmarks/demo_time.py --modes quick default full   # all three (about 80 minutes)
    python benchmarks/demo_time.py --keep runs/bench      # keep each mode's output in runs/bench/<mode>

Each mode runs from scratch in a fresh temporary folder through the real CLI (`rlvr demo`), as a user
would; CPU time is the children's user + system time (resource.getrusage). The budgets are the issue's:
quick <= 3 min, default <= 15 min, full <= 60 min of wall time on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_MIN = {"quick": 3.0, "default": 15.0, "full": 60.0}


def time_mode(mode: str, rlvr: str, keep: Path | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one `rlvr demo` run in a fresh folder (`keep/<mode>` when given: it
    must not exist yet, so nothing is resumed)."""
    flag = [] if mode == "default" else [f"--{mode}"]
    with tempfile.TemporaryDirectory(prefix=f"demo-{mode}-") as tmp:
        out = Path(tmp) / "out" if keep is None else keep / mode
        if out.exists():
            raise SystemExit(f"{out} exists: a timed demo must start from scratch")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            [rlvr, "demo", *flag, "--out", str(out)],
            check=True,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--modes", nargs="+", default=["quick", "default"], choices=list(BUDGET_MIN))
    parser.add_argument("--keep", type=Path, help="Keep each mode's output (FINDINGS.md, report) here.")
    args = parser.parse_args()
    rlvr = str(Path(sys.executable).with_name("rlvr"))
    print(f"{'mode':8s} {'wall min':>9s} {'CPU min':>8s} {'budget min':>11s} {'wall / budget':>14s}")
    for mode in args.modes:
        wall, cpu = time_mode(mode, rlvr, args.keep)
        budget = BUDGET_MIN[mode]
        print(
            f"{mode:8s} {wall / 60:9.1f} {cpu / 60:8.1f} {budget:11.0f} {wall / 60 / budget:13.2f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
