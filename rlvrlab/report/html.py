"""A static report in the shape of the paper's figures: index.html + PNGs + a markdown twin (index.md).

`write_report(inputs, out)` takes any mix of run folders (RUN/metrics.jsonl), eval folders
(EVAL/samples.jsonl) and mechanism-lab folders (mechanism.json). Eval folders inside a run folder (up to
two levels down) are that run's evals, named "<run>/<sub folder>". The page, in order:
1. Headline (the paper's Figure 1): accuracy and code-rate change per reward (colours) and model
   (groups), 95% intervals pooled over seeds x problems; runs are grouped into cells and paired with base
   evals by `rlvrlab.analysis.cells`. With evals only, every eval is compared with the baseline eval.
2. Training dynamics: small multiples, one panel per reward cell (clip on and off side by side), one
   line per model, for code rate, accuracy, clip fractions, sampled-token probability, entropy.
3. Code/Lang transitions: one compact figure per comparison; partial contributions only where the
   change is significant.
4. The mechanism lab's figure and arms, when a mechanism folder is given.
5. Per-eval detail (accuracy by reasoning mode), per-run table, sources.
No JavaScript, no CDN, no external fonts: PNGs sit next to index.html with relative links, styles inline.
Every string from the inputs (folder, model and reward names) is HTML-escaped; index.md escapes it too.
"""

from __future__ import annotations

import html
import logging
import re
import shutil
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rlvrlab.analysis.cells import (
    Cell,
    CellChange,
    EvalDir,
    RunPair,
    cell_changes,
    change_of,
    group_cells,
    model_name,
    pair_runs,
    read_eval_dir,
    reward_label,
)
from rlvrlab.analysis.evals import eval_stats, transitions
from rlvrlab.analysis.runs import is_run_dir, load_run, run_summary
from rlvrlab.report import plots
from rlvrlab.report.mechanism import Mechanism, is_mechanism_dir, load_mechanism, mechanism_table
from rlvrlab.report.tables import (
    Table,
    contribution_table,
    eval_table,
    headline_table,
    md_code,
    md_text,
    run_table,
    to_html,
    to_markdown,
    transition_table,
)

logger = logging.getLogger(__name__)

# (figure title, y label, metric) for the training-dynamics small multiples, in the paper's order
DYNAMICS: tuple[tuple[str, str, str], ...] = (
    ("Code rate", "fraction using code", "train/code_rate"),
    ("Training accuracy (vs ground truth)", "accuracy", "train/accuracy"),
    ("Clip fraction, low side (ratio < 1-eps, A < 0)", "token fraction", "clip/low_fraction"),
    ("Clip fraction, high side (ratio > 1+eps, A > 0)", "token fraction", "clip/high_fraction"),
    ("Mean probability of sampled tokens", "probability", "policy/mean_token_prob"),
    ("Policy entropy", "nats / token", "policy/entropy"),
    ("Mean total reward", "reward", "reward/total/mean"),
)

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem auto; max-width: 1360px;
       padding: 0 1rem; color: #222; line-height: 1.4; }
