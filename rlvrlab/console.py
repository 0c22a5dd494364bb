"""What the terminal shows: one rich progress display per long command, then a summary table.

The library never prints (it logs); commands build their display from the pieces here:
- `make_console`: stdout. When stdout is not a terminal (piped, CI logs) rich would cut every table to
  80 columns; the width is then `PIPE_WIDTH`, so piped output is never truncated.
- `quiet_dependencies`: output a user cannot act on is switched off, for this process and the worker
  processes it starts (environment variables are inherited): Hugging Face progress bars (weight loading,
  shard writing, dataset filtering) and the warnings listed in `DEPENDENCY_WARNINGS`.
- `StepProgress`: one bar with steps, elapsed time, ETA and a few key metrics. On a terminal it redraws
  in place; in a pipe it prints at most `lines` plain lines, so a log file stays small.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import warnings
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

PIPE_WIDTH = 300  # columns when stdout is not a terminal: tables take their natural width, cells fold past it
# (category, message prefix) of dependency warnings that say nothing a user of rlvr can act on
DEPENDENCY_WARNINGS: tuple[tuple[type[Warning], str], ...] = (
    (FutureWarning, "`is_gradient_checkpointing` is deprecated"),  # transformers 5.23, called by TRL 1.16
)
TRL_LOG_NAME = (
    "rlvrlab.train.trl_log"  # rlvrlab.train.callbacks.TRL_LOG (not imported: it loads transformers)
)
QUIET_ENV = {
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # "Loading weights", "Writing model shards" (transformers via hub)
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",  # "Filter: 100%" when training prompts are filtered
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
}


def make_console() -> Console:
    """The CLI's stdout console; wide (not 80 columns) when piped."""
    return Console() if sys.stdout.isatty() else Console(width=PIPE_WIDTH)


def quiet_dependencies() -> None:
    """Switch off dependency output a user cannot act on, here and in worker processes started later
    (a variable the user set explicitly is kept)."""
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    entries = [f"ignore:{message}:{category.__name__}" for category, message in DEPENDENCY_WARNINGS]
    inherited = [e for e in os.environ.get("PYTHONWARNINGS", "").split(",") if e]
    os.environ["PYTHONWARNINGS"] = ",".join(dict.fromkeys(inherited + entries))
    for category, message in DEPENDENCY_WARNINGS:
        warnings.filterwarnings("ignore", message=re.escape(message), category=category)
    if os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1" and "huggingface_hub" in sys.modules:
        from huggingface_hub.utils import disable_progress_bars  # already imported: the variable came late

        disable_progress_bars()
    if os.environ["HF_DATASETS_DISABLE_PROGRESS_BARS"] == "1" and "datasets" in sys.modules:
        from datasets.utils.logging import disable_progress_bar

        disable_progress_bar()
    if os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1" and "transformers" in sys.modules:
        from transformers.utils.logging import disable_progress_bar as disable_transformers_bar

        disable_transformers_bar()


def setup_logging(verbose: bool = False) -> None:
    """Log records go to stderr through rich (so they print above a live progress display): warnings and
    errors; with `verbose` also INFO and the raw TRL log dicts that otherwise go only to RUN_DIR/train.log.
    The root logger stays at INFO, so a run's train.log gets INFO records either way."""
    from rich.logging import RichHandler

    err = Console(stderr=True) if sys.stderr.isatty() else Console(stderr=True, width=PIPE_WIDTH)
    handler = RichHandler(console=err, show_time=False, show_path=False, markup=False)
    handler.setLevel(logging.INFO if verbose else logging.WARNING)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", handlers=[handler], force=True)
    trl_log = logging.getLogger(TRL_LOG_NAME)
    for old in [h for h in trl_log.handlers if isinstance(h, RichHandler)]:
        trl_log.removeHandler(old)
    if verbose:
        trl_log.addHandler(handler)


def metric_text(metrics: dict[str, float | None]) -> str:
    """ "reward 0.52 · accuracy 61.2% · code 64.0% · clip 0.03%" from the keys present."""
    formats = {"reward": "{:.3f}", "accuracy": "{:.1%}", "code": "{:.1%}", "clip": "{:.2%}"}
    parts = []
    for name, value in metrics.items():
        if value is not None:
            parts.append(f"{name} " + formats.get(name, "{:.3g}").format(value))
    return " · ".join(parts)


