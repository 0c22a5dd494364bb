"""A sweep folder as the report sees it: read from run and eval folders alone (no sweep.json needed).

- cells: SWEEP_DIR/runs/<cell>/ with config.yaml and an eval folder eval/ (samples.jsonl, config.json);
  a cell named `axis=variant--axis=variant...` gives its axes; `model` and `seed` are the family and the
  repeat, every other axis the condition (reward, clip variant, ...).
- base evals: SWEEP_DIR/base/<name>/; a cell's base is the one whose config.json has the cell's model and
  the same protocols and prompt as the cell's eval.

`rlvr report SWEEP_DIR` reads `sweep_inputs`: the report pairs each run with its model's base eval and
pools the seeds of a cell (`rlvrlab.analysis.cells`), the paper's Figure 1.
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
