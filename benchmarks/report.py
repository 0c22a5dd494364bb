"""Report at scale: 48 runs and 100,000 eval samples -> `write_report` time and Chromium page-load time.

Targets (issue 14): render <= 30 s, page load <= 5 s. Synthetic folders in the exact layout `rlvr demo
--full` writes (2 model families x 8 reward cells x 3 seeds = 48 runs, each with metrics.jsonl,
config.yaml and a final eval; one base eval per family and seed), so the report does all its real work:
reading 100k samples, code detection, pairing, pooled intervals, 48 transition analyses, every figure.

The baseline measured in the same run is the same report over one seed (16 runs, 1/3 of the samples):
the ratio says how the time grows with the input (linear would be ~3x).

    python benchmarks/report.py [--runs-per-cell 3] [--problems 463] [--samples 4] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

FAMILIES = {"sim-qwen-math": (0.65, 0.80, 0.20), "sim-llama": (0.01, 0.55, 0.25)}  # code rate, acc code/prose
CELLS = {  # name: (reward, clip, code-rate shift, accuracy shift of each mode)
    "ground_truth": ("ground_truth", "on", 0.2, 0.05),
    "majority_vote": ("label", "on", 0.2, 0.04),
    "incorrect": ("label", "on", 0.15, -0.1),
    "format": ("format", "on", 0.0, -0.2),
    "random": ("random:0.5", "on", 0.0, -0.1),
    "random_noclip": ("random:0.5", "off", 0.0, -0.2),
    "python": ("python", "on", 0.3, -0.03),
    "format_no_python": ("format&!python", "on", -0.45, -0.2),
}
CODE = "Let me write it in python.\n```python\nx = {a} * {b}\ny = x + {c}\nprint(y)\n```\nSo \\boxed{{{d}}}."
PROSE = "We multiply {a} by {b} and then add {c}, which gives {d}. The answer is \\boxed{{{d}}}."
CHROMIUM = "/usr/bin/chromium"


def _samples(rng: random.Random, problems: int, k: int, code_rate: float, acc: tuple[float, float]) -> str:
    lines = []
    for p in range(problems):
        for j in range(k):
            code = rng.random() < code_rate
            correct = rng.random() < (acc[0] if code else acc[1])
            a, b, c = rng.randint(2, 99), rng.randint(2, 99), rng.randint(2, 99)
            text = (CODE if code else PROSE).format(a=a, b=b, c=c, d=a * b + c)
            row = {
                "benchmark": "sim500",
                "problem_id": f"sim-{p}",
                "sample_index": j,
                "prompt": None,
                "response": text,
                "gold": str(a * b + c),
                "extracted": str(a * b + c),
                "correct": correct,
                "grade_reason": "equal" if correct else "different",
                "timed_out": False,
                "uses_code": code,
                "n_tokens": len(text),
                "finish_reason": "stop",
            }
            lines.append(json.dumps(row))
    return "\n".join(lines) + "\n"


def _eval(folder: Path, model: str, seed: int, text: str) -> None:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model": model, "seed": seed, "benchmarks": ["sim500"]}))
    (folder / "samples.jsonl").write_text(text)


def _metrics(rng: random.Random, steps: int, code0: float, shift: float, clip: str) -> str:
    rows = []
    for step in range(1, steps + 1):
        t = step / steps
        code = min(1.0, max(0.0, code0 + shift * t + rng.gauss(0, 0.02)))
        rows.append(
            {
                "step": step,
                "optimizer_step": 4 * step,
                "reward/total/mean": 0.5 + rng.gauss(0, 0.05),
                "train/accuracy": 0.5 + 0.1 * t + rng.gauss(0, 0.03),
                "train/code_rate": code,
                "clip/low_fraction": 0.0 if clip == "off" else abs(rng.gauss(2e-4, 1e-4)),
                "clip/high_fraction": 0.0 if clip == "off" else abs(rng.gauss(1e-4, 1e-4)),
                "policy/mean_token_prob": 0.9 + 0.02 * t,
                "policy/entropy": 0.3 - 0.1 * t,
                "eval/sim500/accuracy": 0.5 + 0.1 * t,
                "time/step_s": 10.0,
            }
        )
    return "\n".join(json.dumps(r) for r in rows) + "\n"


def make_inputs(root: Path, seeds: int, problems: int, k: int, steps: int = 30) -> list[Path]:
    """Base evals + runs (each with a nested final eval) in the layout of `rlvr demo`; returns the inputs."""
    rng = random.Random(0)
    inputs = []
    for family, (code_rate, acc_code, acc_prose) in FAMILIES.items():
        model = f"/models/{family}"
        for seed in range(1, seeds + 1):
            base = root / "base" / f"{family}-seed{seed}"
            _eval(base, model, seed, _samples(rng, problems, k, code_rate, (acc_code, acc_prose)))
            inputs.append(base)
            for cell, (reward, clip, shift, gain) in CELLS.items():
                run = root / "runs" / f"{family}--{cell}--seed{seed}"
                run.mkdir(parents=True)
                data = f"/labels/{family}/{'incorrect' if cell == 'incorrect' else 'all'}.jsonl"
                config = {
                    "model": model,
                    "reward": reward,
                    "clip": clip,
                    "seed": seed,
                    "output_dir": str(run),
                    "data": data if reward == "label" else "sim-train",
                    "max_steps": steps,
                }
                (run / "config.yaml").write_text(yaml.safe_dump(config))
                (run / "metrics.jsonl").write_text(_metrics(rng, steps, code_rate, shift, clip))
                final_rate = min(1.0, max(0.0, code_rate + shift))
                accs = (min(1.0, max(0.0, acc_code + gain)), min(1.0, max(0.0, acc_prose + gain)))
                _eval(run / "eval", str(run / "final"), seed, _samples(rng, problems, k, final_rate, accs))
                inputs.append(run)
    return inputs


def render(inputs: list[Path], out: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of `write_report`, the first call's imports included."""
    wall, cpu = time.perf_counter(), time.process_time()
    from rlvrlab.report.html import write_report

    write_report(inputs, out, title="benchmark report")
    return time.perf_counter() - wall, time.process_time() - cpu


