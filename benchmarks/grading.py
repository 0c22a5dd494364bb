"""Grading throughput on the 1,000 shipped Qwen2.5-Math-1.5B MATH-500 responses.

Prints responses/s for paper mode, robust mode and Math-Verify used directly (parse + verify of the
full response), and the ratios. Each mode starts with an empty verdict cache and a warm worker.
Run: .venv/bin/python benchmarks/grading.py
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from rlvrlab.grading import DEFAULT_CACHE, grade
from rlvrlab.grading.worker import default_worker

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "qwen_math_1p5b"


def load_pairs() -> list[tuple[str, str]]:
    pairs = []
    for name in ("base_MATH-500.json", "step50_MATH-500.json"):
        for item in json.loads((DATA / name).read_text())["metadata"]:
            pairs.extend((response, item["label"]) for response in item["outputs"])
    return pairs


def run_rlvrlab(pairs: list[tuple[str, str]], mode: str) -> tuple[float, list[bool], int]:
    DEFAULT_CACHE.clear()
    default_worker().warm_up()
    started = time.perf_counter()
    grades = [grade(response, gold, mode=mode) for response, gold in pairs]  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    return elapsed, [g.correct for g in grades], sum(g.timed_out for g in grades)


def run_math_verify(pairs: list[tuple[str, str]]) -> tuple[float, list[bool]]:
    from math_verify import parse, verify

    started = time.perf_counter()
    verdicts = [bool(verify(parse(f"${gold}$"), parse(response))) for response, gold in pairs]
    return time.perf_counter() - started, verdicts


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    pairs = load_pairs()
    paper_s, paper_ok, paper_timeouts = run_rlvrlab(pairs, "paper")
    robust_s, robust_ok, robust_timeouts = run_rlvrlab(pairs, "robust")
    mv_s, mv_ok = run_math_verify(pairs)
    n = len(pairs)
    rate = {"paper": n / paper_s, "robust": n / robust_s, "math-verify": n / mv_s}
    print(f"responses: {n}")
    print(
        f"paper mode   : {rate['paper']:8.1f} responses/s  acc {sum(paper_ok) / n:.3f}  timeouts {paper_timeouts}"
    )
    print(
        f"robust mode  : {rate['robust']:8.1f} responses/s  acc {sum(robust_ok) / n:.3f}  timeouts {robust_timeouts}"
    )
    print(f"math-verify  : {rate['math-verify']:8.1f} responses/s  acc {sum(mv_ok) / n:.3f}")
    print(f"ratio paper/math-verify : {rate['paper'] / rate['math-verify']:.1f}x")
    print(f"ratio robust/math-verify: {rate['robust'] / rate['math-verify']:.1f}x")
    differ = [i for i in range(n) if robust_ok[i] != mv_ok[i]]
    print(f"robust vs math-verify verdict differences: {len(differ)}")
    for i in differ:
        print(f"  #{i}: gold={pairs[i][1]!r} robust={robust_ok[i]} math-verify={mv_ok[i]}")


if __name__ == "__main__":
    main()
