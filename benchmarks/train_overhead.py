"""Overhead of `rlvr train` over a bare TRL GRPOTrainer on the same tiny config, measured in one run.

Both sides get the identical GRPOConfig (rlvrlab.train.config.to_grpo_config), model, data and reward
(`random:0.5`); the bare side is `trl.GRPOTrainer` itself with no rlvrlab callbacks, the rlvr side is
`RLVRTrainer` with the run-folder callbacks (metrics.jsonl, completions.jsonl every rollout, accuracy
grading, code rate, clip statistics, second whitening). Checkpointing is off on both sides. Runs are
interleaved (bare, rlvr, bare, rlvr, ...) so load on the shared machine hits both alike; the first
rollout of every run is warm-up and not counted. Reported: median seconds per rollout (the paper's step),
overhead = rlvr / bare - 1, and the share of the rlvr step spent in the reward function and in grading.

    .venv/bin/python benchmarks/train_overhead.py [--repeats 5] [--steps 8]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from transformers import PrinterCallback, ProgressCallback, TrainerCallback

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


class RolloutTimer(TrainerCallback):
    """Wall time of each rollout: generation + rewards + all its optimizer steps."""

    def __init__(self, updates_per_rollout: int) -> None:
        self.upr = updates_per_rollout
        self.times: list[float] = []
        self._start = 0.0

    def on_step_begin(self, args, state, control, **kwargs):
        if state.global_step % self.upr == 0:
            self._start = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step % self.upr == 0:
            self.times.append(time.perf_counter() - self._start)


def run_once(kind: str, model_dir: Path, out: Path, steps: int) -> tuple[list[float], list[dict]]:
    from trl import GRPOTrainer

    from rlvrlab.data import read_jsonl
    from rlvrlab.rewards import build_reward
    from rlvrlab.train.config import resolve_config, to_grpo_config
    from rlvrlab.train.run import build_dataset, build_trainer, load_policy

    config = resolve_config(
        preset="cpu-small",
        model=str(model_dir),
        data="math500",
        reward="random:0.5",
        output_dir=str(out),
        overrides=[f"max_steps={steps}", "save_every=0", "data_limit=128"],
    )
    if kind == "bare":
        model, tokenizer = load_policy(config)
        trainer = GRPOTrainer(
            model=model,
            reward_funcs=[build_reward(config.reward, seed=config.seed)],
            args=to_grpo_config(config),
            train_dataset=build_dataset(config, tokenizer),
            processing_class=tokenizer,
        )
    else:
        trainer = build_trainer(config)
    for quiet in (PrinterCallback, ProgressCallback):  # same console output (none) on both sides
        trainer.remove_callback(quiet)
    timer = RolloutTimer(config.updates_per_rollout)
    trainer.add_callback(timer)
    trainer.train()
    rows = read_jsonl(out / "metrics.jsonl") if kind == "rlvr" else []
    return timer.times[1:], rows[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=8, help="rollouts per run (the first is warm-up)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    import transformers

    from rlvrlab.train.config import PRESETS
    from tests.tiny import build_tiny_model

    transformers.logging.set_verbosity_error()
    times: dict[str, list[float]] = {"bare": [], "rlvr": []}
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = build_tiny_model(Path(tmp) / "model")
        for repeat in range(args.repeats):
            for kind in ("bare", "rlvr"):
                step_times, metric_rows = run_once(kind, model_dir, Path(tmp) / f"{kind}{repeat}", args.steps)
                times[kind] += step_times
                rows += metric_rows
    bare, rlvr = statistics.median(times["bare"]), statistics.median(times["rlvr"])
    reward_share = statistics.median(r["time/reward_s"] / r["time/step_s"] for r in rows)
    grading_share = statistics.median(r["time/grading_s"] / r["time/step_s"] for r in rows)
    p = PRESETS["cpu-small"]
    print(
        f"random tiny qwen2, cpu-small preset: {p['prompts_per_rollout']} prompts x G={p['group_size']}, "
        f"{p['updates_per_rollout']} updates/rollout, up to {p['max_completion_length']} new tokens, "
        f"torch threads={args.threads}"
    )
    print(
        f"rollouts timed: bare {len(times['bare'])}, rlvr {len(times['rlvr'])} ({args.repeats} interleaved runs each)"
    )
    print(f"bare TRL GRPOTrainer : median {bare:.3f} s/rollout")
    print(f"rlvr train           : median {rlvr:.3f} s/rollout")
    print(f"overhead             : {100 * (rlvr / bare - 1):+.1f}% per step (target <= 5%)")
    print(f"reward fn share      : {100 * reward_share:.2f}% of rlvr step time (target <= 5%)")
    print(f"accuracy grading     : {100 * grading_share:.2f}% of rlvr step time (part of the overhead)")


if __name__ == "__main__":
    main()
