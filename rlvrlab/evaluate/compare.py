"""Compare two evaluation folders: per-benchmark accuracy differences with a paired bootstrap interval.

Reads only `samples.jsonl` of each folder (see `rlvrlab.evaluate.run`). The difference is B - A over the
problems both runs graded; the interval resamples those problems jointly (paired), which is what tells a
real change from problem-sampling noise on 30-problem sets like AIME.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rlvrlab.data import read_jsonl
from rlvrlab.evaluate.metrics import per_problem_accuracy
from rlvrlab.evaluate.run import SAMPLES_FILE
from rlvrlab.stats import paired_bootstrap_ci

logger = logging.getLogger(__name__)


def _samples_by_benchmark(folder: Path) -> dict[str, list[dict[str, Any]]]:
    path = folder / SAMPLES_FILE
    if not path.exists():
        raise ValueError(f"{path}: not found; --compare needs two folders written by `rlvr eval`")
    out: dict[str, list[dict[str, Any]]] = {}
    for row in read_jsonl(path):
        out.setdefault(row["benchmark"], []).append(row)
    return out


def _code_rate(rows: list[dict[str, Any]]) -> float:
    return sum(bool(r.get("uses_code")) for r in rows) / len(rows)


def compare_runs(
    dir_a: str | Path, dir_b: str | Path, n_boot: int = 2000, seed: int = 0
) -> dict[str, dict[str, Any]]:
    """{benchmark: {n_problems, accuracy_a, accuracy_b, diff, diff_ci95, code_rate_a, code_rate_b}} for
    every benchmark present in both folders; diff = B - A on the shared problems."""
    runs_a, runs_b = _samples_by_benchmark(Path(dir_a)), _samples_by_benchmark(Path(dir_b))
    shared = [b for b in runs_a if b in runs_b]
    if not shared:
        raise ValueError(f"{dir_a} and {dir_b} share no benchmark: nothing to compare")
    result = {}
    for bench in shared:
        acc_a, acc_b = per_problem_accuracy(runs_a[bench]), per_problem_accuracy(runs_b[bench])
        ids = [pid for pid in acc_a if pid in acc_b]
        if len(ids) < max(len(acc_a), len(acc_b)):
            logger.warning(
                "%s: comparing the %d problems both runs graded (A has %d, B has %d)",
                bench,
                len(ids),
                len(acc_a),
                len(acc_b),
            )
        if not ids:
            continue
        values_a, values_b = [acc_a[i] for i in ids], [acc_b[i] for i in ids]
        diff, low, high = paired_bootstrap_ci(values_a, values_b, n_boot=n_boot, seed=seed)
        result[bench] = {
            "n_problems": len(ids),
            "accuracy_a": sum(values_a) / len(ids),
            "accuracy_b": sum(values_b) / len(ids),
            "diff": diff,
            "diff_ci95": [low, high],
            "code_rate_a": _code_rate(runs_a[bench]),
            "code_rate_b": _code_rate(runs_b[bench]),
        }
    return result
