"""summary.json's metrics over graded samples: avg@k, unbiased pass@k, truncation; the per-response
metrics (accuracy, code rate, accuracy with/without code) come from their one definition in
`rlvrlab.metrics`, intervals from `rlvrlab.stats`.

Everything here works on plain rows (dicts with at least `problem_id`, `correct`; optionally
`uses_code`, `timed_out`, `finish_reason`, `n_tokens`), i.e. on `samples.jsonl` as written by
`rlvrlab.evaluate.run`, so analysis code can recompute any number from the files alone.

Intervals are percentile bootstraps over *problems* (the unit that was sampled from the world), not over
samples: with 30 AIME problems the interval is wide, which is the point (the paper: differences under ~2
points on AIME are not significant).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from rlvrlab import metrics
from rlvrlab.stats import bootstrap_ci


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k estimator (Chen et al. 2021): 1 - C(n-c, k) / C(n, k), computed as a stable
    product. n samples of which c are correct; requires k <= n."""
    if not 0 <= c <= n:
        raise ValueError(f"pass_at_k: need 0 <= c <= n, got n={n}, c={c}")
    if not 1 <= k <= n:
        raise ValueError(f"pass_at_k: need 1 <= k <= n (samples per problem), got n={n}, k={k}")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def group_by_problem(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows -> {problem_id: rows of that problem}, in first-seen problem order."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[str(row["problem_id"])].append(row)
    return dict(groups)


def per_problem_accuracy(rows: Iterable[dict[str, Any]]) -> dict[str, float]:
    """{problem_id: fraction of that problem's samples graded correct}."""
    return {pid: float(np.mean([bool(r["correct"]) for r in g])) for pid, g in group_by_problem(rows).items()}


def avg_at_k(rows: Iterable[dict[str, Any]]) -> float:
    """avg@k (`rlvrlab.metrics.accuracy`): mean over problems of the per-problem accuracy."""
    rows = list(rows)
    value = metrics.accuracy([str(r["problem_id"]) for r in rows], [bool(r["correct"]) for r in rows])
    return float("nan") if value is None else value


def _pass_ks(n: int) -> list[int]:
    """k values reported for pass@k: powers of two up to n, plus n itself."""
    ks = [k for k in (1, 2, 4, 8, 16, 32, 64, 128, 256) if k <= n]
    return ks if n in ks else [*ks, n]


def summarize(rows: Sequence[dict[str, Any]], n_boot: int = 2000, seed: int = 0) -> dict[str, Any]:
    """All metrics of one benchmark from its sample rows (schema in `rlvrlab.evaluate.run`)."""
    if not rows:
        raise ValueError("summarize: no sample rows (nothing was generated or graded)")
    groups = group_by_problem(rows)
    acc = per_problem_accuracy(rows)
    k_min = min(len(g) for g in groups.values())
    low, high = bootstrap_ci(list(acc.values()), n_boot=n_boot, seed=seed)
    out: dict[str, Any] = {
        "n_problems": len(groups),
        "n_samples": len(rows),
        "samples_per_problem": k_min,
        "accuracy": avg_at_k(rows),
        f"avg@{k_min}": avg_at_k(rows),
        "accuracy_ci95": [low, high],
    }
    for k in _pass_ks(k_min):
        per = [pass_at_k(len(g), sum(bool(r["correct"]) for r in g), k) for g in groups.values()]
        out[f"pass@{k}"] = float(np.mean(per))
    correct = [bool(r["correct"]) for r in rows]
    code = [bool(r.get("uses_code")) for r in rows]
    with_code, without_code = metrics.accuracy_by_code(correct, code)
    finish = [r.get("finish_reason") for r in rows if r.get("finish_reason") is not None]
    tokens = [r["n_tokens"] for r in rows if r.get("n_tokens") is not None]
    out.update(
        code_rate=metrics.rate(code),
        accuracy_with_code=with_code,
        accuracy_without_code=without_code,
        boxed_rate=metrics.boxed_rate([r["response"] for r in rows])
        if all("response" in r for r in rows)
        else None,
        n_timeouts=sum(bool(r.get("timed_out")) for r in rows),
        truncation_rate=metrics.rate([f == "length" for f in finish]),
        mean_tokens=float(np.mean(tokens)) if tokens else None,
    )
    return out
