"""Per-eval statistics, Code/Lang transitions between two evals, and partial contributions.

Reads only what `rlvr eval` writes: EVAL_DIR/samples.jsonl (one row per sample: benchmark, problem_id,
sample_index, response, extracted, correct, finish_reason, n_tokens, ...). Code use and boxed answers are
recomputed from the response text with the one set of definitions in `rlvrlab.metrics` (the paper rule,
the strict rule beside it, the format reward's boxed rule), so a stored `uses_code` column is only a
fallback for rows without text.

Choices, stated once:
- Accuracy is avg@k: the mean over problems of each problem's fraction of correct samples.
- "Accuracy with code" / "without code" are pooled over samples (`rlvrlab.metrics.accuracy_where`; the
  module docstring says why), the same numbers summary.json holds.
- Intervals resample problems (the sampled unit): `rlvrlab.stats.bootstrap_ci` over per-problem
  accuracies, `rlvrlab.stats.bootstrap_ratio_ci` for the pooled subset accuracies.
- Transitions: a problem's mode in an eval is Code when a strict majority of its samples use code
  (ties count as Lang; with one sample this is that sample's mode). Correct counts inside a subset are
  sums of per-problem accuracies (whole numbers with one sample per problem).
- Partial contribution of subset d = (correct_after_d - correct_before_d) / (overall change), given only
  when the overall change is significant (its 95% interval, `rlvrlab.stats.pooled_change` of the
  per-problem differences, excludes zero). Otherwise it is None and
  the result carries a note: dividing by a change that may be zero gives numbers like 600% and -500%.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from rlvrlab.data import read_jsonl
from rlvrlab.metrics import accuracy_where, code_flags, has_boxed_answer, problem_accuracy, rate
from rlvrlab.stats import bootstrap_ci, bootstrap_ratio_ci

logger = logging.getLogger(__name__)

Detector = Literal["paper", "strict"]
TRANSITIONS = ("Code->Code", "Code->Lang", "Lang->Code", "Lang->Lang")


@dataclass
class EvalSet:
    """One benchmark's samples from one eval, as columns (entry i = sample i)."""

    name: str  # the eval's label in tables (its directory name unless given)
    benchmark: str
    problem_ids: np.ndarray  # str per sample
    correct: np.ndarray  # bool
    code: np.ndarray  # bool, paper rule ("python" anywhere)
    code_strict: np.ndarray  # bool, fenced block or >= 3 code-like lines
    boxed: np.ndarray  # bool, rlvrlab.metrics.has_boxed_answer (the format reward's rule)
    no_answer: np.ndarray | None  # bool, extracted answer empty; None when the rows carry no `extracted`
    truncated: np.ndarray | None  # bool, finish_reason == "length"; None when absent
    n_tokens: np.ndarray | None  # float; None when absent

    def __len__(self) -> int:
        return int(self.correct.size)


def _column(rows: list[dict[str, Any]], key: str, where: str) -> list[Any]:
    try:
        return [row[key] for row in rows]
    except KeyError:
        missing = next(i for i, row in enumerate(rows, start=1) if key not in row)
        raise ValueError(
            f"{where}:{missing}: sample row has no {key!r} field (write it with `rlvr eval`)"
        ) from None


def _optional(rows: list[dict[str, Any]], key: str) -> list[Any] | None:
    """A column only when every row has it: a partial column would mix real and invented values."""
    values = [row.get(key) for row in rows]
    return None if any(v is None for v in values) else values


def eval_set_from_rows(rows: list[dict[str, Any]], name: str, benchmark: str, where: str = "rows") -> EvalSet:
    """Columns from sample rows of one benchmark; raises ValueError naming the first row lacking a field."""
    if not rows:
        raise ValueError(f"{where}: no samples for benchmark {benchmark!r}")
    if all("response" in row for row in rows):
        texts = [str(row["response"]) for row in rows]
        code, strict = code_flags(texts)
        boxed = np.fromiter((has_boxed_answer(t) for t in texts), dtype=bool, count=len(texts))
    else:
        logger.warning("%s: rows without `response`: using stored uses_code, no strict/boxed stats", where)
        code = np.asarray(_column(rows, "uses_code", where), dtype=bool)
        strict = boxed = np.zeros(len(rows), dtype=bool)
    extracted = [row["extracted"] for row in rows] if all("extracted" in r for r in rows) else None
    finish = _optional(rows, "finish_reason")
    tokens = _optional(rows, "n_tokens")
    return EvalSet(
        name=name,
        benchmark=benchmark,
        problem_ids=np.asarray([str(p) for p in _column(rows, "problem_id", where)]),
        correct=np.asarray(_column(rows, "correct", where), dtype=bool),
        code=code,
        code_strict=strict,
        boxed=boxed,
        no_answer=None if extracted is None else np.asarray([not str(e or "").strip() for e in extracted]),
        truncated=None if finish is None else np.asarray([f == "length" for f in finish]),
        n_tokens=None if tokens is None else np.asarray(tokens, dtype=float),
    )


