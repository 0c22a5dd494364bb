"""Benchmark: `rlvr analyze` on 100,000 synthetic responses of realistic length, on one core.

    .venv/bin/python benchmarks/analysis.py [--n 100000] [--k 8]

Responses mimic Qwen2.5-Math output: ~55% code reasoning (a ```python block of 6-20 lines inside prose),
the rest step-by-step prose with LaTeX; lengths are log-normal around ~1,800 characters with a tail of
truncated ~8,000-character ones; ~85% end with \\boxed{...}. The timed path is what `rlvr analyze A B`
does: read two samples.jsonl files (100k rows each), detect code (both rules), boxed answers, accuracy
with 95% bootstrap intervals, and the transition table. The naive baseline does the same per row in
plain Python (dict accumulation, the line-by-line strict detector) with the same bootstrap calls.
Results go to benchmarks/RESULTS-analysis.md by hand.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from rlvrlab.analysis.evals import eval_stats, load_eval, transitions  # noqa: E402
from rlvrlab.metrics import has_boxed_answer  # noqa: E402

PROSE = [
    "First, we need to find the value of $x$ that satisfies the equation ${a}x + {b} = {c}$.",
    "Subtracting ${b}$ from both sides gives ${a}x = {d}$, so $x = \\frac{{{d}}}{{{a}}}$.",
    "Next, we compute the area of the triangle using $\\frac{{1}}{{2}} \\cdot base \\cdot height$.",
    "Since the sum of the angles is $180^\\circ$, the remaining angle is ${c}^\\circ$.",
    "Let's verify this result by substituting back into the original expression.",
    "We can simplify $\\sqrt{{{e}}}$ as ${a}\\sqrt{{{b}}}$ because ${e} = {a}^2 \\cdot {b}$.",
    "Therefore the number of ways is $\\binom{{{c}}}{{{a}}} = {d}$.",
]
CODE = [
    "import sympy as sp",
    "x = sp.symbols('x')",
    "equation = sp.Eq({a}*x + {b}, {c})",
    "solution = sp.solve(equation, x)",
    "total = 0",
    "for i in range(1, {c}):",
    "    total += i**{a}",
    "result = total % {d}",
    "def f(n):",
    "    return n * (n + {b}) // {a}",
    "values = [f(n) for n in range({e})]",
    "print(result)",
]


def _fill(template: str, rng: np.random.Generator) -> str:
    a, b, c, d, e = (int(v) for v in rng.integers(2, 400, size=5))
    return template.format(a=a, b=b, c=c, d=d, e=e)


def make_response(rng: np.random.Generator, code: bool) -> str:
    """One synthetic response of realistic length and shape."""
    target = 8000 if rng.random() < 0.04 else int(np.clip(rng.lognormal(7.4, 0.5), 200, 7000))
    parts = ["To solve the problem, let's break it down step by step."]
    if code:
        parts.append("We will use Python to verify the computation.\n```python")
        parts += [_fill(CODE[i % len(CODE)], rng) for i in range(int(rng.integers(6, 20)))]
        parts.append("```\n```output\n" + str(rng.integers(1, 999)) + "\n```")
    while sum(len(p) + 1 for p in parts) < target:
        parts.append(_fill(PROSE[int(rng.integers(len(PROSE)))], rng))
    if target < 8000 and rng.random() < 0.88:
        parts.append(f"The final answer is $\\boxed{{{int(rng.integers(0, 1000))}}}$.")
    return "\n".join(parts)


def write_eval(path: Path, n: int, k: int, code_share: float, seed: int) -> None:
    """A samples.jsonl of n rows (n/k problems x k samples), with code samples more often correct."""
    rng = np.random.default_rng(seed)
    pool = [make_response(rng, code=i % 2 == 0) for i in range(4000)]  # texts reused, flags re-drawn
    path.mkdir(parents=True)
    with open(path / "samples.jsonl", "w") as handle:
        for i in range(n):
            code = rng.random() < code_share
            text = pool[2 * int(rng.integers(2000)) + (0 if code else 1)]
            correct = bool(rng.random() < (0.6 if code else 0.2))
            row = dict(
                benchmark="bench", problem_id=f"p{i // k}", sample_index=i % k, prompt=None, response=text
            )
            row.update(extracted="1" if correct else "", correct=correct, n_tokens=len(text) // 4)
            row.update(finish_reason="length" if len(text) >= 8000 else "stop")
            handle.write(json.dumps(row) + "\n")


def fast(a: Path, b: Path, n_boot: int) -> dict:
    (before,), (after,) = load_eval(a), load_eval(b)
    return {
        "stats": [eval_stats(before, n_boot), eval_stats(after, n_boot)],
        "t": transitions(before, after),
    }


_LINE = re.compile(
    r"^\s*(?:(?:def|class|for|while|if|elif|else|return|import|from|print|try|except|with)\b"
    r"|[A-Za-z_][A-Za-z_0-9]*(?:\s*,\s*[A-Za-z_][A-Za-z_0-9]*)*\s*[-+*/]?=(?!=)"
    r"|[A-Za-z_][A-Za-z_0-9.]*\(.*\)\s*$)"
)
_FENCE = re.compile(r"```(?:python|py)\s*\n", re.IGNORECASE)


def _strict_naive(text: str) -> bool:
    if _FENCE.search(text):
        return True
    run = 0
    for line in text.split("\n"):
        if _LINE.match(line):
            run += 1
            if run >= 3:
                return True
        elif line.strip():
            run = 0
    return False


def _naive_eval(path: Path, n_boot: int) -> dict:
    """Per-row loop: {problem: [correct, code, strict, boxed]} then per-problem means in Python."""
    from rlvrlab.stats import bootstrap_ci, bootstrap_ratio_ci

    problems: dict[str, list[list[bool]]] = {}
    with open(path / "samples.jsonl") as handle:
        for line in handle:
            row = json.loads(line)
            text = row["response"]
            flags = [row["correct"], "python" in text.lower(), _strict_naive(text), has_boxed_answer(text)]
            problems.setdefault(row["problem_id"], []).append(flags)
    out = {}
    for name, col in (("paper", 1), ("strict", 2)):
        for inside in (True, False):
            hits = [sum(s[0] for s in g if s[col] == inside) for g in problems.values()]
            counts = [sum(s[col] == inside for s in g) for g in problems.values()]
            interval = bootstrap_ratio_ci(hits, counts, n_boot=n_boot)  # pooled over samples
            out[(name, inside)] = (sum(hits) / sum(counts), interval)
    overall = [sum(s[0] for s in g) / len(g) for g in problems.values()]
    out["overall"] = (sum(overall) / len(overall), bootstrap_ci(overall, n_boot=n_boot))
    out["modes"] = {
        p: (sum(s[1] for s in g) / len(g) > 0.5, sum(s[0] for s in g) / len(g)) for p, g in problems.items()
    }
    return out


def naive(a: Path, b: Path, n_boot: int) -> dict:
    from rlvrlab.stats import paired_bootstrap_ci

    ea, eb = _naive_eval(a, n_boot), _naive_eval(b, n_boot)
    table: dict[str, list[float]] = {}
    for pid, (code_a, acc_a) in ea["modes"].items():
        code_b, acc_b = eb["modes"][pid]
        key = ("Code" if code_a else "Lang") + "->" + ("Code" if code_b else "Lang")
        table.setdefault(key, [0, 0.0, 0.0])
        table[key] = [table[key][0] + 1, table[key][1] + acc_a, table[key][2] + acc_b]
    pids = list(ea["modes"])
    paired = paired_bootstrap_ci(
        [ea["modes"][p][1] for p in pids], [eb["modes"][p][1] for p in pids], n_boot=n_boot
    )
    return {"a": ea, "b": eb, "table": table, "paired": paired}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="responses per eval")
    parser.add_argument("--k", type=int, default=8, help="samples per problem")
    parser.add_argument("--n-boot", type=int, default=2000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "a", Path(tmp) / "b"
        write_eval(a, args.n, args.k, code_share=0.55, seed=0)
        write_eval(b, args.n, args.k, code_share=0.85, seed=1)
        mb = sum((p / "samples.jsonl").stat().st_size for p in (a, b)) / 1e6
        with open(a / "samples.jsonl") as handle:
            chars = np.mean([len(json.loads(handle.readline())["response"]) for _ in range(5000)])
        print(f"inputs: 2 evals x {args.n:,} responses ({args.n // args.k:,} problems x {args.k}), {mb:.0f} MB, "
              f"mean response {chars:,.0f} chars; n_boot={args.n_boot}; cpus={len(os.sched_getaffinity(0))}")  # fmt: skip
        result, t_fast, wall_fast = _timed(fast, a, b, args.n_boot)
        reference, t_naive, wall_naive = _timed(naive, a, b, args.n_boot)
    stats = result["stats"][0]
    assert abs(stats["with_code"]["accuracy"] - reference["a"][("paper", True)][0]) < 1e-9
    assert abs(stats["without_code_strict"]["accuracy"] - reference["a"][("strict", False)][0]) < 1e-9
    by_subset = {r["subset"]: r["n_problems"] for r in result["t"]["subsets"]}
    assert all(by_subset[key] == row[0] for key, row in reference["table"].items())
    per_eval = t_fast / 2
    print(
        "CPU seconds on one core (process time; wall time in brackets, inflated when the machine is shared):"
    )
    print(
        f"rlvrlab analysis : {t_fast:6.2f} s [{wall_fast:.2f}] for 2 x {args.n:,} responses = {per_eval:.2f} s per eval"
    )
    print(f"naive per-row    : {t_naive:6.2f} s [{wall_naive:.2f}]")
    print(f"speed-up         : {t_naive / t_fast:6.2f}x  (results identical: checked)")
    print(
        f"budget           : {'OK' if per_eval <= 10 else 'OVER'} (<= 10 s per {args.n:,} responses on one core)"
    )


def _timed(fn: Callable[..., Any], *args: Any) -> tuple[Any, float, float]:
    """(result, CPU seconds, wall seconds)."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = fn(*args)
    return result, time.process_time() - cpu, time.perf_counter() - wall


if __name__ == "__main__":
    main()
