"""Experiment cells: training runs grouped by what was varied on purpose, each run paired with its base eval.

Reads only run and eval folders (config.yaml of runs, config.json / summary.json and samples.jsonl of
evals). Choices, stated once:
- A cell is every run whose config.yaml is the same apart from the seed and bookkeeping keys that do not
  change what is trained (`BOOKKEEPING_KEYS`: output folder, save/eval/log cadence). Its label is the
  reward spec (+ "clip off", + whatever else differs between cells of one model and reward, e.g. the
  label set of `--reward label`); its group is the model's short name.
- A run's final eval is an eval folder inside the run folder (the one of RUN/final when there are
  several), or an eval folder given separately whose model is RUN/final.
- Its base eval is an eval of the run's starting model (config.yaml `model`), with the same seed when
  several base evals of that model exist. `baseline` (an eval name) overrides this for every run.
- A cell's change is pooled over seeds and problems with `rlvrlab.stats.pooled_change` on the
  (seeds x problems) table of per-problem changes from `paired_changes`, on the problems all its evals share.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from rlvrlab.analysis.evals import EvalSet, load_eval
from rlvrlab.analysis.runs import RunCurves
from rlvrlab.stats import PooledChange

logger = logging.getLogger(__name__)

# config.yaml keys that do not change what a run trains: runs differing only in these share a cell
BOOKKEEPING_KEYS = frozenset(
    {
        "seed",
        "output_dir",
        "save_every",
        "save_total_limit",
        "log_completions_every",
        "eval_every",
        "eval_benchmark",
        "eval_limit",
        "eval_max_new_tokens",
        "report_to",
    }
)
Flag = Literal["correct", "code"]


@dataclass
class EvalDir:
    """One eval folder: its name in the report, the model it evaluated and its per-benchmark samples."""

    name: str
    path: Path
    model: str | None
    seed: int | None
    sets: list[EvalSet]

    def benchmark(self, name: str) -> EvalSet | None:
        return next((s for s in self.sets if s.benchmark == name), None)


@dataclass
class RunPair:
    """One training run with the evals that measure it: final (after training) and base (before)."""

    run: RunCurves
    final: EvalDir | None = None
    base: EvalDir | None = None

    @property
    def seed(self) -> Any:
        return self.run.config.get("seed")


@dataclass
class Cell:
    """Runs that differ only in seed (and bookkeeping)."""

    group: str  # the model's short name
    label: str  # reward spec (+ clip off, + other differing keys)
    reward: str
    clip: str
    pairs: list[RunPair] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.group} · {self.label}"


def read_eval_dir(path: Path, name: str) -> EvalDir:
    """An eval folder with the model and seed it was run with (None where config.json and summary.json
    lack them)."""
    meta: dict[str, Any] = {}
    for file in ("config.json", "summary.json"):
        if (path / file).is_file() and not meta.get("model"):
            try:
                loaded = json.loads((path / file).read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as err:
                raise ValueError(f"{path / file}: not valid JSON ({err})") from None
            meta = loaded if isinstance(loaded, dict) else {}
    seed = meta.get("seed")
    return EvalDir(
        name=name,
        path=path,
        model=str(meta["model"]) if meta.get("model") else None,
        seed=seed if isinstance(seed, int) else None,
        sets=load_eval(path, name),
    )


def model_name(model: str | None) -> str:
    """Short name of a model path or hub id: its last component (the run's name for RUN/final)."""
    if not model:
        return "?"
    parts = [p for p in str(model).replace("\\", "/").split("/") if p]
    if len(parts) >= 2 and (parts[-1] == "final" or parts[-1].startswith("checkpoint-")):
        return f"{parts[-2]}/{parts[-1]}"
    return parts[-1] if parts else str(model)


def same_model(a: str | None, b: str | None) -> bool:
    """Equal model strings, or two paths naming the same folder."""
    if not a or not b:
        return False
    if os.path.normpath(a) == os.path.normpath(b):
        return True
    pa, pb = Path(a), Path(b)
    return pa.exists() and pb.exists() and pa.resolve() == pb.resolve()


def _final_eval(run: RunCurves, evals: list[EvalDir]) -> EvalDir | None:
    """The eval of RUN/final: nested in the run folder or pointing at it; else the first nested one."""
    final = str(run.path / "final")
    nested = [e for e in evals if e.path.resolve().is_relative_to(run.path.resolve())]
    pointing = [e for e in evals if same_model(e.model, final)]
    of_final = [e for e in nested if same_model(e.model, final)] or pointing
    return (of_final or nested or [None])[0]


def _base_eval(run: RunCurves, bases: list[EvalDir]) -> EvalDir | None:
    """An eval of the run's starting model; the same seed's when several exist."""
    mine = [e for e in bases if same_model(e.model, run.config.get("model"))]
    same_seed = [e for e in mine if e.seed is not None and e.seed == run.config.get("seed")]
    return (same_seed or mine or [None])[0]


def pair_runs(
    runs: list[RunCurves], evals: list[EvalDir], baseline: str | None = None
) -> tuple[list[RunPair], list[EvalDir]]:
    """(one RunPair per run, the evals that are no run's final eval: the base evals)."""
    pairs = [RunPair(run, final=_final_eval(run, evals)) for run in runs]
    finals = {id(p.final) for p in pairs if p.final is not None}
    bases = [e for e in evals if id(e) not in finals]
    chosen = next((e for e in evals if e.name == baseline), None)
    for pair in pairs:
        pair.base = chosen or _base_eval(pair.run, bases)
        if pair.final is not None and pair.base is None:
            logger.warning(
                "%s: no base eval of %s given: its change is not shown",
                pair.run.name,
                pair.run.config.get("model"),
            )
    return pairs, bases


def _cell_key(config: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in sorted(config.items()) if k not in BOOKKEEPING_KEYS}, default=str)


