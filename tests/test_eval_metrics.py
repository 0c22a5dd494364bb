"""Metrics and protocols: pass@k against brute-force enumeration, intervals, summaries, overrides."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from rlvrlab.evaluate.metrics import avg_at_k, pass_at_k, summarize
from rlvrlab.evaluate.protocol import PAPER_PROTOCOLS, BenchmarkProtocol, parse_overrides, resolve_protocol
from rlvrlab.stats import bootstrap_ci, paired_bootstrap_ci


@pytest.mark.parametrize(
    "n,c,k", [(n, c, k) for n in (1, 4, 8) for c in range(n + 1) for k in range(1, n + 1)]
)
def test_pass_at_k_equals_fraction_of_k_subsets_with_a_correct_sample(n: int, c: int, k: int) -> None:
    samples = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    expected = sum(any(samples[i] for i in s) for s in subsets) / len(subsets)
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


def test_pass_at_k_matches_closed_form_for_large_n() -> None:
    assert pass_at_k(64, 3, 16) == pytest.approx(1 - math.comb(61, 16) / math.comb(64, 16))


@pytest.mark.parametrize("n,c,k", [(4, 5, 1), (4, -1, 1), (4, 2, 5), (4, 2, 0)])
def test_pass_at_k_rejects_impossible_counts(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError, match="pass_at_k"):
        pass_at_k(n, c, k)


def _rows(correct_by_problem: dict[str, list[bool]], **extra: object) -> list[dict]:
    return [
        {"problem_id": pid, "sample_index": j, "correct": c, **extra}
        for pid, flags in correct_by_problem.items()
        for j, c in enumerate(flags)
    ]


def test_avg_at_k_is_mean_of_per_problem_accuracy() -> None:
    rows = _rows({"a": [True, False, False, False], "b": [True, True, True, True]})
    assert avg_at_k(rows) == pytest.approx(0.625)


def test_bootstrap_ci_brackets_the_mean_and_narrows_with_more_problems() -> None:
    rng = np.random.default_rng(1)
    small, large = rng.random(30) < 0.4, rng.random(3000) < 0.4
    lo_s, hi_s = bootstrap_ci(small.astype(float), seed=0)
    lo_l, hi_l = bootstrap_ci(large.astype(float), seed=0)
    assert lo_s <= small.mean() <= hi_s and lo_l <= large.mean() <= hi_l
    assert hi_l - lo_l < (hi_s - lo_s) / 5
    assert bootstrap_ci([1.0, 1.0, 1.0]) == (1.0, 1.0)
    assert bootstrap_ci(small.astype(float), seed=0) == (lo_s, hi_s)  # seeded: reproducible


def test_paired_ci_is_tighter_than_unpaired_when_runs_share_problem_difficulty() -> None:
    rng = np.random.default_rng(0)
    difficulty = rng.random(200)
    a = (difficulty > 0.5).astype(float)
    b = a.copy()
    b[np.flatnonzero(a == 0)[:20]] = 1.0  # B fixes 20 problems A got wrong, keeps the rest
    diff, low, high = paired_bootstrap_ci(a, b, seed=0)
    assert diff == pytest.approx(b.mean() - a.mean())
    assert 0 < low <= diff <= high  # a real improvement is detected
    lo_a, hi_a = bootstrap_ci(a)
    assert high - low < hi_a - lo_a
    with pytest.raises(ValueError, match="different problems"):
        paired_bootstrap_ci([1.0], [1.0, 0.0])


def test_summarize_reports_every_documented_metric() -> None:
    rows = _rows(
        {"a": [True, False], "b": [False, False]}, n_tokens=10, finish_reason="stop", timed_out=False
    )
    rows[0].update(uses_code=True)
    rows[1].update(uses_code=False, finish_reason="length", timed_out=True)
    rows[2].update(uses_code=True)
    rows[3].update(uses_code=False)
    m = summarize(rows)
    assert m["accuracy"] == m["avg@2"] == 0.25
    assert m["pass@1"] == 0.25 and m["pass@2"] == 0.5
    assert m["code_rate"] == 0.5 and m["accuracy_with_code"] == 0.5 and m["accuracy_without_code"] == 0.0
    assert m["truncation_rate"] == 0.25 and m["n_timeouts"] == 1 and m["mean_tokens"] == 10
    assert m["n_problems"] == 2 and m["n_samples"] == 4 and m["samples_per_problem"] == 2
    with pytest.raises(ValueError, match="no sample rows"):
        summarize([])


def test_paper_protocols() -> None:
    assert PAPER_PROTOCOLS["math500"] == BenchmarkProtocol("math500", 1, 0.0, 1.0, 3072, "paper")
    for name in ("aime24", "aime25", "amc"):
        assert PAPER_PROTOCOLS[name] == BenchmarkProtocol(name, 8, 0.6, 1.0, 3072, "paper")
    assert resolve_protocol("sim500") == BenchmarkProtocol("sim500")


def test_overrides_most_specific_wins() -> None:
    overrides = parse_overrides(["max_new_tokens=64", "aime24.max_new_tokens=128", "grading_mode=robust"])
    assert resolve_protocol("math500", overrides).max_new_tokens == 64
    aime = resolve_protocol("aime24", overrides)
    assert (aime.max_new_tokens, aime.n_samples, aime.temperature, aime.grading_mode) == (
        128,
        8,
        0.6,
        "robust",
    )


@pytest.mark.parametrize(
    "items,match",
    [
        (["aime24.n_samples"], "expected NAME.FIELD=VALUE"),
        (["aime24.samples=3"], "unknown field 'samples'"),
        (["n_samples=many"], "needs a int"),
    ],
)
def test_bad_overrides_say_how_to_fix(items: list[str], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_overrides(items)


def test_greedy_with_many_samples_is_rejected() -> None:
    with pytest.raises(ValueError, match="temperature=0.6"):
        resolve_protocol("aime24", parse_overrides(["temperature=0"]))
