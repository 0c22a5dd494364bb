"""Sweep specs: a grid of GRPO runs (models x rewards x clip variants x seeds x any TrainConfig key), each
a normal run folder, plus the evals that judge them.

    name: main-table
    recipe: ../train/qwen2.5-math-7b.yaml   # optional: base recipe of every cell (relative to this file)
    train: {max_steps: 150}                 # TrainConfig keys (+ preset) for every cell, over the recipe
    eval: {benchmarks: [math500]}           # rlvrlab.train.recipe.EvalPlan keys (`set`: protocol overrides)
    resources: {gpus: 8}                    # rlvrlab.train.recipe.Resources keys
    slurm: {sbatch: ["--partition=gpu"], max_parallel: 8}
    axes:                                   # the grid is the product of the axes, in this order
      model:                                # a mapping: variant name -> settings
        qwen2.5-math-7b: {recipe: ../train/qwen2.5-math-7b.yaml, vars: {labels: runs/labels/q7b}}
      reward:
        ground-truth: {reward: ground_truth}
        majority-vote: {reward: label, data: "{labels}/all.jsonl"}
      clip: ["on", "off"]                   # a list: values of the TrainConfig key named like the axis
      seed: [1, 2, 3]

A variant's settings are TrainConfig keys plus `recipe` (one per cell), `eval`, `resources` (merged over
the spec's) and `vars` (names substituted for `{name}` in the cell's string values). Precedence, later
wins: preset < recipe < `train` < the axes in order. A shipped sim model name (sim-qwen-math, sim-llama)
as `model` is replaced by its folder. Paths (recipe, accelerate_config) are relative to the file naming
them; data paths are relative to the directory `rlvr sweep` runs in.

A cell is named `axis=variant--axis=variant...` (its run folder's name), so the report can tell the axes
from the folder alone; each distinct (model, eval plan, prompt) gets one base-model eval, `base=<name>`.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rlvrlab.train.recipe import EvalPlan, Recipe, Resources, eval_plan, load_recipe, resources

SPEC_KEYS = ("name", "recipe", "train", "eval", "resources", "slurm", "axes")
VARIANT_BLOCKS = ("recipe", "eval", "resources", "vars")


@dataclass(frozen=True)
class Job:
    """One unit of work: a training cell (train, then evaluate `final/`) or a base-model eval."""

    name: str
    kind: str  # "cell" | "base"
    axes: dict[str, str]
    train: dict[str, Any]  # the cell's resolved TrainConfig values (base: just model and prompt)
    eval: EvalPlan
    resources: Resources
    base: str = ""  # a cell's base eval job

    @property
    def model(self) -> str:
        return self.train["model"]


@dataclass(frozen=True)
class Sweep:
    name: str
    cells: tuple[Job, ...]
    bases: tuple[Job, ...]
    slurm: dict[str, Any] = field(default_factory=dict)

    @property
    def jobs(self) -> tuple[Job, ...]:
        return self.bases + self.cells

    def job(self, name: str) -> Job:
        for job in self.jobs:
            if job.name == name:
                return job
        raise ValueError(f"sweep {self.name!r} has no cell {name!r}")


def slug(value: Any) -> str:
    """A file-name-safe variant name for a list value: random:0.5 -> random-0.5, format&!python ->
    format-and-not-python."""
    text = str(value).replace("&", "-and-").replace("!", "not-")
    return re.sub(r"-{2,}", "-", re.sub(r"[^A-Za-z0-9._]+", "-", text)).strip("-") or "x"


def load_sweep(path: str | Path) -> Sweep:
    """Parse and expand a sweep spec; errors name the file and the cell or key."""
    path = Path(path)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise ValueError(f"{path}: cannot read the sweep spec ({err})") from None
    if not isinstance(spec, dict):
        raise ValueError(f"{path}: a sweep spec is a mapping (name, train, eval, axes, ...)")
    unknown = sorted(set(spec) - set(SPEC_KEYS))
    if unknown:
        raise ValueError(f"{path}: unknown keys {unknown}; a sweep spec has {', '.join(SPEC_KEYS)}")
    return expand(spec, path.parent, str(path))


def expand(spec: dict[str, Any], folder: Path, where: str) -> Sweep:
    """The grid of a parsed spec: every combination of axis variants becomes one cell."""
    base_recipe = load_recipe(folder / spec["recipe"]) if spec.get("recipe") else Recipe()
    axes = _axes(spec.get("axes") or {}, where)
    common = {key: dict(spec.get(key) or {}) for key in ("train", "eval", "resources")}
    cells = []
    for combo in itertools.product(*(list(variants.items()) for variants in axes.values())):
        named = dict(zip(axes, combo, strict=True))
        cells.append(_cell(named, base_recipe, common, folder, where))
    if len({c.name for c in cells}) != len(cells):
        raise ValueError(f"{where}: two cells get the same name; give the variants distinct names")
    cells, bases = _attach_bases(cells)
    name = str(spec.get("name") or Path(where).stem)
    return Sweep(name=name, cells=tuple(cells), bases=tuple(bases), slurm=dict(spec.get("slurm") or {}))


def _axes(raw: Any, where: str) -> dict[str, dict[str, dict[str, Any]]]:
    """{axis: {variant name: settings}}; a list axis sets the TrainConfig key of the same name."""
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: axes must be a mapping of axis name -> list or mapping of variants")
    axes: dict[str, dict[str, dict[str, Any]]] = {}
    for axis, variants in raw.items():
        if isinstance(variants, list) and variants:
            axes[axis] = {slug(v): {axis: v} for v in variants}
        elif isinstance(variants, dict) and variants:
            axes[axis] = {}
            for variant, settings in variants.items():
                if not isinstance(settings, dict):
                    raise ValueError(f"{where}: axes.{axis}.{variant} must be a mapping of settings")
                axes[axis][slug(variant)] = dict(settings)
        else:
            raise ValueError(
                f"{where}: axes.{axis} must be a non-empty list of values or mapping of variants"
            )
    return axes


def _cell(
    named: dict[str, tuple[str, dict[str, Any]]], base_recipe: Recipe, common: dict, folder: Path, where: str
) -> Job:
    from rlvrlab.train.config import TrainConfig

    name = "--".join(f"{axis}={variant}" for axis, (variant, _) in named.items()) or "run"
    here = f"{where}: cell {name}"
    recipe_files = [s["recipe"] for _, s in named.values() if s.get("recipe")]
    if len(recipe_files) > 1:
        raise ValueError(f"{here}: more than one axis sets `recipe`")
    recipe = load_recipe(folder / recipe_files[0]) if recipe_files else base_recipe
    plan = eval_plan(common["eval"], recipe.eval, f"{here}: eval")
    res = resources(common["resources"], recipe.resources, f"{here}: resources")
    layers = [recipe.train, common["train"]] + [_train_keys(s) for _, s in named.values()]
    variables: dict[str, Any] = {}
    for _, settings in named.values():
        plan = eval_plan(settings.get("eval"), plan, f"{here}: eval")
        res = resources(settings.get("resources"), res, f"{here}: resources")
        variables.update(settings.get("vars") or {})
    values = _merge_train(layers, here)
    values = {k: _substitute(v, variables) for k, v in values.items()}
    values["model"] = _model_path(values.get("model", ""))
    try:
        config = TrainConfig(**values)
        config.validate(res.num_processes)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{here}: {err}") from None
    train = {k: v for k, v in config.to_dict().items() if k != "output_dir"}
    axes = {axis: variant for axis, (variant, _) in named.items()}
    return Job(name=name, kind="cell", axes=axes, train=train, eval=plan, resources=res)


def _train_keys(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in settings.items() if k not in VARIANT_BLOCKS}


def _merge_train(layers: list[dict[str, Any]], where: str) -> dict[str, Any]:
    """preset < layers in order; the last layer naming a preset picks it. Keys are checked like a YAML."""
    from rlvrlab.train.config import PRESETS, _field_types

    preset = next((layer["preset"] for layer in reversed(layers) if "preset" in layer), None)
    if preset is not None and preset not in PRESETS:
        raise ValueError(f"{where}: unknown preset {preset!r}: use one of {', '.join(PRESETS)}")
    values: dict[str, Any] = dict(PRESETS[preset]) if preset else {}
    for layer in layers:
        values.update({k: v for k, v in layer.items() if k != "preset"})
    if isinstance(values.get("clip"), bool):  # YAML 1.1 reads a bare `clip: off` as False
        values["clip"] = "on" if values["clip"] else "off"
    unknown = sorted(set(values) - set(_field_types()))
    if unknown:
        raise ValueError(
            f"{where}: unknown config keys {unknown}; see rlvrlab/train/config.py for the fields"
        )
    return values


def _substitute(value: Any, variables: dict[str, Any]) -> Any:
    """Replace `{name}` for every var name (other braces, e.g. a prompt's {problem}, are left alone)."""
    if not isinstance(value, str) or not variables:
        return value
    for key, replacement in variables.items():
        value = value.replace("{" + key + "}", str(replacement))
    return value


def _model_path(model: str) -> str:
    """A shipped sim model's name -> its folder; anything else (hub id, path) unchanged."""
    from rlvrlab.sim.info import model_path, shipped_models

    return str(model_path(model)) if model in shipped_models() else model


def _attach_bases(cells: list[Job]) -> tuple[list[Job], list[Job]]:
    """One base eval per distinct (model, eval plan, prompt); named by the model axis variant (or the
    model's last path part), with a number when one model needs several."""
    keys: dict[tuple, str] = {}
    bases: list[Job] = []
    attached = []
    for cell in cells:
        key = (cell.model, cell.eval, cell.train["prompt"])
        if key not in keys:
            stem = cell.axes.get("model") or slug(Path(cell.model).name)
            taken = sum(k[0] == cell.model for k in keys)
            name = f"base={stem}" + (f"-{taken + 1}" if taken else "")
            keys[key] = name
            train = {"model": cell.model, "prompt": cell.train["prompt"]}
            res = Resources(
                gpus=min(cell.resources.gpus, 1), cpus=min(cell.resources.cpus, 8)
            )  # one eval process
            bases.append(Job(name=name, kind="base", axes={}, train=train, eval=cell.eval, resources=res))
        attached.append(dataclasses.replace(cell, base=keys[key]))
    return attached, bases


def job_to_dict(job: Job) -> dict[str, Any]:
    return {
        **dataclasses.asdict(job),
        "eval": dataclasses.asdict(job.eval),
        "resources": dataclasses.asdict(job.resources),
    }


def job_from_dict(data: dict[str, Any]) -> Job:
    plan = EvalPlan(**{**data["eval"], "benchmarks": tuple(data["eval"]["benchmarks"]),
                       "overrides": tuple(data["eval"]["overrides"])})  # fmt: skip
    return Job(**{**data, "eval": plan, "resources": Resources(**data["resources"])})


def sweep_to_dict(sweep: Sweep) -> dict[str, Any]:
    return {
        "name": sweep.name,
        "slurm": sweep.slurm,
        "bases": [job_to_dict(j) for j in sweep.bases],
        "cells": [job_to_dict(j) for j in sweep.cells],
    }


def sweep_from_dict(data: dict[str, Any]) -> Sweep:
    return Sweep(
        name=data["name"],
        cells=tuple(job_from_dict(j) for j in data["cells"]),
        bases=tuple(job_from_dict(j) for j in data["bases"]),
        slurm=data.get("slurm") or {},
    )