_PROBE = """<script>window.addEventListener("load", function () { setTimeout(function () {
var t = performance.timing, imgs = document.images, ok = 0;
for (var i = 0; i < imgs.length; i++) { if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++; }
document.body.setAttribute("data-load-ms", t.loadEventEnd - t.navigationStart);
document.body.setAttribute("data-images", ok + "/" + imgs.length); }, 0); });</script>"""


def page_load(out: Path) -> tuple[float, float, str]:
    """(load event ms as the page measures it, wall seconds of the whole headless Chromium run, images)."""
    probe = out / "probe.html"
    probe.write_text((out / "index.html").read_text().replace("</body>", _PROBE + "</body>"))
    with tempfile.TemporaryDirectory() as profile:
        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-sync",
            "--disable-background-networking",
            "--disable-component-update",
            f"--user-data-dir={profile}",
            "--window-size=1400,1000",
            "--dump-dom",
        ]
        start = time.perf_counter()
        dom = subprocess.run(
            [CHROMIUM, *flags, probe.as_uri()], capture_output=True, text=True, timeout=120
        ).stdout
        wall = time.perf_counter() - start
    probe.unlink()
    load = re.search(r'data-load-ms="(\d+)"', dom)
    images = re.search(r'data-images="([^"]+)"', dom)
    return (float(load.group(1)) if load else float("nan")), wall, images.group(1) if images else "?"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs-per-cell", type=int, default=3, help="seeds per (family, reward) cell")
    parser.add_argument("--problems", type=int, default=463, help="problems per eval")
    parser.add_argument("--samples", type=int, default=4, help="samples per problem")
    parser.add_argument("--keep", type=Path, help="write the inputs and reports here and keep them")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="rlvr-report-bench-"))
    try:
        results = {}
        for label, seeds in (("baseline (1 seed)", 1), ("target", args.runs_per_cell)):
            inputs = make_inputs(root / f"inputs-{seeds}", seeds, args.problems, args.samples)
            n_samples = sum(
                (p / "samples.jsonl").read_text().count("\n")
                for i in inputs
                for p in (i, i / "eval")
                if (p / "samples.jsonl").is_file()
            )
            n_runs = sum((i / "metrics.jsonl").is_file() for i in inputs)
            seconds, cpu = render(inputs, root / f"report-{seeds}")
            load_ms, wall, images = page_load(root / f"report-{seeds}")
            results[label] = cpu
            print(
                f"{label}: {n_runs} runs, {n_samples:,} eval samples: render {seconds:.1f} s wall, {cpu:.1f} "
                f"CPU-s (target <= 30 s); page load {load_ms / 1000:.2f} s (target <= 5 s), images loaded "
                f"{images}, headless Chromium wall {wall:.1f} s"
            )
        ratio = results["target"] / results["baseline (1 seed)"]
        print(
            f"render CPU ratio target / baseline: {ratio:.2f}x for {args.runs_per_cell}x the runs and samples; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall > CPU when shared)"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
