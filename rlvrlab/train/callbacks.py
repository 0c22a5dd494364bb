"""Callbacks that write a run folder the analysis code can read without TRL.

RUN_DIR/metrics.jsonl - one JSON object per rollout (the paper's step), appended when the rollout ends:
  step                     int    rollout index, 1-based (the paper's training step)
  optimizer_step           int    TRL global_step after the rollout (= step x updates_per_rollout)
  epoch                    float  passes over the training set
  world_size               int    training processes
  reward/<name>/mean, /std float  per reward function over the rollout's completions (<name> is the reward
                                  function's __name__, e.g. random_0.5, ground_truth)
  reward/total/mean, /std  float  weighted sum of the reward functions
  reward/zero_std_fraction float  fraction of groups whose rewards are all equal
  train/accuracy           float  fraction of completions graded correct against the `answer` column
                                  (whatever the training reward); NaN when the data has no answers
  train/code_rate          float  fraction of completions that use code (rlvrlab.metrics.uses_code)
  train/loss, train/grad_norm, train/lr  float  averaged over the rollout's optimizer steps
  clip/low_fraction        float  response tokens with ratio < 1-eps and A < 0 (clipped branch active, low)
  clip/high_fraction       float  response tokens with ratio > 1+eps and A > 0 (clipped branch active, high)
  clip/ratio_outside_fraction float  tokens with ratio outside [1-eps, 1+eps], any advantage sign
  clip/first_token/low_fraction, /high_fraction  float  the same, over first completion tokens only
  clip/other_tokens/low_fraction, /high_fraction float  the same, over every other completion token
  policy/first_token/mean_abs_log_ratio  float  mean |log ratio| at the first completion token over the
                                  rollout's updates (how far the mode decision moved off-policy)
  policy/first_token/mean_prob  float  mean sampling probability of the first completion tokens
  policy/code/mean_token_prob, policy/code/entropy, policy/prose/...  float  per completion mode
                                  (uses code or not); NaN when the rollout has no completion of that mode
  policy/mean_token_prob   float  mean probability the sampling policy gave to the tokens it sampled
  policy/entropy           float  mean per-token entropy of the policy during the rollout's updates
  policy/kl_to_ref         float  k3 KL estimate to the reference model (only when kl_coef > 0)
  completion/mean_length, /min_length, /max_length  float  completion tokens
  completion/truncated_fraction float  completions that hit max_completion_length
  time/step_s              float  wall time of the rollout: generation + rewards + all updates
  time/reward_s, time/grading_s  float  reward functions; train/accuracy grading (mean over processes)
  eval/<benchmark>/accuracy, eval/<benchmark>/code_rate  float  only on rollouts with in-training eval
  trl/<key>                any    every other TRL metric, unrenamed (e.g. trl/clip_ratio/low_mean)
All fractions are token-weighted over every micro-batch of the rollout and over all processes.

RUN_DIR/train.log - what was logged during the run (rlvrlab.train.run.run_log_file) and every raw TRL log
  dict, one JSON object per line after "trl log", for what metrics.jsonl renames or leaves out. The
  terminal never shows these dicts (`rlvr train --verbose` does).

RUN_DIR/completions.jsonl - one JSON object per completion, every `log_completions_every` rollouts:
  step (rollout), id (problem id), sample_index (index in the prompt's group, the key of random rewards),
  completion (text), length (completion tokens), rewards {name: float},
  advantage (final, after the optional second whitening), uses_code (bool), correct (bool, or null
  without an answer). Rows of one rollout are in generation order: groups of G consecutive rows per prompt.
"""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from rlvrlab.data import append_jsonl, read_jsonl, write_jsonl

logger = logging.getLogger(__name__)
# raw TRL log dicts: to RUN_DIR/train.log only (its handler is added per run), never up to the console
TRL_LOG = logging.getLogger("rlvrlab.train.trl_log")  # rlvrlab.console.TRL_LOG_NAME
TRL_LOG.propagate = False
TRL_LOG.setLevel(logging.INFO)

RENAME = {
    "loss": "train/loss",
    "grad_norm": "train/grad_norm",
    "learning_rate": "train/lr",
    "reward": "reward/total/mean",
    "reward_std": "reward/total/std",
    "frac_reward_zero_std": "reward/zero_std_fraction",
    "kl": "policy/kl_to_ref",
    "completions/mean_length": "completion/mean_length",
    "completions/min_length": "completion/min_length",
    "completions/max_length": "completion/max_length",
    "completions/clipped_ratio": "completion/truncated_fraction",
}
OURS = ("clip/", "policy/", "train/", "time/", "eval/")


