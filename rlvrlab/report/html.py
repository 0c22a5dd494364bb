"""A static report: index.html + PNG plots + a markdown twin (index.md), readable offline.

`write_report(inputs, out)` takes any mix of run dirs (RUN_DIR/metrics.jsonl) and eval dirs
(EVAL_DIR/samples.jsonl). Eval dirs found inside a run dir (up to two levels down) are included and
named "<run>/<sub dir>". No JavaScript, no CDN, no external fonts: images are PNG files next to
index.html with relative links, styles are inline.

Transitions: per benchmark, every eval is compared with one baseline eval, by default the first one
given (pass `baseline=<eval name>` to choose), so "before" is always the same checkpoint.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rlvrlab.analysis.evals import EvalSet, eval_stats, load_eval, transitions
from rlvrlab.analysis.runs import CURVE_GROUPS, RunCurves, is_run_dir, load_run, run_summary
from rlvrlab.report import plots
from rlvrlab.report.tables import (
    Table,
    contribution_table,
    eval_table,
    pct,
    run_table,
    to_html,
    to_markdown,
    transition_table,
)
from rlvrlab.sweep.discover import is_sweep_dir, sweep_inputs

logger = logging.getLogger(__name__)

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1400px;
       padding: 0 1rem; color: #222; line-height: 1.4; }
h1 { border-bottom: 2px solid #4c72b0; padding-bottom: .3rem; }
h2 { margin-top: 2.2rem; color: #2a4a80; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .85rem; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border: 1px solid #ccd; padding: .25rem .5rem; text-align: right; white-space: nowrap; }
th { background: #eef2f8; } td:first-child, th:first-child { text-align: left; }
tbody tr:nth-child(even) { background: #f8f9fb; }
.note { font-size: .8rem; color: #555; max-width: 60rem; }
.plots { display: flex; flex-wrap: wrap; gap: .8rem; }
.plots figure { margin: 0; flex: 0 1 calc(50% - .4rem); min-width: 420px; }
.plots img { width: 100%; border: 1px solid #dde; }
figcaption { font-size: .75rem; color: #555; }
.scroll { overflow-x: auto; }
"""


@dataclass
class _Section:
    """One report section: heading, intro text, tables, and (file name, caption) images."""

    heading: str
    intro: str = ""
    tables: list[Table] = field(default_factory=list)
    images: list[tuple[str, str]] = field(default_factory=list)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "x"


def collect_inputs(inputs: list[Path]) -> tuple[list[tuple[str, Path]], list[tuple[str, Path]]]:
    """(runs, evals) as (name, path); a path that is neither raises ValueError naming it."""
    runs: list[tuple[str, Path]] = []
    evals: list[tuple[str, Path]] = []
    for path in map(Path, inputs):
        if is_run_dir(path):
            runs.append((path.name, path))
            nested = sorted(path.glob("*/samples.jsonl")) + sorted(path.glob("*/*/samples.jsonl"))
            evals += [(f"{path.name}/{s.parent.relative_to(path).as_posix()}", s.parent) for s in nested]
        elif (path / "samples.jsonl").is_file() or (path.is_file() and path.suffix == ".jsonl"):
            evals.append((path.name if path.is_dir() else path.stem, path))
        else:
            raise ValueError(f"{path}: neither a run dir (metrics.jsonl) nor an eval dir (samples.jsonl)")
    for kind, items in (("run", runs), ("eval", evals)):
        names = [name for name, _ in items]
        if len(set(names)) != len(names):
            raise ValueError(
                f"report: two {kind}s share a name ({names}); runs are grouped by directory name"
            )
    return runs, evals


def _run_section(runs: list[RunCurves], out: Path) -> _Section:
    section = _Section(
        "Training runs",
        "Per-step curves from each run's metrics.jsonl, all runs overlaid (one colour per run). "
        "Missing metrics are left out, not filled in.",
        tables=[run_table([run_summary(r) for r in runs])],
    )
    for title, ylabel, pattern in CURVE_GROUPS:
        name = f"curve-{_slug(title)}.png"
        if plots.plot_curve_group(runs, title, ylabel, pattern, out / name):
            section.images.append((name, title))
    return section


def _eval_section(stats: list[dict[str, Any]], out: Path) -> _Section:
    section = _Section(
        "Evaluations",
        'Code reasoning (the paper\'s rule: the response mentions "python") and accuracy by mode.',
        tables=[eval_table(stats)],
    )
    if plots.plot_eval_accuracy(stats, out / "eval-accuracy.png"):
        section.images.append(("eval-accuracy.png", "Accuracy overall / with / without code"))
    return section


def _pairs(evals: list[EvalSet], baseline: str | None) -> list[tuple[EvalSet, EvalSet]]:
    """(baseline, other) per benchmark; the baseline is the named eval, else the first one given."""
    by_benchmark: dict[str, list[EvalSet]] = {}
    for ev in evals:
        by_benchmark.setdefault(ev.benchmark, []).append(ev)
    pairs = []
    for group in by_benchmark.values():
        base = next((ev for ev in group if ev.name == baseline), group[0])
        pairs += [(base, ev) for ev in group if ev is not base]
    return pairs


def _transition_section(results: list[dict[str, Any]], out: Path) -> _Section:
    section = _Section(
        "Code/Lang transitions and partial contributions",
        "Per problem, the mode (Code when most samples use code, else Lang) before and after; partial "
        "contribution = change in correct answers inside a subset / overall change.",
        tables=[contribution_table(results), *(transition_table(r) for r in results)],
    )
    for r in results:
        name = f"transition-{_slug(r['benchmark'])}-{_slug(r['before'])}-{_slug(r['after'])}.png"
        if plots.plot_transition(r, out / name):
            section.images.append((name, f"{r['before']} -> {r['after']} on {r['benchmark']}"))
    return section