h1 { border-bottom: 2px solid #4c72b0; padding-bottom: .3rem; font-size: 1.6rem; }
h2 { margin-top: 2rem; color: #2a4a80; } h3 { margin: 1.2rem 0 .3rem; font-size: 1rem; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .82rem; max-width: 100%; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border: 1px solid #ccd; padding: .2rem .45rem; text-align: right; vertical-align: top; }
th { background: #eef2f8; } .name { text-align: left; }
td.name { overflow-wrap: anywhere; min-width: 8rem; max-width: 24rem; }
tbody tr:nth-child(even) { background: #f8f9fb; }
.note { font-size: .8rem; color: #555; max-width: 62rem; }
figure { margin: .6rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #dde; }
.grid { display: flex; flex-wrap: wrap; gap: .6rem; } .grid figure { margin: 0; }
figcaption { font-size: .75rem; color: #555; max-width: 60rem; }
details { margin: .6rem 0; } summary { cursor: pointer; color: #2a4a80; }
code { overflow-wrap: anywhere; }
"""


@dataclass
class _Section:
    """One report section: heading, intro text, then blocks in order (tables, images, collapsed tables)."""

    heading: str
    intro: str = ""
    blocks: list[tuple[str, Any]] = field(default_factory=list)  # ("table", Table) | ("images", [...])

    def table(self, table: Table) -> None:
        self.blocks.append(("table", table))

    def images(self, images: list[tuple[str, str]], grid: bool = False) -> None:
        if images:
            self.blocks.append(("grid" if grid else "images", images))

    def details(self, summary: str, tables: list[Table]) -> None:
        if tables:
            self.blocks.append(("details", (summary, tables)))


@dataclass
class _Inputs:
    runs: list[tuple[str, Path]] = field(default_factory=list)
    evals: list[tuple[str, Path]] = field(default_factory=list)
    mechanisms: list[tuple[str, Path]] = field(default_factory=list)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60] or "x"


def collect_inputs(inputs: list[Path]) -> _Inputs:
    """Runs, evals and mechanism folders as (name, path); a sweep folder (`rlvr sweep --out`) stands for its
    base evals and runs. A path that is none of these raises ValueError naming it."""
    from rlvrlab.sweep.discover import is_sweep_dir, sweep_inputs

    found = _Inputs()
    expanded = [q for p in map(Path, inputs) for q in (sweep_inputs(p) if is_sweep_dir(p) else [p])]
    for path in expanded:
        if is_run_dir(path):
            found.runs.append((path.name, path))
            nested = sorted(path.glob("*/samples.jsonl")) + sorted(path.glob("*/*/samples.jsonl"))
            found.evals += [
                (f"{path.name}/{s.parent.relative_to(path).as_posix()}", s.parent) for s in nested
            ]
        elif (path / "samples.jsonl").is_file() or (path.is_file() and path.suffix == ".jsonl"):
            found.evals.append((path.name if path.is_dir() else path.stem, path))
        elif is_mechanism_dir(path):
            found.mechanisms.append((path.name, path))
        else:
            raise ValueError(
                f"{path}: neither a run dir (metrics.jsonl), an eval dir (samples.jsonl) nor a mechanism "
                "dir (mechanism.json)"
            )
    for kind, items in (("run", found.runs), ("eval", found.evals), ("mechanism", found.mechanisms)):
        names = [name for name, _ in items]
        if len(set(names)) != len(names):
            raise ValueError(
                f"report: two {kind}s share a name ({names}); they are told apart by folder name"
            )
    return found


class _Images:
    """Unique, safe PNG names in the output folder; every figure is saved through `plots.save_figure`."""

    def __init__(self, out: Path) -> None:
        self.out, self.used = out, set()

    def name(self, stem: str) -> str:
        base, i = _slug(stem), 1
        name = f"{base}.png"
        while name in self.used:
            i += 1
            name = f"{base}-{i}.png"
        self.used.add(name)
        return name

    def save(self, fig: Any, stem: str) -> str | None:
        if fig is None:
            return None
        name = self.name(stem)
        plots.save_figure(fig, self.out / name)
        return name


def _headline_section(changes: list[CellChange], images: _Images, eval_only: bool) -> _Section:
    intro = (
        "Change of accuracy and of the code-reasoning rate after training, per reward (colour) "
        "and model (group), as in the paper's Figure 1. Error bars: 95% intervals pooled over seeds and "
        "problems; each run's final eval is paired with the base eval of its model on the same problems."
    )
    if eval_only:
        intro = (
            "Every eval compared with the baseline eval on the problems both cover (95% paired intervals)."
        )
    section = _Section("Headline: what training changed", intro)
    for bench in dict.fromkeys(c.benchmark for c in changes):
        mine = [c for c in changes if c.benchmark == bench]
        name = images.save(plots.headline_figure(mine, bench), f"headline-{bench}")
        section.images([(name, f"Accuracy and code-rate change on {bench}")])
    section.table(headline_table(changes))
    return section


def _dynamics_section(cells: list[Cell], images: _Images) -> _Section:
    section = _Section(
        "Training dynamics",
        "One panel per reward (clip on and off side by side), one line per model: the mean over seeds, "
        "the band spans the seeds. From each run's metrics.jsonl; missing metrics are left out.",
    )
    panels: dict[str, dict[str, list[Any]]] = {}
    for cell in cells:
        panels.setdefault(cell.label, {}).setdefault(cell.group, []).extend(p.run for p in cell.pairs)
    ordered = list(panels.items())
    eval_metrics = sorted(
        {m for c in cells for p in c.pairs for m in p.run.curves if re.match(r"^eval/[^/]+/accuracy$", m)}
    )
    rows = list(DYNAMICS) + [
        (f"In-training eval accuracy ({m.split('/')[1]})", "accuracy", m) for m in eval_metrics
    ]
    for title, ylabel, metric in rows:
        name = images.save(plots.dynamics_figure(ordered, metric, title, ylabel), f"dynamics-{metric}")
        if name:
            section.images([(name, f"{title}: {metric} in metrics.jsonl")])
    return section


def _transition_section(compared: list[tuple[str, dict[str, Any]]], images: _Images) -> _Section:
    section = _Section(
        "Code/Lang transitions",
        "Per problem, the reasoning mode before and after (Code when most samples mention python, else "
        "Lang). Bars: accuracy points each subset adds; they sum to the overall change (dashed). Partial "
        "contributions are given only where the overall change's 95% interval excludes zero.",
    )
    figures = []
    for title, result in compared:
        name = images.save(
            plots.transition_figure(result, title), f"transition-{title}-{result['benchmark']}"
        )
        figures.append((name, f"{title} on {result['benchmark']}"))
    section.images(figures, grid=True)
    section.table(contribution_table(compared))
    section.details("Transition tables, one per comparison", [transition_table(r) for _, r in compared])
    return section


def _mechanism_section(mechanism: Mechanism, images: _Images) -> _Section:
    section = _Section(
        f"Mechanism lab: {mechanism.name}",
        "A bandit of reasoning modes trained with the paper's GRPO objective (rlvr sim mechanism): per arm, "
        "the probability of the majority mode and the expected accuracy per rollout.",
    )
    name = None
    if mechanism.figure is not None:
        name = images.name(f"mechanism-{mechanism.name}")
        shutil.copyfile(mechanism.figure, images.out / name)
    else:
        name = images.save(plots.mechanism_figure(mechanism), f"mechanism-{mechanism.name}")
    if name:
        section.images([(name, f"Mechanism lab: {mechanism.name}")])
    section.table(mechanism_table(mechanism))
    return section


def _eval_section(stats: list[dict[str, Any]], images: _Images) -> _Section:
    section = _Section(
        "Evaluations in detail",
        "Accuracy overall, with and without code reasoning (the paper's rule: the response mentions "
        '"python").',
    )
    section.images(
        [(images.save(plots.eval_accuracy_figure(stats), "eval-accuracy"), "Accuracy by reasoning mode")]
    )
    section.table(eval_table(stats))
    return section


def _runs_section(pairs: list[RunPair]) -> _Section:
    summaries = []
    for p in pairs:
        config = p.run.config
        summaries.append(
            {
                **run_summary(p.run),
                "model": model_name(config.get("model")),
                "reward": reward_label(config) if config else "-",
                "seed": config.get("seed", "-"),
            }
        )
    section = _Section("Training runs", "First and last logged value of each run's headline metrics.")
    section.table(run_table(summaries))
    return section


def _eval_only_changes(
    bases: list[EvalDir], baseline: str | None
) -> tuple[list[CellChange], list[tuple[str, dict]]]:
    """Without runs: every eval vs the baseline eval (the named one, else the first), per shared benchmark."""
    if len(bases) < 2:
        return [], []
    base = next((e for e in bases if e.name == baseline), bases[0])
    changes, compared = [], []
    for other in (e for e in bases if e is not base):
        for after in other.sets:
            before = base.benchmark(after.benchmark)
            if before is None:
                continue
            cell = Cell(group=f"vs {base.name}", label=other.name, reward="", clip="on")
            changes.append(change_of(cell, [(before, after)], (None,)))
            compared.append((f"{base.name} -> {other.name}", transitions(before, after)))
    return changes, compared


def _run_comparisons(cells: list[Cell]) -> list[tuple[str, dict[str, Any]]]:
    compared = []
    for cell in cells:
        for pair in cell.pairs:
            if pair.final is None or pair.base is None:
                continue
            for after in pair.final.sets:
                before = pair.base.benchmark(after.benchmark)
                if before is not None:
                    seed = f" · seed {pair.seed}" if pair.seed is not None else ""
                    compared.append((f"{cell.title}{seed}", transitions(before, after)))
    return compared


def build_sections(found: _Inputs, out: Path, baseline: str | None, n_boot: int) -> list[_Section]:
    runs = [load_run(path, name) for name, path in found.runs]
    evals = [read_eval_dir(path, name) for name, path in found.evals]
    mechanisms = [load_mechanism(path, name) for name, path in found.mechanisms]
    if baseline is not None and baseline not in {e.name for e in evals}:
        raise ValueError(f"report: no eval named {baseline!r} (have {sorted(e.name for e in evals)})")
    pairs, bases = pair_runs(runs, evals, baseline)
    cells = group_cells(pairs)
    changes = [c for cell in cells for c in cell_changes(cell)]
    compared = _run_comparisons(cells)
    if not runs:
        changes, compared = _eval_only_changes(bases, baseline)
    images = _Images(out)
    sections = []
    if changes:
        sections.append(_headline_section(changes, images, eval_only=not runs))
    if runs:
        sections.append(_dynamics_section(cells, images))
    if compared:
        sections.append(_transition_section(compared, images))
    sections += [_mechanism_section(mechanism, images) for mechanism in mechanisms]
    if evals:
        stats = [eval_stats(s, n_boot) for e in evals for s in e.sets]
        sections.append(_eval_section(stats, images))
    if runs:
        sections.append(_runs_section(pairs))
    return sections


def _png_size(path: Path) -> tuple[int, int] | None:
    """Width and height from a PNG header (so the page reserves the image's box before it loads)."""
    head = path.read_bytes()[:24] if path.is_file() else b""
    return struct.unpack(">II", head[16:24]) if head[:8] == b"\x89PNG\r\n\x1a\n" else None


def _figure_html(out: Path, name: str, caption: str, first: bool, grid: bool = False) -> str:
    size = _png_size(out / name)
    dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
    ident = ' id="headline"' if first else ""
    # in a grid, a caption wraps at its image's width (a long caption would widen the cell and break rows)
    style = f' style="max-width:{size[0] + 2}px"' if grid and size else ""
    return (
        f'<figure{style}><img{ident} src="{html.escape(name)}" alt="{html.escape(caption)}"{dims}>'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _page_html(title: str, sources: list[str], sections: list[_Section], out: Path) -> str:
    parts = [f"<h1>{html.escape(title)}</h1>"]
    first = True
    for s in sections:
        parts.append(
            f'<section>\n<h2>{html.escape(s.heading)}</h2>\n<p class="note">{html.escape(s.intro)}</p>'
        )
        for kind, block in s.blocks:
            if kind == "table":
                parts.append(to_html(block))
            elif kind == "details":
                summary, tables = block
                inner = "".join(to_html(t) for t in tables)
                parts.append(
                    f"<details><summary>{html.escape(summary)} ({len(tables)})</summary>{inner}</details>"
                )
            else:
                figures = []
                for name, caption in block:
                    first_figure = first and s.heading.startswith("Headline")
                    figures.append(_figure_html(out, name, caption, first_figure, grid=kind == "grid"))
                    first = False
                parts.append(
                    f'<div class="grid">{"".join(figures)}</div>' if kind == "grid" else "".join(figures)
                )
        parts.append("</section>")
    parts.append(_sources_html(sources))
    body = "\n".join(parts)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        f"<style>{_CSS}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


def _sources_html(sources: list[str]) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    items = "".join(f"<li><code>{html.escape(s)}</code></li>" for s in sources)
    return (
        f'<h2>Sources</h2><p class="note">Generated {stamp} by rlvrlab from:</p><ul class="note">{items}</ul>'
    )


def _page_markdown(title: str, sources: list[str], sections: list[_Section]) -> str:
    lines = [f"# {md_text(title)}", ""]
    for s in sections:
        lines += [f"## {md_text(s.heading)}", "", md_text(s.intro), ""]
        for kind, block in s.blocks:
            if kind == "table":
                lines.append(to_markdown(block))
            elif kind == "details":
                lines += [f"**{md_text(block[0])}**", ""] + [to_markdown(t) for t in block[1]]
            else:
                lines += [f"![{md_text(caption)}]({name})\n" for name, caption in block]
    lines += ["## Sources", "", *(f"- {md_code(s)}" for s in sources), ""]
    return "\n".join(lines)


def write_report(
    inputs: list[Path],
    out: Path,
    title: str = "rlvrlab report",
    baseline: str | None = None,
    n_boot: int = 2000,
) -> Path:
    """Analyse run, eval and mechanism folders; write OUT/index.html, OUT/index.md and the PNGs; returns
    index.html. Nothing is written when an input is unreadable (the error names it)."""
    if not inputs:
        raise ValueError("report: give at least one run, eval or mechanism dir")
    found = collect_inputs(inputs)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sections = build_sections(found, out, baseline, n_boot)
    sources = [str(p) for p in inputs]
    (out / "index.md").write_text(_page_markdown(title, sources, sections), encoding="utf-8")
    index = out / "index.html"
    index.write_text(_page_html(title, sources, sections, out), encoding="utf-8")
    logger.info(
        "report: %d runs, %d evals, %d sections -> %s",
        len(found.runs),
        len(found.evals),
        len(sections),
        index,
    )
    return index
