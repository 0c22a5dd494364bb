"""PNG figures for the report (matplotlib, Agg backend: no display, no fonts or files from the network).

Every figure is drawn at the size the page shows it (`DPI` pixels per inch, images are never scaled up),
with constrained layout and legends outside the axes, so no legend covers data and no label is cut off;
`layout_problems` checks that from the artists' bounding boxes (the report's test runs it on every
figure). Each function returns the Figure; `save_figure` writes and closes it.
"""

from __future__ import annotations

import logging
import math
import re
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.ticker import MaxNLocator

from rlvrlab.analysis.evals import TRANSITIONS
from rlvrlab.analysis.runs import RunCurves

logger = logging.getLogger(__name__)

DPI = 100  # the page shows images at their natural size: 1 inch = 100 CSS pixels
WIDE = 12.8  # inches: a full-width figure in the 1400 px page
_FONT = {
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.labelsize": 9,
    "legend.fontsize": 8.5,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
}
SUBSET_COLOURS = dict(zip(TRANSITIONS, ("#4c72b0", "#dd8452", "#55a868", "#8c8c8c"), strict=True))


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update(_FONT)
    return plt


def colours(names: Sequence[str]) -> dict[str, Any]:
    """A stable colour per name (tab10, then tab20 past ten names)."""
    plt = _pyplot()
    cmap = plt.get_cmap("tab10" if len(names) <= 10 else "tab20")
    return {name: cmap(i % cmap.N) for i, name in enumerate(dict.fromkeys(names))}


def wrap(text: str, width: int = 22) -> str:
    """Break a label that is longer than `width` at ' · ' and ': ' first, then at spaces, so tick labels
    and titles stay inside their slot."""
    if len(text) <= width:
        return text
    lines: list[str] = []
    for part in text.replace(": ", ":\n").split("\n"):
        for piece in part.split(" · "):
            if lines and len(lines[-1]) + 3 + len(piece) <= width and not lines[-1].endswith(":"):
                lines[-1] += " · " + piece
            else:
                lines += textwrap.wrap(piece, width, break_long_words=True) or [""]
    return "\n".join(lines)


def save_figure(fig: Any, path: Path) -> None:
    fig.savefig(path, dpi=DPI)
    _pyplot().close(fig)


