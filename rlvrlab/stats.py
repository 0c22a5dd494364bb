"""Intervals for the numbers the project reports: the bottom layer (numpy and scipy only, no project imports).

- `bootstrap_ci`: percentile bootstrap of a mean over problems (one eval: accuracy, code rate).
- `paired_bootstrap_ci`: the same for a per-problem difference between two evals of the same problems.
- `proportion_ci`: Wilson interval of a share (e.g. of seeds that end on the majority mode).
- `bootstrap_ratio_ci`: percentile bootstrap of a ratio of per-problem sums (a pooled rate such as the
  accuracy of code samples, `rlvrlab.metrics`), resampling problems.
- `pooled_change`: the change pooled over training seeds AND problems (a multi-seed experiment). This is
  the one interval FINDINGS.md, the report and the README give for "accuracy change, n seeds".

Why `pooled_change` is not a bootstrap. Seeds and problems are crossed (every seed is evaluated on the
same problems), and a training seed is a random draw just as a problem is: the interval must carry both
sources of variance and must shrink as either grows. Resampling 3 seeds with replacement sees only 10
distinct multisets and shrinks the seed variance by (S-1)/S, so a seed bootstrap under-covers badly at
the seed counts a CPU allows. The stated equivalent used here is the textbook two-way random-effects
model d[s, p] = mu + a[s] + b[p] + e[s, p], whose grand mean has variance
    Var(mean) = var_a / S + var_b / P + var_e / (S P) = (MS_seed + MS_problem - MS_resid) / (S P)
(mean squares of the two-way table), with a Student-t interval whose degrees of freedom come from
Satterthwaite's approximation. With one seed it reduces to the paired t interval over problems, which is
then conditional on that training seed (the seed variance cannot be estimated from one seed).
Coverage (~95% over simulated experiments) and shrinkage with more seeds are tested in tests/test_stats.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def bootstrap_ci(
    per_problem_values: Sequence[float], n_boot: int = 2000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean, resampling problems with replacement.

    A resample's mean depends only on how often each distinct value is drawn, so the draw is one
    multinomial over the distinct values (per-problem accuracies take few: 0, 1/8, ..., 1): the same
    distribution as indexing n problems n_boot times, without the n_boot x n index matrix."""
    values = np.asarray(per_problem_values, dtype=float)
    if values.size == 0:
        return (float("nan"), float("nan"))
    distinct, counts = np.unique(values, return_counts=True)
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(values.size, counts / values.size, size=n_boot)
    means = draws @ distinct / values.size
    tail = (1 - level) / 2 * 100
    return (float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail)))


