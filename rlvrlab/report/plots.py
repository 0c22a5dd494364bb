"""PNG plots for the report (matplotlib, Agg backend: no display, no fonts or files from the network).

Each function writes one PNG and returns whether it drew anything, so the page never links an empty
plot. Runs keep one colour across every panel (colour = run, line style = metric inside a panel).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rlvrlab.analysis.evals import TRANSITIONS
from rlvrlab.analysis.runs import RunCurves, group_metrics

logger = logging.getLogger(__name__)

_STYLES = ("-", "--", ":", "-.")
_DPI = 110


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def run_colours(names: list[str]) -> dict[str, Any]:
    """A stable colour per run name (tab10, then tab20 past ten runs)."""
    plt = _pyplot()
    cmap = plt.get_cmap("tab10" if len(names) <= 10 else "tab20")
    return {name: cmap(i % cmap.N) for i, name in enumerate(names)}


def plot_curve_group(runs: list[RunCurves], title: str, ylabel: str, pattern: str, path: Path) -> bool:
    """Overlay every run's metrics matching `pattern` vs step; False (no file) when no run logged any."""
    plt = _pyplot()
    colours = run_colours([r.name for r in runs])
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    drawn = 0
    for run in runs:
        for i, metric in enumerate(group_metrics(run, pattern)):
            steps, values = run.curves[metric]
            label = run.name if len(group_metrics(run, pattern)) == 1 else f"{run.name}: {metric}"
            marker = "o" if steps.size < 30 else None
            ax.plot(
                steps,
                values,
                _STYLES[i % len(_STYLES)],
                color=colours[run.name],
                label=label,
                marker=marker,
                ms=3,
            )
            drawn += 1
    if drawn:
        ax.set(title=title, xlabel="training step (rollout)", ylabel=ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best", ncol=2 if drawn > 6 else 1)
        fig.tight_layout()
        fig.savefig(path, dpi=_DPI)
    plt.close(fig)
    return drawn > 0


def plot_eval_accuracy(stats: list[dict[str, Any]], path: Path) -> bool:
    """Grouped bars per eval: accuracy overall / with code / without code, code rate as a marker."""
    if not stats:
        return False
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(6.4, 0.9 * len(stats) + 2), 3.8))
    width = 0.26
    labels = [f"{s['name']}\n{s['benchmark']}" for s in stats]
    series = [
        ("overall", [s["accuracy"] for s in stats], "#4c72b0"),
        ("with code", [s["with_code"]["accuracy"] for s in stats], "#dd8452"),
        ("without code", [s["without_code"]["accuracy"] for s in stats], "#55a868"),
    ]
    for j, (name, values, colour) in enumerate(series):
        xs = [i + (j - 1) * width for i in range(len(stats))]
        ax.bar(xs, [100 * (v or 0) for v in values], width, label=f"accuracy {name}", color=colour)
        for x, v in zip(xs, values, strict=True):
            if v is None:
                ax.text(x, 1, "n/a", ha="center", fontsize=6)
    ax.plot(range(len(stats)), [100 * s["code_rate"] for s in stats], "kD", label="code rate")
    ax.set_xticks(range(len(stats)), labels, fontsize=7)
    ax.set(ylabel="%", ylim=(0, 105), title="Accuracy by reasoning mode (paper rule)")
    ax.legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)
    return True


def plot_transition(result: dict[str, Any], path: Path) -> bool:
    """Per transition subset: problem count (bar labels) and accuracy before vs after."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    rows = {row["subset"]: row for row in result["subsets"]}
    for j, (key, colour) in enumerate((("accuracy_before", "#8c8c8c"), ("accuracy_after", "#4c72b0"))):
        xs = [i + (j - 0.5) * 0.38 for i in range(len(TRANSITIONS))]
        values = [100 * (rows[t][key] or 0) for t in TRANSITIONS]
        ax.bar(xs, values, 0.38, color=colour, label=key.replace("accuracy_", "accuracy "))
    labels = [f"{t}\nn={rows[t]['n_problems']}" for t in TRANSITIONS]
    ax.set_xticks(range(len(TRANSITIONS)), labels, fontsize=8)
    ax.set(
        ylabel="accuracy (%)",
        ylim=(0, 100),
        title=f"{result['before']} -> {result['after']} ({result['benchmark']})",
    )
    ax.legend(fontsize=7)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)
    return True
