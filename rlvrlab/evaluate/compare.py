"""Compare two evaluation folders: per-benchmark accuracy differences with a paired bootstrap interval.

Reads only `samples.jsonl` of each folder (see `rlvrlab.evaluate.run`). The difference is B - A over the
problems both runs graded; the interval resamples those problems jointly (paired), which is what tells a
real change from problem-sampling noise on 30-problem sets like AIME.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

from rlvrlab.data import read_jsonl
from rlvrlab.data.load import decode_utf8
from rlvrlab.evaluate.metrics import per_problem_accuracy
from rlvrlab.evaluate.run import SAMPLES_FILE
from rlvrlab.metrics import rate
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


def _code_rate(rows: list[dict[str, Any]]) -> float | None:
    return rate([bool(r.get("uses_code")) for r in rows])


PROTOCOL_KEYS = ("n_samples", "temperature", "top_p", "max_new_tokens", "grading_mode", "extract_mode")


def _protocols(folder: Path) -> dict[str, dict[str, Any]]:
    """{benchmark: protocol} from summary.json (empty when the folder has none)."""
    path = folder / "summary.json"
    if not path.is_file():
        return {}
    summary = json.loads(decode_utf8(path.read_bytes(), path))
    return {b: m.get("protocol", {}) for b, m in summary.get("benchmarks", {}).items()}


def protocol_differences(
    rows_a: list[dict[str, Any]], rows_b: list[dict[str, Any]], proto_a: dict, proto_b: dict
) -> list[str]:
    """How A and B were sampled or graded differently on one benchmark (samples per problem from the
    rows, the rest from summary.json's protocol); empty when they match or are unknown."""
    k_a = min(Counter(str(r["problem_id"]) for r in rows_a).values())
    k_b = min(Counter(str(r["problem_id"]) for r in rows_b).values())
    diffs = [f"samples per problem {k_a} vs {k_b}"] if k_a != k_b else []
    for key in PROTOCOL_KEYS:
        if key != "n_samples" and key in proto_a and key in proto_b and proto_a[key] != proto_b[key]:
            diffs.append(f"{key} {proto_a[key]} vs {proto_b[key]}")
    return diffs


def compare_runs(
    dir_a: str | Path, dir_b: str | Path, n_boot: int = 2000, seed: int = 0
) -> dict[str, dict[str, Any]]:
    """{benchmark: {n_problems, accuracy_a, accuracy_b, diff, diff_ci95, code_rate_a, code_rate_b,
    protocol_differences}} for every benchmark present in both folders; diff = B - A on the shared
    problems. `protocol_differences` lists how the two were sampled or graded differently (a greedy k=1
    eval against a T=1 k=2 one, say): then B - A is not the model's change alone."""
    runs_a, runs_b = _samples_by_benchmark(Path(dir_a)), _samples_by_benchmark(Path(dir_b))
    protocols_a, protocols_b = _protocols(Path(dir_a)), _protocols(Path(dir_b))
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
        differs = protocol_differences(
            runs_a[bench], runs_b[bench], protocols_a.get(bench, {}), protocols_b.get(bench, {})
        )
        if differs:
            logger.warning("%s: A and B used different protocols (%s)", bench, ", ".join(differs))
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
            "protocol_differences": differs,
        }
    return result