def load_eval(path: Path, name: str | None = None) -> list[EvalSet]:
    """An EVAL_DIR (or its samples.jsonl) -> one EvalSet per benchmark, in first-seen order."""
    path = Path(path)
    samples = path / "samples.jsonl" if path.is_dir() else path
    if not samples.is_file():
        raise ValueError(f"{path}: no samples.jsonl (expected an EVAL_DIR written by `rlvr eval`)")
    label = name or (samples.parent.name if samples.name == "samples.jsonl" else samples.stem)
    by_benchmark: dict[str, list[dict[str, Any]]] = {}
    for row in read_jsonl(samples):
        by_benchmark.setdefault(str(row.get("benchmark", "unknown")), []).append(row)
    if not by_benchmark:
        raise ValueError(f"{samples}: no sample rows")
    return [eval_set_from_rows(rows, label, bench, str(samples)) for bench, rows in by_benchmark.items()]


def _per_problem(ev: EvalSet) -> tuple[np.ndarray, np.ndarray]:
    """(sorted unique problem ids, index of each sample's problem in them)."""
    return np.unique(ev.problem_ids, return_inverse=True)


def _subset_accuracy(
    ev: EvalSet, inverse: np.ndarray, n_problems: int, mask: np.ndarray, n_boot: int
) -> dict[str, Any]:
    """Pooled accuracy of the samples in `mask` (`rlvrlab.metrics.accuracy_where`), with a bootstrap
    interval over problems. `n_boot=0` skips the interval (ci95 None)."""
    counts = np.bincount(inverse[mask], minlength=n_problems)
    hits = np.bincount(inverse[mask & ev.correct], minlength=n_problems)
    accuracy = accuracy_where(ev.correct, mask)
    interval = (
        list(bootstrap_ratio_ci(hits, counts, n_boot=n_boot)) if accuracy is not None and n_boot else None
    )
    return {
        "accuracy": accuracy,
        "ci95": interval,
        "n_samples": int(mask.sum()),
        "n_problems": int((counts > 0).sum()),
    }


def _rate(flags: np.ndarray | None) -> float | None:
    return None if flags is None else rate(flags)


def eval_stats(ev: EvalSet, n_boot: int = 2000, strict_intervals: bool = False) -> dict[str, Any]:
    """Code rate (both detectors), accuracy overall / with / without code with 95% intervals, answer format.

    The strict detector's subset accuracies get intervals only with `strict_intervals` (the tables show
    them as a side note; each bootstrap costs ~0.5 s at 10k problems)."""
    strict_boot = n_boot if strict_intervals else 0
    ids, inverse = _per_problem(ev)
    _, per_problem = problem_accuracy(ev.problem_ids, ev.correct, grouped=(ids, inverse))
    per_count = np.bincount(inverse, minlength=ids.size)
    out: dict[str, Any] = {
        "name": ev.name,
        "benchmark": ev.benchmark,
        "n_samples": len(ev),
        "n_problems": int(ids.size),
        "samples_per_problem": int(per_count.min()),
        "accuracy": float(per_problem.mean()),
        "accuracy_ci95": list(bootstrap_ci(per_problem, n_boot=n_boot)) if n_boot else None,
        "code_rate": _rate(ev.code),
        "code_rate_strict": _rate(ev.code_strict),
    }
    for suffix, flags, boot in (("", ev.code, n_boot), ("_strict", ev.code_strict, strict_boot)):
        out[f"with_code{suffix}"] = _subset_accuracy(ev, inverse, ids.size, flags, boot)
        out[f"without_code{suffix}"] = _subset_accuracy(ev, inverse, ids.size, ~flags, boot)
    out.update(
        boxed_rate=_rate(ev.boxed),
        no_answer_rate=_rate(ev.no_answer),
        truncation_rate=_rate(ev.truncated),
        mean_tokens=None if ev.n_tokens is None else float(ev.n_tokens.mean()),
    )
    return out


