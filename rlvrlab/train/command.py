"""`rlvr train` on the terminal: one progress display while training, a summary table at the end.

The raw TRL log dicts go to RUN_DIR/metrics.jsonl (renamed) and RUN_DIR/train.log (as logged); the
terminal shows steps, elapsed time, ETA, reward, accuracy, code rate and clip fraction per rollout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from rlvrlab.console import StepProgress
from rlvrlab.train.callbacks import metrics_row

# (row label, metrics.jsonl key, format) of the summary table
SUMMARY_METRICS = (
    ("reward (total)", "reward/total/mean", "{:.3f}"),
    ("training accuracy", "train/accuracy", "{:.1%}"),
    ("code rate", "train/code_rate", "{:.1%}"),
    ("clip fraction low", "clip/low_fraction", "{:.3%}"),
    ("clip fraction high", "clip/high_fraction", "{:.3%}"),
    ("mean sampled-token probability", "policy/mean_token_prob", "{:.4f}"),
    ("entropy", "policy/entropy", "{:.4f}"),
    ("completion length", "completion/mean_length", "{:.1f}"),
)


def key_metrics(row: dict[str, Any]) -> dict[str, float | None]:
    """The few numbers the progress line shows, from a metrics.jsonl row (None when not logged)."""
    low, high = row.get("clip/low_fraction"), row.get("clip/high_fraction")
    return {
        "reward": row.get("reward/total/mean"),
        "accuracy": row.get("train/accuracy"),
        "code": row.get("train/code_rate"),
        "clip": None if low is None or high is None else low + high,
    }


class TrainProgress(TrainerCallback):
    """A StepProgress over rollouts (the paper's steps) fed from TRL's per-rollout log (main process)."""

    def __init__(self, console: Any) -> None:
        self.console = console
        self.bar: StepProgress | None = None
        self.per_rollout = 1

    def on_train_begin(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        self.per_rollout = max(1, args.steps_per_generation // args.gradient_accumulation_steps)
        self.bar = StepProgress(self.console, "train", state.max_steps // self.per_rollout, unit="steps")
        self.bar.__enter__()
        self.bar.update(state.global_step // self.per_rollout)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.bar is None or not logs or "loss" not in logs:
            return
        row = metrics_row(logs, step=0, optimizer_step=state.global_step, step_s=0.0)
        self.bar.update(state.global_step // self.per_rollout, key_metrics(row))

    def on_train_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def summary_table(run_dir: Path) -> Any:
    """First -> last value of the headline metrics (and in-training eval) from RUN_DIR/metrics.jsonl."""
    from rich.table import Table

    from rlvrlab.data import read_jsonl

    rows = read_jsonl(run_dir / "metrics.jsonl") if (run_dir / "metrics.jsonl").exists() else []
    table = Table("metric", "first step", "last step", title=f"{run_dir}: {len(rows)} steps")
    evals = sorted({k for r in rows for k in r if k.startswith("eval/")})
    for label, key, fmt in (*SUMMARY_METRICS, *((k, k, "{:.1%}") for k in evals)):
        values = [r[key] for r in rows if isinstance(r.get(key), int | float)]
        if values:
            table.add_row(label, fmt.format(values[0]), fmt.format(values[-1]))
    seconds = sum(r.get("time/step_s") or 0 for r in rows)
    table.caption = f"{seconds / 60:.1f} min of training; raw logs: {run_dir / 'train.log'}"
    return table


def train_command(console: Any, **options: Any) -> Path:
    """Resolve the config, train with the progress display, print the summary table."""
    from rlvrlab.train.run import distributed_state, is_finished, train_from_cli

    if options.get("resume") and is_finished(Path(options["out"])):
        console.print(f"{options['out']} is already finished (final/ is saved): --resume did nothing")
        return Path(options["out"])
    run_dir = train_from_cli(**options, callbacks=[TrainProgress(console)])
    state = distributed_state()
    # Under `accelerate launch`, end the gloo/NCCL group while Python is fully alive: a group left to the
    # interpreter's teardown can abort a rank ("terminate called without an active exception", SIGABRT)
    # after a successful run (seen once in CI; pytorch/pytorch#179291). No-op in a single process.
    state.wait_for_everyone()
    state.destroy_process_group()
    if state.is_main_process:
        console.print(summary_table(run_dir))
        console.print(f"model: {run_dir / 'final'}", highlight=False, markup=False)
    return run_dir