def _sweep_section(sweeps: list[Path], out: Path) -> _Section:
    """The headline of sweep folders (rlvrlab.sweep.discover): accuracy change per condition and model,
    pooled over seeds and problems, as a table and one figure per benchmark."""
    from rlvrlab.sweep.discover import headline_rows, plot_headline

    rows = [row for sweep in sweeps for row in headline_rows(sweep)]
    table = Table(
        "Accuracy change per model and condition (points; 95% interval over seeds x problems)",
        [
            "model",
            "condition",
            "benchmark",
            "seeds",
            "problems",
            "accuracy base -> final",
            "change",
            "code rate change",
        ],
    )
    for r in rows:
        table.rows.append(
            [r["model"], r["condition"], r["benchmark"], ", ".join(map(str, r["seeds"])), str(r["n_problems"]),
             f"{pct(r['accuracy_base'])} -> {pct(r['accuracy_final'])}",
             _change(r["accuracy_change"], r["accuracy_change_ci95"]),
             _change(r["code_rate_change"], r["code_rate_change_ci95"])]
        )  # fmt: skip
    section = _Section(
        "Headline: accuracy change after training",
        "Each cell's final eval against its base model's.",
        [table],
    )
    for benchmark in dict.fromkeys(r["benchmark"] for r in rows):
        name = f"headline-{_slug(benchmark)}.png"
        if plot_headline(rows, out / name, benchmark):
            section.images.append((name, f"Accuracy change on {benchmark}"))
    return section


def _change(mean: float, ci: list[float]) -> str:
    return f"{100 * mean:+.1f} [{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}]"


def _sweep_pairs(sweeps: list[Path], evals: list[EvalSet]) -> list[tuple[EvalSet, EvalSet]]:
    """(base eval, cell eval) per benchmark: in a sweep every cell is compared with its own base model."""
    from rlvrlab.sweep.discover import sweep_cells

    by_name = {(ev.name, ev.benchmark): ev for ev in evals}
    pairs = []
    for cell in (c for sweep in sweeps for c in sweep_cells(sweep) if c.base_dir is not None):
        for (name, benchmark), ev in by_name.items():
            if name == f"{cell.name}/eval" and (cell.base_dir.name, benchmark) in by_name:
                pairs.append((by_name[(cell.base_dir.name, benchmark)], ev))
    return pairs


def _page_html(title: str, sources: list[str], sections: list[_Section]) -> str:
    parts = [f"<h1>{html.escape(title)}</h1>", _sources_html(sources)]
    for s in sections:
        parts.append(f"<h2>{html.escape(s.heading)}</h2>\n<p>{html.escape(s.intro)}</p>")
        parts += [f'<div class="scroll">{to_html(t)}</div>' for t in s.tables]
        if s.images:
            figures = "".join(
                f'<figure><img src="{html.escape(f)}" alt="{html.escape(c)}"><figcaption>{html.escape(c)}</figcaption></figure>'
                for f, c in s.images
            )
            parts.append(f'<div class="plots">{figures}</div>')
    body = "\n".join(parts)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_CSS}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


def _sources_html(sources: list[str]) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    items = "".join(f"<li><code>{html.escape(s)}</code></li>" for s in sources)
    return f'<p class="note">Generated {stamp} by rlvrlab from:</p><ul class="note">{items}</ul>'


def _page_markdown(title: str, sources: list[str], sections: list[_Section]) -> str:
    lines = [f"# {title}", "", "Generated from:", "", *(f"- `{s}`" for s in sources), ""]
    for s in sections:
        lines += [f"## {s.heading}", "", s.intro, ""]
        lines += [to_markdown(t) for t in s.tables]
        lines += [f"![{c}]({f})\n" for f, c in s.images]
    return "\n".join(lines)


def write_report(
    inputs: list[Path],
    out: Path,
    title: str = "rlvrlab report",
    baseline: str | None = None,
    n_boot: int = 2000,
) -> Path:
    """Analyse run and eval dirs and write OUT/index.html, OUT/index.md and the PNGs; returns index.html."""
    if not inputs:
        raise ValueError("report: give at least one run or eval dir")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sweeps = [Path(p) for p in inputs if is_sweep_dir(Path(p))]  # a sweep folder: its base evals and runs
    inputs = [q for p in inputs for q in (sweep_inputs(Path(p)) if Path(p) in sweeps else [p])]
    run_inputs, eval_inputs = collect_inputs(inputs)
    runs = [load_run(path, name) for name, path in run_inputs]
    evals = [ev for name, path in eval_inputs for ev in load_eval(path, name)]
    sections = [_sweep_section(sweeps, out)] if sweeps else []
    if runs:
        sections.append(_run_section(runs, out))
    if evals:
        sections.append(_eval_section([eval_stats(ev, n_boot) for ev in evals], out))
    if baseline is not None and baseline not in {ev.name for ev in evals}:
        raise ValueError(f"report: no eval named {baseline!r} (have {sorted({ev.name for ev in evals})})")
    pairs = _sweep_pairs(sweeps, evals) if sweeps and baseline is None else _pairs(evals, baseline)
    if pairs:
        results = [transitions(a, b, n_boot=n_boot) for a, b in pairs]
        sections.append(_transition_section(results, out))
    sources = [str(p) for p in inputs]
    (out / "index.md").write_text(_page_markdown(title, sources, sections), encoding="utf-8")
    index = out / "index.html"
    index.write_text(_page_html(title, sources, sections), encoding="utf-8")
    logger.info("report: %d runs, %d evals, %d comparisons -> %s", len(runs), len(evals), len(pairs), index)
    return index