def layout_problems(fig: Any) -> list[str]:
    """What makes a figure unreadable, from the drawn artists' bounding boxes: a legend overlapping an
    axes' data area, a legend or tick label outside the figure, overlapping x tick labels in one axes."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    legends = list(fig.legends) + [ax.get_legend() for ax in axes if ax.get_legend() is not None]
    problems = []
    for legend in legends:
        box = legend.get_window_extent(renderer)
        problems += [f"legend overlaps axes {ax.get_title()!r}" for ax in axes if box.overlaps(ax.bbox)]
        if not _inside(box, page):
            problems.append("legend outside the figure")
    for ax in axes:
        low, high = sorted(ax.get_xlim())
        labels = [  # ticks past the axis limits are not drawn
            tick.label1
            for tick in ax.xaxis.get_major_ticks()
            if low <= tick.get_loc() <= high and tick.label1.get_visible() and tick.label1.get_text()
        ]
        boxes = [t.get_window_extent(renderer) for t in labels]
        for t, box in zip(labels, boxes, strict=True):
            if not _inside(box, page):
                problems.append(f"tick label {t.get_text()!r} outside the figure")
        for a, b in zip(boxes, boxes[1:], strict=False):
            if a.overlaps(b):
                problems.append(f"x tick labels overlap in axes {ax.get_title()!r}")
    return problems


def _inside(box: Any, page: Any, slack: float = 1.0) -> bool:
    return (
        box.x0 >= page.x0 - slack
        and box.y0 >= page.y0 - slack
        and box.x1 <= page.x1 + slack
        and box.y1 <= page.y1 + slack
    )


def headline_figure(changes: list[Any], benchmark: str) -> Any:
    """The paper's Figure 1: change after training per model (groups) and reward (colours), 95% intervals;
    accuracy on top, code rate below."""
    plt = _pyplot()
    groups = list(dict.fromkeys(c.cell.group for c in changes))
    rewards = list(dict.fromkeys(c.cell.label for c in changes))
    palette = colours(rewards)
    fig, axes = plt.subplots(2, 1, figsize=(WIDE, 7.4), layout="constrained", sharex=True)
    cells = {(c.cell.group, c.cell.label) for c in changes}
    present = {g: [r for r in rewards if (g, r) in cells] for g in groups}  # each model's own rewards
    starts, end = {}, 0.0  # x in bar widths: a model's bars side by side, 1.5 bars between models
    for group in groups:
        starts[group], end = end, end + len(present[group]) + 1.5
    bar_inches = WIDE * 0.9 / (end - 1.5)
    for ax, key, what in ((axes[0], "accuracy", "accuracy"), (axes[1], "code", "code rate")):
        for reward in rewards:
            xs, means, errors = [], [], [[], []]
            for group in groups:
                found = next((c for c in changes if c.cell.group == group and c.cell.label == reward), None)
                if found is None:
                    continue
                change = getattr(found, key)
                xs.append(starts[group] + present[group].index(reward) + 0.5)
                means.append(100 * change.mean)
                low, high = (0.0, 0.0) if math.isnan(change.low) else (change.low, change.high)
                errors[0].append(100 * (change.mean - low))
                errors[1].append(100 * (high - change.mean))
            ax.bar(
                xs,
                means,
                0.92,
                yerr=errors,
                color=palette[reward],
                label=reward,
                error_kw={"elinewidth": 1, "capsize": 2, "ecolor": "#333"},
            )
            _bar_values(ax, xs, means, errors, bar_inches)
        ax.axhline(0, color="#333", linewidth=0.8)
        ax.set_ylabel(f"{what} change (points)")
        ax.set_title(
            f"{what.capitalize()} change after training on {benchmark} (95% interval over seeds x problems)"
        )
        ax.grid(axis="y", alpha=0.3)
        ax.margins(y=0.18)
    axes[1].set_xticks([starts[g] + len(present[g]) / 2 for g in groups], [wrap(g, 30) for g in groups])
    fig.legend(
        *axes[0].get_legend_handles_labels(),
        loc="outside upper center",
        ncol=min(len(rewards), 4),
        frameon=False,
        title="reward",
    )
    return fig


def _bar_values(
    ax: Any, xs: list[float], means: list[float], errors: list[list[float]], inches: float
) -> None:
    """The change printed beyond each error bar; turned upright when bars are too thin for the text."""
    rotation = 90 if inches < 0.42 else 0
    for x, mean, below, above in zip(xs, means, *errors, strict=True):
        end = mean + above if mean >= 0 else mean - below
        ax.annotate(
            f"{mean:+.1f}",
            (x, end),
            xytext=(0, 2 if mean >= 0 else -2),
            textcoords="offset points",
            ha="center",
            va="bottom" if mean >= 0 else "top",
            fontsize=7,
            rotation=rotation,
        )


def dynamics_figure(
    panels: list[tuple[str, dict[str, list[RunCurves]]]], metric: str, title: str, ylabel: str
) -> Any | None:
    """Small multiples: one panel per reward cell (clip on and off side by side), one line per model
    (mean over seeds; band = min..max over seeds). None when no run logged `metric`."""
    drawn = [
        (name, runs) for name, runs in panels if any(metric in r.curves for rs in runs.values() for r in rs)
    ]
    if not drawn:
        return None
    plt = _pyplot()
    models = list(dict.fromkeys(m for _, runs in drawn for m in runs))
    palette = colours(models)
    cols = min(4, len(drawn))
    slots = twin_slots([name for name, _ in drawn], cols)
    fig, axes = _panel_grid(plt, len(slots), cols, top=0.5)
    for ax, slot in zip(axes.flat, slots, strict=False):
        if slot is None:
            continue
        name, runs = drawn[slot]
        for model, group in runs.items():
            steps, mean, low, high = _seed_band(group, metric)
            if steps.size == 0:
                continue
            ax.plot(
                steps, mean, color=palette[model], label=model, marker="o" if steps.size < 25 else None, ms=3
            )
            if len(group) > 1:
                ax.fill_between(steps, low, high, color=palette[model], alpha=0.18, linewidth=0)
        ax.set_title(wrap(name, 40))
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole rollouts
    used = [slot is not None for slot in slots] + [False] * (axes.size - len(slots))
    for i, ax in enumerate(axes.flat):
        if not used[i]:
            ax.set_visible(False)
        elif not any(used[i + cols :: cols]):  # nothing drawn below: this panel carries the x axis
            ax.set_xlabel("training step (rollout)")
            ax.xaxis.set_tick_params(labelbottom=True)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel)
    handles = [plt.Line2D([], [], color=palette[m], marker="o", ms=3, label=m) for m in models]
    fig.legend(
        handles=handles,
        loc="outside upper center",
        ncol=min(len(models), 6),
        frameon=False,
        title=f"{title} (mean over seeds, band: min-max)",
    )
    return fig


def twin_slots(names: list[str], cols: int) -> list[int | None]:
    """Panel order for small multiples: each "... · clip off" cell right after its clip-on twin, and the
    pair on one row (None: an empty slot that starts the next row), as the paper sets clip on and off side
    by side. Indices into `names`."""
    plain = [re.sub(r" · clip \w+", "", n) for n in names]
    twins = {i: [j for j in range(len(names)) if j != i and plain[j] == names[i]] for i in range(len(names))}
    placed = {j for js in twins.values() for j in js}
    slots: list[int | None] = []
    for i in (i for i in range(len(names)) if i not in placed):
        block = [i, *twins[i]]
        if 1 < len(block) <= cols and len(slots) % cols + len(block) > cols:
            slots += [None] * (cols - len(slots) % cols)
        slots += block
    return slots


def _seed_band(runs: list[RunCurves], metric: str) -> tuple[np.ndarray, ...]:
    """(steps, mean, min, max) over the runs that logged `metric`, on the steps every one of them has."""
    curves = [r.curves[metric] for r in runs if metric in r.curves]
    if not curves:
        return (np.array([]),) * 4
    steps = curves[0][0]
    for s, _ in curves[1:]:
        steps = np.intersect1d(steps, s)
    values = np.array([v[np.searchsorted(s, steps)] for s, v in curves])
    return steps, values.mean(axis=0), values.min(axis=0), values.max(axis=0)


def transition_figure(result: dict[str, Any], title: str) -> Any:
    """One comparison, compact: accuracy points each Code/Lang subset adds to the change (bars sum to the
    overall change, dashed), with the subset's share of problems under its name."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.1, 2.9), layout="constrained")
    rows = {row["subset"]: row for row in result["subsets"]}
    n = result["n_problems"]
    # rounded: a sum of float fractions that is zero must not draw a 1e-17 axis
    values = [round(100 * rows[t]["delta_correct"] / n, 9) + 0.0 for t in TRANSITIONS]
    ax.bar(range(4), values, 0.65, color=[SUBSET_COLOURS[t] for t in TRANSITIONS])
    ax.axhline(0, color="#333", linewidth=0.8)
    mean, low, high = result["accuracy_change_ci95"]
    ax.axhline(round(100 * mean, 9), color="#c44e52", linestyle="--", linewidth=1)
    if max(abs(v) for v in [*values, round(100 * mean, 9)]) == 0:
        ax.set_ylim(-1, 1)  # nothing changed: a plain +-1 point axis
    labels = [f"{t.replace('->', '→')}\n{100 * rows[t]['n_problems'] / n:.0f}%" for t in TRANSITIONS]
    ax.set_xticks(range(4), labels, fontsize=7.5)
    ax.set_xlabel("transition (share of problems)", fontsize=7.5)
    ax.set_ylabel("accuracy points")
    ax.set_title(
        f"{wrap(title, 48)}\nchange {100 * mean:+.1f} [{100 * low:+.1f}, {100 * high:+.1f}] (dashed)",
        fontsize=8.5,
    )
    ax.grid(axis="y", alpha=0.3)
    ax.margins(y=0.15)
    return fig


