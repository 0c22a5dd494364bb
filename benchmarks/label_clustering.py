"""Benchmark: canonical-key answer clustering vs naive pairwise clustering with the robust grader.

Answer sets: 500 problems x 64 answers. Each problem's candidate answers are real ones: its gold, the
answers Qwen2.5-Math-1.5B gave to it (base and step-50 generations in tests/data/qwen_math_1p5b), and
three answers the model gave to other problems (real wrong-answer strings). Samples are drawn with
skewed weights (one candidate is the favourite), 5% are empty, and half are rewritten into an
equivalent spelling ("12" -> "12.0", "\\frac{24}{2}", "$12$"; "\\frac" -> "\\dfrac", "\\left(", spaces).

Three timed runs, each in a fresh process (so no run inherits another's warm sympy/parse caches or
verdict cache) whose grading worker is started before the clock starts:
- canonical: `cluster_answers` (hash by canonical key; grader only between remaining groups);
- naive, cached: `cluster_answers_naive` through `verify` with its verdict cache (the grader as
  shipped: repeated pairs are cache hits);
- naive, uncached: `cluster_answers_naive` grading every (cluster, answer) pair afresh.
All three must give the same labels and vote shares. Usage: python benchmarks/label_clustering.py
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from rlvrlab.grading import VerdictCache, verify
from rlvrlab.grading.verify import light_normalize
from rlvrlab.grading.worker import default_worker
from rlvrlab.labels.cluster import (
    Grader,
    LabelChoice,
    canonical_key,
    choose_label,
    cluster_answers,
    cluster_answers_naive,
    exact_number,
)

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "qwen_math_1p5b" / "reference_grades.jsonl"


def load_candidates() -> list[tuple[str, list[str]]]:
    """(gold, the model's non-empty answers) per MATH-500 problem, from the shipped reference grades."""
    by_index: dict[int, tuple[str, list[str]]] = {}
    for line in DATA.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        gold, answers = by_index.setdefault(row["index"], (row["gold"], []))
        if row["extracted"]:
            answers.append(row["extracted"])
    return [by_index[i] for i in sorted(by_index)]


def rewrite_number(value: Fraction, rng: random.Random) -> str:
    p, q = value.numerator, value.denominator
    forms = [f"\\frac{{{2 * p}}}{{{2 * q}}}", f"\\dfrac{{{p}}}{{{q}}}", f"{p}/{q}"]
    if q == 1:
        forms += [f"{p}.0", f"{p}.00", f"{p}"]
    if q > 1 and all(f in (2, 5) for f in _small_factors(q)):
        forms.append(str(float(value)))  # a terminating decimal is exact
    form = rng.choice(forms)
    return rng.choice([form, f"${form}$", f" {form} "])


def _small_factors(n: int) -> list[int]:
    out, f = [], 2
    while n > 1 and f <= 10:
        while n % f == 0:
            out.append(f)
            n //= f
        f += 1
    return out if n == 1 else out + [n]


def rewrite(answer: str, rng: random.Random) -> str:
    """An equivalent spelling of `answer` (robust-grader equivalent: exact value or lossless clean-up)."""
    value = exact_number(light_normalize(answer))
    if value is not None:
        return rewrite_number(value, rng)
    choice = rng.randrange(4)
    if choice == 0:
        return answer.replace("\\frac", "\\dfrac")
    if choice == 1:
        return answer.replace("(", "\\left(").replace(")", "\\right)")
    if choice == 2:
        return f"${answer}$"
    return answer.replace(",", ", ").replace("+", " + ")


def build_answer_sets(n_problems: int, n_answers: int, seed: int) -> list[tuple[str, list[str | None]]]:
    rng = random.Random(seed)
    candidates = load_candidates()
    pool = [a for _, answers in candidates for a in answers]
    sets = []
    for i in range(n_problems):
        gold, answers = candidates[i % len(candidates)]
        distinct = list(dict.fromkeys([gold, *answers, *rng.sample(pool, 3)]))
        weights = [rng.random() ** 2 for _ in distinct]
        weights[rng.randrange(len(distinct))] += 1.5  # a favourite answer, as models have
        drawn: list[str | None] = []
        for _ in range(n_answers):
            if rng.random() < 0.05:
                drawn.append(None)
                continue
            answer = rng.choices(distinct, weights)[0]
            drawn.append(rewrite(answer, rng) if rng.random() < 0.5 else answer)
        sets.append((gold, drawn))
    return sets


class CountingGrader(Grader):
    def equivalent(self, gold: str, pred: str) -> bool:
        object.__setattr__(self, "calls", getattr(self, "calls", 0) + 1)
        return super().equivalent(gold, pred)


@dataclass(frozen=True)
class Result:
    name: str
    seconds: float
    grader_calls: int
    labels: list[LabelChoice]


METHODS: dict[str, tuple[Callable, dict]] = {
    "canonical": (cluster_answers, {}),
    "naive, cached": (cluster_answers_naive, {}),
    "naive, uncached": (cluster_answers_naive, {"use_cache": False}),
}


def timed(name: str, sets: list) -> Result:
    """One method, run in its own process: warm the grading worker, then time clustering + labels."""
    cluster, grader_options = METHODS[name]
    grader = CountingGrader(cache=VerdictCache(), **grader_options)
    verify("1", "x+1", mode="robust", cache=None)
    default_worker().warm_up()
    canonical_key.cache_clear()
    start = time.perf_counter()
    labels = [choose_label(cluster(answers, grader)) for _, answers in sets]
    return Result(name, time.perf_counter() - start, getattr(grader, "calls", 0), labels)


def timed_in_fresh_process(name: str, sets: list) -> Result:
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(timed, name, sets).result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=500)
    parser.add_argument("--answers", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sets = build_answer_sets(args.problems, args.answers, args.seed)
    n = sum(len(a) for _, a in sets)
    distinct = sum(len({x for x in a if x}) for _, a in sets)
    print(f"{len(sets)} problems x {args.answers} answers = {n} answers, {distinct} distinct strings")
    runs = [timed_in_fresh_process(name, sets) for name in METHODS]
    base = runs[0]
    print(
        f"{'method':<18}{'seconds':>10}{'grader calls':>14}{'slower than canonical':>24}{'same labels':>13}"
    )
    for r in runs:
        same = all(
            (a.label, a.vote_share, a.clusters) == (b.label, b.vote_share, b.clusters)
            for a, b in zip(base.labels, r.labels, strict=True)
        )
        print(
            f"{r.name:<18}{r.seconds:>10.2f}{r.grader_calls:>14}{r.seconds / base.seconds:>23.1f}x{str(same):>13}"
        )
    correct = sum(
        verify(g, c.label, mode="robust").correct for (g, _), c in zip(sets, base.labels, strict=True)
    )
    print(f"majority label = gold on {correct}/{len(sets)} problems (sanity check of the answer sets)")


if __name__ == "__main__":
    main()