def metrics_row(logs: dict[str, Any], *, step: int, optimizer_step: int, step_s: float) -> dict[str, Any]:
    """Map TRL's log dict to the stable schema above."""
    row: dict[str, Any] = {"step": step, "optimizer_step": optimizer_step}
    for key, value in logs.items():
        if key.startswith("rewards/"):
            row["reward/" + key[len("rewards/") :]] = value
        elif key in RENAME:
            row[RENAME[key]] = value
        elif key == "epoch":
            row["epoch"] = value
        elif key.startswith(OURS):
            row[key] = value
        else:
            row["trl/" + key] = value
    row["time/step_s"] = step_s
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}


class RunLogCallback(TrainerCallback):
    """Writes metrics.jsonl and completions.jsonl (main process only); times each rollout."""

    def __init__(self, run_dir: Path, trainer: Any) -> None:
        self.run_dir = Path(run_dir)
        self.trainer = trainer
        self._rollout_start: float | None = None
        self._step_s = 0.0

    def on_step_begin(self, args, state, control, **kwargs):
        if state.global_step % self.trainer.updates_per_rollout == 0:
            self._rollout_start = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step % self.trainer.updates_per_rollout == 0 and self._rollout_start is not None:
            self._step_s = time.perf_counter() - self._rollout_start

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not logs or not state.is_world_process_zero:
            return
        TRL_LOG.info("trl log %s", json.dumps(logs, default=str))
        if "loss" not in logs:
            return
        step = state.global_step // self.trainer.updates_per_rollout
        row = metrics_row(logs, step=step, optimizer_step=state.global_step, step_s=self._step_s)
        row["world_size"] = args.world_size
        records, self.trainer.pending_records = self.trainer.pending_records, []
        if records:
            append_jsonl(self.run_dir / "completions.jsonl", records)
        append_jsonl(self.run_dir / "metrics.jsonl", [row])


class SaveAtEndCallback(TrainerCallback):
    """Checkpoint after the last step too (TRL saves only every save_steps)."""

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= state.max_steps and args.save_strategy != "no":
            control.should_save = True
        return control


class EvalCallback(TrainerCallback):
    """Every `eval_every` rollouts: rlvrlab.evaluate.quick_eval on the main process; results join the
    rollout's metrics row as eval/<benchmark>/accuracy and eval/<benchmark>/code_rate.

    The other processes wait at the next collective meanwhile (keep eval_limit small enough for
    ddp_timeout). Not supported under DeepSpeed ZeRO-3 (rank 0 alone cannot run a sharded model): skipped
    with a warning there; evaluate checkpoints with `rlvr eval` instead."""

    def __init__(
        self,
        trainer: Any,
        *,
        every: int,
        benchmark: str,
        limit: int,
        prompt: str,
        max_new_tokens: int,
        grading_mode: str,
    ) -> None:
        self.trainer = trainer
        self.every = every
        self.kwargs = dict(
            benchmark=benchmark,
            limit=limit,
            prompt=prompt,
            max_new_tokens=max_new_tokens,
            grading_mode=grading_mode,
        )

    def on_step_end(self, args, state, control, **kwargs):
        upr = self.trainer.updates_per_rollout
        if not self.every or state.global_step % (self.every * upr) or not state.is_world_process_zero:
            return
        plugin = getattr(self.trainer.accelerator.state, "deepspeed_plugin", None)
        if plugin is not None and getattr(plugin, "zero_stage", 0) == 3:
            logger.warning(
                "in-training eval is not supported under ZeRO-3: skipped (use rlvr eval on checkpoints)"
            )
            return
        try:
            from rlvrlab.evaluate import quick_eval
        except ImportError:
            logger.warning(
                "rlvrlab.evaluate.quick_eval is not available yet: skipping in-training evaluation"
            )
            return
        model = self.trainer.accelerator.unwrap_model(self.trainer.model)
        was_training = model.training
        model.eval()
        result = quick_eval(model, self.trainer.processing_class, temperature=0.0, seed=0, **self.kwargs)
        model.train(was_training)
        name = self.kwargs["benchmark"]
        for key in ("accuracy", "code_rate"):
            if key in result:
                self.trainer.extra_metrics[f"eval/{name}/{key}"] = float(result[key])


def truncate_run_logs(run_dir: Path, last_step: int) -> None:
    """Drop rows after rollout `last_step` (written after the checkpoint we resume from), so a resumed run
    has no step missing or duplicated."""
    for name in ("metrics.jsonl", "completions.jsonl"):
        path = Path(run_dir) / name
        if path.exists():
            rows = read_jsonl(path)
            kept = [r for r in rows if r.get("step", 0) <= last_step]
            if len(kept) != len(rows):
                logger.info(
                    "%s: dropping %d rows after step %d (resuming)", path, len(rows) - len(kept), last_step
                )
            write_jsonl(path, kept)
