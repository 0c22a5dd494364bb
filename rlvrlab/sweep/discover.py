"""A sweep folder as the report sees it: read from run and eval folders alone (no sweep.json needed).

- cells: SWEEP_DIR/runs/<cell>/ with config.yaml and an eval folder eval/ (samples.jsonl, config.json);
  a cell named `axis=variant--axis=variant...` gives its axes; `model` and `seed` are the family and the
  repeat, every other axis the condition (reward, clip variant, ...).
- base evals: SWEEP_DIR/base/<name>/; a cell's base is the one whose config.json has the cell's model and
  the same protocols and prompt as the cell's eval.

`headline_rows` pools each (model, condition) over its seeds: the accuracy and code-rate change of every
seed's final eval against the base eval, per benchmark, with `rlvrlab.stats.pooled_change` (seeds x
problems). This is the data of the paper's Figure 1 (accuracy change per reward, per model).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class SweepCell:
    name: str
    run_dir: Path
    eval_dir: Path
    model: str  # the model axis variant (or the config's model)
    condition: str  # the other axes, "reward=random--clip=off" (or the cell name)
    seed: int
    base_dir: Path | None
    axes: dict[str, str] = field(default_factory=dict)


def is_sweep_dir(path: Path) -> bool:
    return (Path(path) / "runs").is_dir() and any(Path(path).glob("runs/*/config.yaml"))


def _read(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    return (json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)) or {}


def _axes(name: str) -> dict[str, str]:
    parts = [part.split("=", 1) for part in name.split("--")]
    return dict(parts) if all(len(p) == 2 for p in parts) else {}  # type: ignore[arg-type]


def sweep_cells(sweep_dir: Path) -> list[SweepCell]:
    """Every cell with a finished eval (summary.json), matched to its base eval."""
    bases = []
    for folder in sorted(Path(sweep_dir).glob("base/*/config.json")):
        if (folder.parent / "summary.json").exists():
            bases.append((folder.parent, _read(folder)))
    cells = []
    for config_path in sorted(Path(sweep_dir).glob("runs/*/config.yaml")):
        run = config_path.parent
        evaluation = run / "eval"
        if not (evaluation / "summary.json").exists():
            continue
        config, eval_config = _read(config_path), _read(evaluation / "config.json")
        base = next(
            (
                folder
                for folder, b in bases
                if b.get("model") == config.get("model")
                and b.get("prompt") == eval_config.get("prompt")
                and b.get("protocols") == eval_config.get("protocols")
            ),
            None,
        )
        axes = _axes(run.name)
        condition = "--".join(f"{k}={v}" for k, v in axes.items() if k not in ("model", "seed")) or run.name
        model = axes.get("model") or Path(str(config.get("model"))).name
        cells.append(
            SweepCell(run.name, run, evaluation, model, condition, int(config.get("seed", 0)), base, axes)
        )
    return cells


def sweep_inputs(sweep_dir: Path) -> list[Path]:
    """The folders `rlvr report` reads for a sweep: base evals, then run folders (their eval/ inside)."""
    bases = sorted(p.parent for p in Path(sweep_dir).glob("base/*/summary.json"))
    return bases + sorted(c.run_dir for c in sweep_cells(sweep_dir))


def headline_rows(sweep_dir: Path) -> list[dict[str, Any]]:
    """One row per (model, condition, benchmark): seeds, base and final accuracy, and the accuracy and
    code-rate changes pooled over seeds and problems (mean, 95% interval)."""
    from rlvrlab.demo_findings import paired_changes
    from rlvrlab.stats import pooled_change

    groups: dict[tuple[str, str], list[SweepCell]] = {}
    for cell in sweep_cells(sweep_dir):
        if cell.base_dir is not None:
            groups.setdefault((cell.model, cell.condition), []).append(cell)
    rows = []
    for (model, condition), cells in groups.items():
        pairs = [(c.base_dir, c.eval_dir) for c in sorted(cells, key=lambda c: c.seed)]
        for benchmark in _benchmarks(cells[0].eval_dir):
            accuracy = pooled_change(paired_changes(pairs, "correct", benchmark))
            code = pooled_change(paired_changes(pairs, "uses_code", benchmark))
            base = _summary(cells[0].base_dir, benchmark)
            finals = [_summary(c.eval_dir, benchmark) for c in cells]
            rows.append(
                {
                    "model": model,
                    "condition": condition,
                    "benchmark": benchmark,
                    "seeds": sorted(c.seed for c in cells),
                    "n_problems": accuracy.n_problems,
                    "accuracy_base": base.get("accuracy"),
                    "accuracy_final": sum(f["accuracy"] for f in finals) / len(finals),
                    "accuracy_change": accuracy.mean,
                    "accuracy_change_ci95": accuracy.ci95,
                    "code_rate_base": base.get("code_rate"),
                    "code_rate_change": code.mean,
                    "code_rate_change_ci95": code.ci95,
                }
            )
    return rows


def _summary(eval_dir: Path, benchmark: str) -> dict[str, Any]:
    return _read(eval_dir / "summary.json")["benchmarks"][benchmark]


def _benchmarks(eval_dir: Path) -> list[str]:
    return list(_read(eval_dir / "summary.json")["benchmarks"])


def plot_headline(rows: list[dict[str, Any]], path: Path, benchmark: str) -> bool:
    """The paper's Figure 1 shape: per model, the accuracy change (points) of each condition with its
    pooled 95% interval; False when there is nothing to draw."""
    rows = [r for r in rows if r["benchmark"] == benchmark]
    if not rows:
        return False
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    models = list(dict.fromkeys(r["model"] for r in rows))
    conditions = list(dict.fromkeys(r["condition"] for r in rows))
    width = 0.8 / len(conditions)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(models) * max(1, len(conditions) / 3)), 3.8))
    cmap = plt.get_cmap("tab10")
    for j, condition in enumerate(conditions):
        for i, model in enumerate(models):
            row = next((r for r in rows if r["model"] == model and r["condition"] == condition), None)
            if row is None:
                continue
            x = i - 0.4 + (j + 0.5) * width
            low, high = (100 * v for v in row["accuracy_change_ci95"])
            mean = 100 * row["accuracy_change"]
            label = ", ".join(part.split("=", 1)[-1] for part in condition.split("--"))  # the variants
            ax.bar(x, mean, width * 0.9, color=cmap(j % 10), label=label if i == 0 else None)
            ax.errorbar(x, mean, yerr=[[mean - low], [high - mean]], color="black", capsize=3, lw=1)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xticks(range(len(models)), models)
    ax.set_ylabel("change (points), 95% CI")
    ax.set_title(f"Accuracy change after training ({benchmark})")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