class StepProgress:
    """One progress display: `with StepProgress(console, "train", total=30, unit="steps") as bar:
    bar.update(done, metrics)`; `bar.print(...)` prints above the bar."""

    def __init__(self, console: Console, description: str, total: int, unit: str = "steps", lines: int = 20):
        self.console = console
        self.total, self.lines = max(total, 1), max(lines, 1)
        self.every = max(1, self.total // self.lines)
        self.started = time.monotonic()
        self.last_line = -1
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn(unit),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[metrics]}"),
            console=console,
            disable=not console.is_terminal,
        )
        self.task = self.progress.add_task(description, total=self.total, metrics="")
        self.description, self.unit = description, unit

    def __enter__(self) -> StepProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.stop()

    def update(
        self,
        done: int,
        metrics: dict[str, float | None] | None = None,
        total: int | None = None,
        note: str = "",
    ) -> None:
        """Move the bar to `done`; in a pipe, print a line every `total / lines` steps and at the end.
        `note` (e.g. what just finished) is printed above the bar on a terminal, on the line in a pipe."""
        if total is not None and max(total, 1) != self.total:
            self.total = max(total, 1)
            self.every = max(1, self.total // self.lines)
        text = metric_text(metrics or {})
        self.progress.update(self.task, completed=done, total=self.total, metrics=text)
        if self.console.is_terminal:
            if note:
                self.console.print(note, highlight=False, markup=False)
        elif done - self.last_line >= self.every or done >= self.total:
            self.last_line = done
            parts = [f"{self.description}: {done}/{self.total} {self.unit} {self._times(done)}", text, note]
            self.console.print(" ".join(p for p in parts if p), highlight=False, markup=False)

    def _times(self, done: int) -> str:
        elapsed = time.monotonic() - self.started
        eta = elapsed / done * (self.total - done) if done else float("nan")
        return f"({_duration(elapsed)}, ETA {_duration(eta)})"

    def print(self, *objects: Any, **kwargs: Any) -> None:
        self.console.print(*objects, **kwargs)


def _duration(seconds: float) -> str:
    if seconds != seconds:  # NaN: no estimate yet
        return "?"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}" if minutes < 60 else f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"


def rows_metrics(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    """Accuracy and code rate (paper rule, stored `uses_code`) of graded sample rows so far."""
    if not rows:
        return {}
    return {
        "accuracy": sum(bool(r.get("correct")) for r in rows) / len(rows),
        "code": sum(bool(r.get("uses_code")) for r in rows) / len(rows),
    }


class EvalProgress:
    """`on_progress` for `run_eval`: one bar per benchmark in turn (samples done, running accuracy and
    code rate); use as a context manager so the last bar is closed."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.bar: StepProgress | None = None
        self.benchmark: str | None = None
        self.rows: list[dict[str, Any]] = []

    def __call__(self, benchmark: str, done: int, total: int, rows: list[dict[str, Any]]) -> None:
        if benchmark != self.benchmark:
            self.close()
            self.benchmark, self.rows = benchmark, []
            self.bar = StepProgress(self.console, benchmark, total, unit="samples", lines=10).__enter__()
        self.rows.extend(rows)
        assert self.bar is not None
        self.bar.update(done, rows_metrics(self.rows))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __enter__(self) -> EvalProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def job_note(out: Any, label: str) -> str:
    """One line about a finished demo job: for a training run (OUT/runs/LABEL), its last step's key metrics
    and its final eval's accuracy and code rate."""
    import json
    from pathlib import Path

    run = Path(out) / "runs" / label
    if not (run / "metrics.jsonl").is_file():
        return f"done: {label}"
    from rlvrlab.data import read_jsonl
    from rlvrlab.train.command import key_metrics

    rows = read_jsonl(run / "metrics.jsonl")
    text = f"done: {label}: last step {metric_text(key_metrics(rows[-1]))}" if rows else f"done: {label}"
    summary = run / "eval" / "summary.json"
    if summary.is_file():
        for name, m in json.loads(summary.read_text(encoding="utf-8"))["benchmarks"].items():
            text += f"; {name} {metric_text({'accuracy': m.get('accuracy'), 'code': m.get('code_rate')})}"
    return text


class JobProgress:
    """`on_progress` for `rlvr demo`: jobs done of all, elapsed and ETA, one note per finished job."""

    def __init__(self, console: Console, out: Any) -> None:
        self.console, self.out = console, out
        self.bar: StepProgress | None = None

    def __call__(self, label: str, done: int, total: int, elapsed: float) -> None:
        if self.bar is None:  # the first call comes when the first job is done: count from the start
            self.bar = StepProgress(self.console, "demo", total, unit="jobs", lines=total).__enter__()
            self.bar.started = time.monotonic() - elapsed
        self.bar.update(done, total=total, note=job_note(self.out, label))

    def __enter__(self) -> JobProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def findings_table(findings: dict[str, Any]) -> Any:
    """The demo's measured cells as one table (FINDINGS.md has the same numbers)."""
    from rich.table import Table

    table = Table(
        "family",
        "reward",
        "seeds",
        "accuracy base -> final",
        "change [95% CI]",
        "code rate base -> final",
        title="rlvr demo: accuracy and code-rate change per reward (points)",
    )
    for r in findings["cells"]:
        low, high = r["accuracy_diff_ci95"]
        table.add_row(
            r["family"],
            r["cell"],
            str(len(r["seeds"])),
            f"{_pct(r['accuracy_base'])} -> {_pct(r['accuracy_final'])}",
            f"{100 * r['accuracy_diff']:+.1f} [{100 * low:+.1f}, {100 * high:+.1f}]",
            f"{_pct(r['code_rate_base'])} -> {_pct(r['code_rate_final'])}",
        )
    return table


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"
