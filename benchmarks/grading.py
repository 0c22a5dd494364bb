"""Grading throughput on the 1,000 shipped Qwen2.5-Math-1.5B MATH-500 responses.

Prints responses/s for paper mode, robust mode and Math-Verify used directly (parse + verify of the
full response), and the ratios, two ways:
- per wall-clock second (depends on how busy the shared machine is), and
- per CPU-second: CPU time of this process (time.process_time) plus that of the grading worker and
  its zygote (from /proc/<pid>/stat). The targets ("on ONE core") are judged on this figure.
Each mode starts with an empty verdict cache; the worker zygote is started (sympy imported) before
the clock starts. Also checks paper-mode agreement with reference_grades.jsonl (>= 99.5%).
Then, in the same run, the agreement of robust mode and of Math-Verify (parse + verify, as above) with
the expected verdicts of the case tables in tests/grading_cases/, per kind and per setting (the
prediction boxed, or passed as the whole response), and the time to extract answers from adversarial
100 kB responses (CPU seconds per 100 kB; issue 13's bound is 0.1).
Run: .venv/bin/python benchmarks/grading.py
"""

from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from rlvrlab.grading import DEFAULT_CACHE, extract_answer, grade
from rlvrlab.grading.worker import default_worker

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "qwen_math_1p5b"
sys.path.insert(0, str(ROOT))  # the case tables live in tests/grading_cases


def load_pairs() -> list[tuple[str, str]]:
    pairs = []
    for name in ("base_MATH-500.json", "step50_MATH-500.json"):
        for item in json.loads((DATA / name).read_text())["metadata"]:
            pairs.extend((response, item["label"]) for response in item["outputs"])
    return pairs


def load_reference() -> list[bool]:
    """Reference verdicts in load_pairs() order (the file lists base then step50, by index)."""
    rows = [json.loads(line) for line in (DATA / "reference_grades.jsonl").read_text().splitlines()]
    order = {"base_MATH-500.json": 0, "step50_MATH-500.json": 1}
    rows.sort(key=lambda r: (order[r["file"]], r["index"], r["rollout"]))
    return [bool(r["correct"]) for r in rows]


@dataclass
class Run:
    wall_s: float
    cpu_s: float
    verdicts: list[bool]
    timeouts: int = 0
    worker_calls_cpu_s: float = 0.0


def run_rlvrlab(pairs: list[tuple[str, str]], mode: str) -> Run:
    DEFAULT_CACHE.clear()
    worker = default_worker()
    worker.warm_up()
    wall, cpu, worker_cpu = time.perf_counter(), time.process_time(), worker.cpu_seconds()
    grades = [grade(response, gold, mode=mode) for response, gold in pairs]  # type: ignore[arg-type]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    worker_cpu = worker.cpu_seconds() - worker_cpu
    verdicts = [g.correct for g in grades]
    return Run(wall, cpu + worker_cpu, verdicts, sum(g.timed_out for g in grades), worker_cpu)


def run_math_verify(pairs: list[tuple[str, str]]) -> Run:
    from math_verify import parse, verify

    wall, cpu = time.perf_counter(), time.process_time()
    verdicts = [bool(verify(parse(f"${gold}$"), parse(response))) for response, gold in pairs]
    return Run(time.perf_counter() - wall, time.process_time() - cpu, verdicts)


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)  # its timeout messages echo inputs
    pairs = load_pairs()
    n = len(pairs)
    runs = {
        "paper": run_rlvrlab(pairs, "paper"),
        "robust": run_rlvrlab(pairs, "robust"),
        "math-verify": run_math_verify(pairs),
    }
    print(f"responses: {n}")
    print(f"{'':13s} {'resp/wall-s':>12s} {'resp/CPU-s':>11s}  {'acc':>5s}  (worker CPU s, timeouts)")
    for name, run in runs.items():
        extra = f"  ({run.worker_calls_cpu_s:.2f}, {run.timeouts})" if name != "math-verify" else ""
        print(f"{name:13s} {n / run.wall_s:12.1f} {n / run.cpu_s:11.1f}  {sum(run.verdicts) / n:.3f}{extra}")
    mv = runs["math-verify"]
    for name in ("paper", "robust"):
        run = runs[name]
        print(
            f"ratio {name}/math-verify: {mv.wall_s / run.wall_s:5.1f}x wall, {mv.cpu_s / run.cpu_s:5.1f}x CPU"
        )
    reference = load_reference()
    agree = sum(a == b for a, b in zip(runs["paper"].verdicts, reference, strict=True))
    print(f"paper vs reference_grades.jsonl: {agree}/{n} agree ({agree / n:.1%})")
    robust_ok, mv_ok = runs["robust"].verdicts, mv.verdicts
    differ = [i for i in range(n) if robust_ok[i] != mv_ok[i]]
    print(f"robust vs math-verify verdict differences: {len(differ)}")
    for i in differ:
        print(
            f"  #{i}: gold={pairs[i][1]!r} robust={robust_ok[i]} math-verify={mv_ok[i]} "
            f"reference={reference[i]}"
        )


def case_table_agreement() -> None:
    """Robust mode and Math-Verify against the case tables' expected verdicts, per kind and setting."""
    from tests.grading_cases import math_verify_verdict, response, robust_verdict, tables

    totals: dict[str, list[int]] = {}
    print("\ncase tables (tests/grading_cases): rows agreeing with the expected verdict")
    print(f"{'kind':13s} {'setting':10s} {'rows':>5s} {'robust':>7s} {'math-verify':>12s}")
    for table in tables():
        for setting in table.settings:
            robust = mv = 0
            for case in table.cases:
                text = response(case, setting)
                robust += robust_verdict(case.gold, text) == case.expected
                mv += math_verify_verdict(case.gold, text) == case.expected
            n = len(table.cases)
            total = totals.setdefault(setting, [0, 0, 0])
            total[0], total[1], total[2] = total[0] + n, total[1] + robust, total[2] + mv
            print(f"{table.kind:13s} {setting:10s} {n:5d} {robust:7d} {mv:12d}")
    for setting, (n, robust, mv) in totals.items():
        print(f"{'all':13s} {setting:10s} {n:5d} {robust:7d} {mv:12d}   ({robust / n:.3f} vs {mv / n:.3f})")


def extraction_bound() -> None:
    """Worst CPU time per 100 kB of extracting an answer from adversarial responses (all three modes)."""
    from tests.test_fuzz_grading import _big_responses

    worst = (0.0, "")
    for mode in ("paper", "r1", "robust"):
        for text in _big_responses():
            started = time.process_time()
            extract_answer(text, mode)  # type: ignore[arg-type]
            per_100kb = (time.process_time() - started) * 100_000 / len(text)
            worst = max(worst, (per_100kb, f"{mode}, {text[:12]!r} x {len(text):,} chars"))
    print(f"\nextraction of adversarial responses: worst {worst[0]:.4f} CPU-s per 100 kB ({worst[1]})")


if __name__ == "__main__":
    main()
    case_table_agreement()
    extraction_bound()