def bootstrap_ratio_ci(
    numerators: Sequence[float],
    denominators: Sequence[float],
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of sum(numerators) / sum(denominators), resampling problems.

    For a pooled rate over samples (e.g. correct code samples / code samples) problem p contributes
    numerators[p] and denominators[p]; problems with a zero denominator stay in the resample (they are
    sampled units too). Same multinomial trick as `bootstrap_ci`, over the distinct (num, den) pairs
    (few with k samples per problem). Resamples whose denominator is zero are dropped."""
    pairs = np.column_stack([np.asarray(numerators, dtype=float), np.asarray(denominators, dtype=float)])
    if pairs.size == 0 or pairs[:, 1].sum() == 0:
        return (float("nan"), float("nan"))
    if np.array_equal(pairs, np.round(pairs)) and pairs.min() >= 0:  # counts: one int key per pair (fast)
        width = int(pairs[:, 1].max()) + 1
        keys, counts = np.unique(
            pairs[:, 0].astype(np.int64) * width + pairs[:, 1].astype(np.int64), return_counts=True
        )
        distinct = np.column_stack([keys // width, keys % width]).astype(float)
    else:
        distinct, counts = np.unique(pairs, axis=0, return_counts=True)
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(len(pairs), counts / len(pairs), size=n_boot)
    sums = draws @ distinct
    ratios = sums[sums[:, 1] > 0, 0] / sums[sums[:, 1] > 0, 1]
    tail = (1 - level) / 2 * 100
    return (float(np.percentile(ratios, tail)), float(np.percentile(ratios, 100 - tail)))


def paired_bootstrap_ci(
    values_a: Sequence[float],
    values_b: Sequence[float],
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """(mean(b - a), low, high): bootstrap of the per-problem difference, resampling problems jointly so
    the pairing (same problem in both runs) removes problem difficulty from the noise."""
    a, b = np.asarray(values_a, dtype=float), np.asarray(values_b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired_bootstrap_ci: runs cover different problems ({a.size} vs {b.size} values)")
    diff = b - a
    low, high = bootstrap_ci(diff, n_boot=n_boot, seed=seed, level=level)
    return (float(diff.mean()) if diff.size else float("nan"), low, high)


@dataclass(frozen=True)
class PooledChange:
    """A change pooled over seeds and problems: the mean, its interval, and what the interval rests on."""

    mean: float
    low: float
    high: float
    n_seeds: int
    n_problems: int
    df: float
    """Satterthwaite degrees of freedom of the t interval"""
    per_seed: tuple[float, ...]
    """each seed's own mean change (for tables that show the spread)"""

    @property
    def ci95(self) -> list[float]:
        return [self.low, self.high]

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def pooled_change(per_seed_diffs: Sequence[Sequence[float]], level: float = 0.95) -> PooledChange:
    """Mean change and its interval from a (seeds x problems) table of per-problem changes.

    `per_seed_diffs[s][p]` is seed s's change on problem p (final minus base, e.g. per-problem accuracy);
    every seed must cover the same problems in the same order. See the module docstring for the model."""
    from scipy.stats import t as student_t

    d = np.asarray(per_seed_diffs, dtype=float)
    if d.ndim != 2 or d.size == 0:
        raise ValueError("pooled_change: need a non-empty (seeds x problems) table of per-problem changes")
    n_seeds, n_problems = d.shape
    mean = float(d.mean())
    per_seed = tuple(float(x) for x in d.mean(axis=1))
    if n_problems < 2:
        return PooledChange(mean, float("nan"), float("nan"), n_seeds, n_problems, 0.0, per_seed)
    terms = _variance_terms(d)  # [(coefficient x mean square, its degrees of freedom)]
    variance = sum(value for value, _ in terms)
    if variance <= 0:  # every cell identical: no evidence of any spread
        return PooledChange(mean, mean, mean, n_seeds, n_problems, float("inf"), per_seed)
    df = variance**2 / sum(value**2 / dof for value, dof in terms)
    half = float(student_t.ppf(0.5 + level / 2, df)) * float(np.sqrt(variance))
    return PooledChange(mean, mean - half, mean + half, n_seeds, n_problems, float(df), per_seed)


def _variance_terms(d: np.ndarray) -> list[tuple[float, float]]:
    """Var(grand mean) of the crossed two-way table as (coefficient x mean square, df) terms, one per mean
    square. A variance component whose estimate is negative is clamped at zero (its terms are dropped)."""
    n_seeds, n_problems = d.shape
    cells = n_seeds * n_problems
    grand = d.mean()
    seed_means, problem_means = d.mean(axis=1), d.mean(axis=0)
    ms_problem = n_seeds * float(((problem_means - grand) ** 2).sum()) / (n_problems - 1)
    if n_seeds == 1:
        return [(ms_problem / n_problems, n_problems - 1)]
    ms_seed = n_problems * float(((seed_means - grand) ** 2).sum()) / (n_seeds - 1)
    resid = d - seed_means[:, None] - problem_means[None, :] + grand
    df_resid = (n_seeds - 1) * (n_problems - 1)
    ms_resid = float((resid**2).sum()) / df_resid
    # var_a / S = (MS_seed - MS_resid) / (S P); var_b / P = (MS_problem - MS_resid) / (S P); var_e / (S P)
    seed_on, problem_on = ms_seed > ms_resid, ms_problem > ms_resid
    resid_coefficient = 1 - seed_on - problem_on
    terms = [(resid_coefficient * ms_resid / cells, df_resid)]
    if seed_on:
        terms.append((ms_seed / cells, n_seeds - 1))
    if problem_on:
        terms.append((ms_problem / cells, n_problems - 1))
    return [(value, dof) for value, dof in terms if value != 0]


def proportion_ci(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (sensible at 0/n and n/n, unlike the normal interval)."""
    from scipy.stats import norm

    if n <= 0:
        return (float("nan"), float("nan"))
    z = float(norm.ppf(0.5 + level / 2))
    phat = successes / n
    centre = (phat + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (float(max(0.0, centre - half)), float(min(1.0, centre + half)))
