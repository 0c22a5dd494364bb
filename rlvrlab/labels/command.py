"""The `rlvr label` command body: options from plain CLI arguments, a progress bar while sampling, then a
summary table of how good the labels are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rlvrlab.labels.run import LabelOptions, run_labelling


def summary_table(stats: dict[str, Any], out: Path) -> Any:
    """Label accuracy, wrong and empty labels, the incorrect set's size and the vote-share histogram."""
    from rich.table import Table

    accuracy = stats["label_accuracy"]
    table = Table("", "", title=f"{out}: {stats['n_problems']} problems labelled", show_header=False)
    table.add_row("label accuracy (vs ground truth)", "n/a" if accuracy is None else f"{accuracy:.1%}")
    table.add_row("wrong labels", str(stats["n_incorrect"]))
    table.add_row("problems without any answer", str(stats["n_no_answer"]))
    table.add_row("incorrect.jsonl", f"{stats['n_incorrect_set']} problems")
    table.add_row(
        "vote share histogram (10 bins on [0, 1])",
        " ".join(map(str, stats["vote_share_histogram"]["counts"])),
    )
    table.caption = f"all.jsonl, correct.jsonl, incorrect.jsonl, stats.json in {out}"
    return table


def label_command(
    console: Any,
    *,
    out: Path,
    backend: str,
    limit: int | None,
    resume: bool,
    batch_size: int,
    **settings: Any,
) -> None:
    """Run `run_labelling` with a progress bar and print the summary table."""
    from rlvrlab.console import StepProgress

    if backend not in ("hf", "vllm"):
        raise ValueError(f"--backend must be hf or vllm, got {backend!r}")
    options = LabelOptions(**settings)
    with StepProgress(console, "labelling", total=limit or 1, unit="problems", lines=10) as bar:
        stats = run_labelling(
            options,
            out,
            backend=backend,
            limit=limit,
            resume=resume,
            batch_size=batch_size,
            on_progress=lambda done, total: bar.update(done, total=total),
        )
    console.print(summary_table(stats, out))