def reward_label(config: dict[str, Any]) -> str:
    """The reward spec; for `label` rewards the label set's name (e.g. "label: majority-vote labels")."""
    reward = str(config.get("reward", "?"))
    if "label" in reward.replace("labels", "") and config.get("data"):
        data = Path(str(config["data"]))
        mode = _label_mode(data.parent / "stats.json")
        names = {
            "all": f"{mode}-vote labels" if mode else "all labels",
            "incorrect": "incorrect labels",
            "correct": "correct labels",
        }
        return f"{reward}: {names.get(data.stem, data.stem)}"
    return reward


def _label_mode(stats: Path) -> str | None:
    """label_mode of a `rlvr label` folder (its stats.json), if readable."""
    try:
        return str(json.loads(stats.read_text(encoding="utf-8"))["options"]["label_mode"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def group_cells(pairs: list[RunPair]) -> list[Cell]:
    """Cells in the paper's reward order (ground truth, labels, format, random, python, others)."""
    by_key: dict[str, Cell] = {}
    for pair in pairs:
        config = pair.run.config
        key = _cell_key(config)
        if key not in by_key:
            clip = str(config.get("clip", "on"))
            label = reward_label(config) + ("" if clip == "on" else f" · clip {clip}")
            group = model_name(config.get("model")) if config.get("model") else pair.run.name
            by_key[key] = Cell(group=group, label=label, reward=str(config.get("reward", "?")), clip=clip)
        by_key[key].pairs.append(pair)
    cells = list(by_key.values())
    _disambiguate(cells, by_key)
    return sorted(cells, key=lambda c: (_reward_rank(c.reward, c.label), c.clip != "on", c.label, c.group))


def _disambiguate(cells: list[Cell], by_key: dict[str, Cell]) -> None:
    """Cells of one model with the same label differ in other keys: append to each label the keys where it
    differs from the most common value among its twins (so the cell most others share stays unlabelled,
    and a dose cell reads "learning_rate=0.01")."""
    configs = {id(c): json.loads(k) for k, c in by_key.items()}
    families: dict[str, list[Cell]] = {}
    for cell in cells:  # grouped before any label changes
        families.setdefault(cell.title, []).append(cell)
    for twins in (t for t in families.values() if len(t) > 1):
        keys = sorted({k for c in twins for k in configs[id(c)]})
        common = {}
        for k in keys:
            values = [json.dumps(configs[id(c)].get(k), default=str) for c in twins]
            common[k] = max(values, key=values.count)  # ties: the first twin's value
        for cell in twins:
            mine = configs[id(cell)]
            own = [k for k in keys if json.dumps(mine.get(k), default=str) != common[k]]
            if own:
                cell.label += " · " + ", ".join(f"{k}={mine.get(k)}" for k in own)


def _reward_rank(reward: str, label: str) -> int:
    """The paper's order: ground truth, majority-vote labels, other labels, format, random, python, rest."""
    if reward.startswith("label"):
        return 1 if "majority" in label else 2
    order = ("ground_truth", "", "", "format", "random", "python")
    exact = reward.split(":")[0]
    return order.index(exact) if exact in order[3:] or exact == "ground_truth" else len(order)


def per_problem(ev: EvalSet, flag: Flag) -> dict[str, float]:
    """{problem id: mean over its samples of the flag} (flag: correct, or code by the paper's rule)."""
    ids, inverse = np.unique(ev.problem_ids, return_inverse=True)
    counts = np.bincount(inverse, minlength=ids.size)
    values = ev.correct if flag == "correct" else ev.code
    means = np.bincount(inverse, weights=values, minlength=ids.size) / counts
    return dict(zip(ids.tolist(), means.tolist(), strict=True))


def paired_values(
    pairs: list[tuple[EvalSet, EvalSet]], flag: Flag = "correct"
) -> tuple[np.ndarray, np.ndarray]:
    """(before, after) per-problem means as two (pairs x problems) arrays, on the problems every eval
    covers, in one order."""
    tables = [(per_problem(base, flag), per_problem(final, flag)) for base, final in pairs]
    shared = sorted(set.intersection(*(set(b) & set(f) for b, f in tables))) if tables else []
    if not shared:
        raise ValueError(f"no problem is shared by all of {[f'{b.name} -> {f.name}' for b, f in pairs]}")
    before = np.array([[b[pid] for pid in shared] for b, _ in tables])
    return before, np.array([[f[pid] for pid in shared] for _, f in tables])


def paired_changes(pairs: list[tuple[Path, Path]], key: str = "correct") -> list[list[float]]:
    """(seeds x problems) per-problem changes final - base of `correct` or `uses_code` (the paper's code
    rule), from (base, final) eval folders of one benchmark, on the problems every eval covers."""
    if key not in ("correct", "uses_code"):
        raise ValueError(f"paired_changes: key must be 'correct' or 'uses_code', got {key!r}")
    sets = []
    for base, final in pairs:
        (a, *more_a), (b, *more_b) = load_eval(base), load_eval(final)
        if more_a or more_b:
            raise ValueError(f"paired_changes: {base} / {final} hold several benchmarks: pass one")
        sets.append((a, b))
    before, after = paired_values(sets, "correct" if key == "correct" else "code")
    return (after - before).tolist()


@dataclass(frozen=True)
class CellChange:
    """One cell on one benchmark: base and final values (mean over seeds, on the shared problems) and the
    pooled changes of accuracy and code rate."""

    cell: Cell
    benchmark: str
    n_problems: int
    accuracy_base: float
    accuracy_final: float
    accuracy: PooledChange
    code_base: float
    code_final: float
    code: PooledChange
    seeds: tuple[Any, ...]


def cell_changes(cell: Cell) -> list[CellChange]:
    """Per benchmark that every (base, final) pair of the cell covers: the pooled changes."""
    complete = [p for p in cell.pairs if p.final is not None and p.base is not None]
    if not complete:
        return []
    out = []
    for final_set in complete[0].final.sets:  # type: ignore[union-attr]
        bench = final_set.benchmark
        sets = [(p.base.benchmark(bench), p.final.benchmark(bench)) for p in complete]  # type: ignore
        if all(a is not None and b is not None for a, b in sets):
            out.append(change_of(cell, sets, tuple(p.seed for p in complete)))  # type: ignore[arg-type]
    return out


def change_of(cell: Cell, sets: list[tuple[EvalSet, EvalSet]], seeds: tuple[Any, ...]) -> CellChange:
    """Pooled accuracy and code-rate changes of (base, final) eval sets of one benchmark, one per seed."""
    from rlvrlab.stats import pooled_change

    accuracy, code = paired_values(sets, "correct"), paired_values(sets, "code")
    return CellChange(
        cell=cell,
        benchmark=sets[0][1].benchmark,
        n_problems=accuracy[0].shape[1],
        accuracy_base=float(accuracy[0].mean()),
        accuracy_final=float(accuracy[1].mean()),
        accuracy=pooled_change(accuracy[1] - accuracy[0]),
        code_base=float(code[0].mean()),
        code_final=float(code[1].mean()),
        code=pooled_change(code[1] - code[0]),
        seeds=seeds,
    )