def _problem_table(ev: EvalSet, detector: Detector) -> dict[str, tuple[float, bool]]:
    """{problem_id: (accuracy over its samples, Code mode by strict majority)}."""
    ids, inverse = _per_problem(ev)
    flags = ev.code if detector == "paper" else ev.code_strict
    counts = np.bincount(inverse, minlength=ids.size)
    accuracy = np.bincount(inverse, weights=ev.correct, minlength=ids.size) / counts
    code_share = np.bincount(inverse, weights=flags, minlength=ids.size) / counts
    return {
        pid: (float(a), bool(c > 0.5)) for pid, a, c in zip(ids.tolist(), accuracy, code_share, strict=True)
    }


def transitions(before: EvalSet, after: EvalSet, detector: Detector = "paper") -> dict[str, Any]:
    """The Code->Code / Code->Lang / Lang->Code / Lang->Lang table between two evals of one benchmark,
    with per-subset accuracy before -> after and partial contributions of the overall change. The change's
    interval is `rlvrlab.stats.pooled_change` of the per-problem differences (one seed: the paired t
    interval), the interval the report's headline gives the same change."""
    from rlvrlab.stats import pooled_change

    if before.benchmark != after.benchmark:
        raise ValueError(f"transitions: different benchmarks ({before.benchmark!r} vs {after.benchmark!r})")
    table_a, table_b = _problem_table(before, detector), _problem_table(after, detector)
    common = [pid for pid in table_a if pid in table_b]
    if not common:
        raise ValueError(
            f"transitions: {before.name} and {after.name} share no problem ids on {before.benchmark}"
        )
    dropped = len(table_a) + len(table_b) - 2 * len(common)
    if dropped:
        logger.warning("transitions: %d problems appear in only one eval and are left out", dropped)
    acc_a = np.array([table_a[p][0] for p in common])
    acc_b = np.array([table_b[p][0] for p in common])
    label = np.array([_mode(table_a[p][1]) + "->" + _mode(table_b[p][1]) for p in common])
    change = float(acc_b.sum() - acc_a.sum())
    pooled = pooled_change([acc_b - acc_a])
    significant = bool(change) and pooled.excludes_zero
    rows = []
    for subset in TRANSITIONS:
        inside = label == subset
        delta = float(acc_b[inside].sum() - acc_a[inside].sum())
        rows.append(
            {
                "subset": subset,
                "n_problems": int(inside.sum()),
                "accuracy_before": float(acc_a[inside].mean()) if inside.any() else None,
                "accuracy_after": float(acc_b[inside].mean()) if inside.any() else None,
                "correct_before": float(acc_a[inside].sum()),
                "correct_after": float(acc_b[inside].sum()),
                "delta_correct": delta,
                "partial_contribution": delta / change if significant else None,
            }
        )
    return {
        "benchmark": before.benchmark,
        "before": before.name,
        "after": after.name,
        "detector": detector,
        "n_problems": len(common),
        "accuracy_before": float(acc_a.mean()),
        "accuracy_after": float(acc_b.mean()),
        "delta_correct": change,
        "accuracy_change_ci95": [pooled.mean, pooled.low, pooled.high],
        "subsets": rows,
        "significant": significant,
        "note": None if significant else _not_significant(change),
    }


def _not_significant(change: float) -> str:
    if not change:
        return "overall change is zero: partial contributions are undefined (n/a)"
    return "overall change not significant (95% interval includes zero): partial contributions n/a"


def _mode(code: bool) -> str:
    return "Code" if code else "Lang"


def analyze_evals(paths: list[Path], n_boot: int = 2000) -> dict[str, Any]:
    """`rlvr analyze`: stats of every eval (per benchmark); with two evals, transitions per shared benchmark
    (the first path is "before"). One JSON-serialisable object."""
    if not 1 <= len(paths) <= 2:
        raise ValueError(f"analyze: give one or two eval dirs, got {len(paths)}")
    names = _unique_names(paths)
    sets = [load_eval(path, name) for path, name in zip(paths, names, strict=True)]
    result: dict[str, Any] = {"evals": [eval_stats(ev, n_boot) for group in sets for ev in group]}
    if len(sets) == 2:
        after = {ev.benchmark: ev for ev in sets[1]}
        shared = [ev for ev in sets[0] if ev.benchmark in after]
        if not shared:
            raise ValueError(f"analyze: {paths[0]} and {paths[1]} share no benchmark")
        result["transitions"] = [transitions(ev, after[ev.benchmark]) for ev in shared]
    return result


def _unique_names(paths: list[Path]) -> list[str]:
    """Directory names, made unique with the parent's name when two evals share a leaf name (run/eval)."""
    leaves = [(p if p.is_dir() else p.parent).name for p in paths]
    if len(set(leaves)) == len(leaves):
        return leaves
    return [
        f"{(p if p.is_dir() else p.parent).parent.name}/{leaf}" for p, leaf in zip(paths, leaves, strict=True)
    ]