def eval_accuracy_figure(stats: list[dict[str, Any]]) -> Any:
    """Horizontal bars per eval: accuracy overall / with code / without code, code rate as a marker.
    Names are on the y axis, so any number of evals stays readable."""
    plt = _pyplot()
    labels = [f"{s['name']} ({s['benchmark']})" for s in stats]
    fig, ax = plt.subplots(figsize=(WIDE, 1.3 + 0.42 * len(stats)), layout="constrained")
    height = 0.26
    series = (
        ("overall", "accuracy", "#4c72b0"),
        ("with code", "with_code", "#dd8452"),
        ("without code", "without_code", "#55a868"),
    )
    for j, (name, key, colour) in enumerate(series):
        values = [s[key] if key == "accuracy" else s[key]["accuracy"] for s in stats]
        ys = [i + (j - 1) * height for i in range(len(stats))]
        ax.barh(ys, [100 * (v or 0) for v in values], height, label=f"accuracy {name}", color=colour)
    rates = [100 * (s["code_rate"] or 0) for s in stats]
    ax.plot(rates, range(len(stats)), "kD", ms=4, label="code rate", clip_on=False)  # whole at 0 and 100
    ax.set_yticks(range(len(stats)), [wrap(label, 60) for label in labels])
    ax.invert_yaxis()
    ax.set(xlabel="%", xlim=(0, 100))
    ax.set_title("Accuracy by reasoning mode (paper rule: the response mentions python)")
    ax.grid(axis="x", alpha=0.3)
    fig.legend(loc="outside upper center", ncol=4, frameon=False)
    return fig


def _panel_grid(plt: Any, n: int, cols: int, top: float) -> tuple[Any, Any]:
    """Small multiples: `n` panels in rows of `cols`, page-wide, 2.4 in per row, shared axes."""
    rows = math.ceil(n / cols)
    return plt.subplots(rows, cols, figsize=(WIDE, top + 2.4 * rows), layout="constrained",
                        sharex=True, sharey=True, squeeze=False)  # fmt: skip


def mechanism_figure(mechanism: Any) -> Any | None:
    """Per arm: p(majority mode) and expected accuracy per rollout (used when mechanism.png is missing)."""
    arms = [a for a in mechanism.arms if a.p_majority or a.expected_accuracy]
    if not arms:
        return None
    plt = _pyplot()
    fig, axes = _panel_grid(plt, len(arms), min(4, len(arms)), top=0.6)
    for ax, arm in zip(axes.flat, arms, strict=False):
        ax.plot(arm.p_majority, color="C0", label="p(majority mode)")
        ax.plot(arm.expected_accuracy, color="C2", linestyle="--", label="expected accuracy")
        ax.set(title=wrap(arm.name, 40), ylim=(0, 1), xlabel="rollout")
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(arms) :]:
        ax.set_visible(False)
    handles = [
        plt.Line2D([], [], color="C0", label="p(majority mode)"),
        plt.Line2D([], [], color="C2", linestyle="--", label="expected accuracy"),
    ]
    fig.legend(handles=handles, loc="outside upper center", ncol=2, frameon=False)
    return fig
