"""The `rlvr label` command body: options from plain CLI arguments, a short summary on the console."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rlvrlab.labels.run import LabelOptions, run_labelling


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
    """Run `run_labelling` and print where the files are and how good the labels are."""
    if backend not in ("hf", "vllm"):
        raise ValueError(f"--backend must be hf or vllm, got {backend!r}")
    options = LabelOptions(**settings)
    stats = run_labelling(options, out, backend=backend, limit=limit, resume=resume, batch_size=batch_size)
    accuracy = stats["label_accuracy"]
    console.print(
        f"labelled {stats['n_problems']} problems -> {out}: label accuracy "
        f"{'n/a' if accuracy is None else f'{accuracy:.1%}'}, {stats['n_incorrect']} wrong labels, "
        f"{stats['n_no_answer']} without any answer; incorrect.jsonl: {stats['n_incorrect_set']} problems"
    )
    console.print(f"vote-share histogram (10 bins on [0, 1]): {stats['vote_share_histogram']['counts']}")
