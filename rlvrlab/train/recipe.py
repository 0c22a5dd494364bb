"""A recipe: one YAML that says how to train a model AND how to evaluate it and what hardware it needs.

A recipe file holds `rlvrlab.train.config.TrainConfig` keys (plus `preset`), and two optional blocks that
`rlvr train` itself ignores but `rlvr train --dry-run` and `rlvr sweep` use:

    eval:                       # the eval protocol of the trained model (and of its base model)
      benchmarks: [math500, aime24, aime25, amc]
      backend: vllm             # hf (transformers) or vllm (GPU)
      prompt: null              # null: the prompt the model was trained with
      limit: null               # first N problems of each benchmark (null: all)
      set: []                   # protocol overrides, e.g. [aime24.n_samples=16, max_new_tokens=3072]
      batch_size: null          # null: 16 with hf, 256 with vllm
    resources:                  # what one run needs (Ray asks for it; SLURM requests it)
      gpus: 8
      cpus: 32
      accelerate_config: ../accelerate/deepspeed-zero3.yaml   # relative to the recipe file; null: 1 process
      hours: 24                 # expected wall hours of one run (for GPU-hour estimates only)

Relative paths inside a recipe are relative to the recipe's own folder, so a recipe can be used from any
working directory.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

RECIPE_BLOCKS = ("eval", "resources")
DEFAULT_EVAL_BATCH = {"hf": 16, "vllm": 256}


@dataclass(frozen=True)
class EvalPlan:
    """How a run (and its base model) is evaluated; the fields of `rlvr eval`."""

    benchmarks: tuple[str, ...] = ("math500", "aime24", "aime25", "amc")
    backend: str = "hf"
    prompt: str | None = None  # None: the training prompt (resolved against the tokenizer when "auto")
    limit: int | None = None
    overrides: tuple[str, ...] = ()  # protocol overrides NAME.FIELD=VALUE (YAML key `set`)
    batch_size: int | None = None  # None: DEFAULT_EVAL_BATCH[backend]
    seed: int = 0  # the same for the base and every trained model, so sampled benchmarks are comparable

    def __post_init__(self) -> None:
        if self.backend not in DEFAULT_EVAL_BATCH:
            raise ValueError(
                f"eval.backend must be one of {', '.join(DEFAULT_EVAL_BATCH)}, got {self.backend!r}"
            )
        if not self.benchmarks:
            raise ValueError("eval.benchmarks is empty: name at least one benchmark (e.g. math500)")

    def eval_config(self, model: str, out: Path, prompt: str, resume: bool) -> Any:
        """The `rlvrlab.evaluate.EvalConfig` of this plan for one model."""
        from rlvrlab.evaluate.run import EvalConfig

        return EvalConfig(
            model=model,
            out=str(out),
            benchmarks=self.benchmarks,
            backend=self.backend,  # type: ignore[arg-type]
            prompt=self.prompt or prompt,
            limit=self.limit,
            resume=resume,
            overrides=self.overrides,
            batch_size=self.batch_size or DEFAULT_EVAL_BATCH[self.backend],
            seed=self.seed,
        )

    def command(self, model: str, out: str, prompt: str) -> str:
        """The equivalent `rlvr eval` command line (printed by --dry-run and in logs)."""
        parts = ["rlvr eval", f"--model {model}", f"--benchmarks {','.join(self.benchmarks)}"]
        parts += [f"--backend {self.backend}", f"--prompt {self.prompt or prompt}", f"--out {out}"]
        parts += [f"--limit {self.limit}"] if self.limit else []
        parts += [f"--set {item}" for item in self.overrides]
        return " ".join(parts)


@dataclass(frozen=True)
class Resources:
    """What one training run needs. `accelerate_config` None: one process, started in-process."""

    gpus: int = 0
    cpus: int = 1
    accelerate_config: str | None = None
    hours: float | None = None

    def __post_init__(self) -> None:
        if self.gpus < 0 or self.cpus < 1:
            raise ValueError(
                f"resources: gpus must be >= 0 and cpus >= 1, got gpus={self.gpus} cpus={self.cpus}"
            )

    @property
    def num_processes(self) -> int:
        return accelerate_processes(self.accelerate_config) if self.accelerate_config else 1


@dataclass(frozen=True)
class Recipe:
    """A recipe file, split: TrainConfig values (with `preset`), the eval plan, the resources."""

    train: dict[str, Any] = field(default_factory=dict)
    eval: EvalPlan = field(default_factory=EvalPlan)
    resources: Resources = field(default_factory=Resources)


def accelerate_processes(path: str | Path) -> int:
    """`num_processes` of an accelerate config file (the total over all machines)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise ValueError(f"accelerate config {path}: cannot read it ({err})") from None
    value = data.get("num_processes", 1) if isinstance(data, dict) else None
    if not isinstance(value, int) or value < 1:
        raise ValueError(f"accelerate config {path}: num_processes must be a positive integer, got {value!r}")
    return value


def eval_plan(values: dict[str, Any] | None, base: EvalPlan | None = None, where: str = "eval") -> EvalPlan:
    """An EvalPlan from a YAML `eval:` mapping, on top of `base`."""
    values = dict(values or {})
    if "set" in values:
        values["overrides"] = values.pop("set")
    if isinstance(values.get("benchmarks"), str):
        values["benchmarks"] = values["benchmarks"].split(",")
    for key in ("benchmarks", "overrides"):
        if key in values:
            values[key] = tuple(str(v).strip() for v in values[key] or ())
    return _replace(base or EvalPlan(), values, where)


def resources(
    values: dict[str, Any] | None, base: Resources | None = None, where: str = "resources"
) -> Resources:
    return _replace(base or Resources(), dict(values or {}), where)


def _replace(base: Any, values: dict[str, Any], where: str) -> Any:
    known = {f.name for f in dataclasses.fields(base)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown}; known: {', '.join(sorted(known))}")
    try:
        return dataclasses.replace(base, **values)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: {err}") from None


def split_recipe(data: dict[str, Any], folder: Path | None, where: str) -> Recipe:
    """Split a parsed recipe mapping; a relative accelerate_config is made relative to `folder`."""
    train = {k: v for k, v in data.items() if k not in RECIPE_BLOCKS}
    res = resources(data.get("resources"), where=f"{where}: resources")
    if res.accelerate_config and folder is not None and not Path(res.accelerate_config).is_absolute():
        res = dataclasses.replace(res, accelerate_config=str((folder / res.accelerate_config).resolve()))
    return Recipe(train=train, eval=eval_plan(data.get("eval"), where=f"{where}: eval"), resources=res)


def load_recipe(path: str | Path) -> Recipe:
    """Read a recipe YAML (TrainConfig keys are checked when the config is resolved)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise ValueError(f"{path}: cannot read the recipe ({err})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of config keys, got {type(data).__name__}")
    return split_recipe(data, path.parent, str(path))
