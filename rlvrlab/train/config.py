"""Training configuration: one dataclass whose defaults are the paper's GRPO values, presets, YAML
load/save, `--set key=value` overrides and the translation to TRL's `GRPOConfig`.

Batch vocabulary (the paper's words -> TRL's):
- a *rollout* (the paper's "step") = `prompts_per_rollout` prompts x `group_size` samples;
  TRL: `generation_batch_size`.
- `updates_per_rollout` optimizer steps per rollout, each on a different mini-batch of
  rollout / updates_per_rollout completions (paper: 1024 / 8 = 128). TRL: `steps_per_generation`
  (counted in micro-batches) = rollout / (micro_batch_size x processes); `num_iterations` stays 1
  (it would reuse the *same* batch, which is not what the paper does).
- `micro_batch_size` completions per forward pass per device (paper: 4, packed);
  TRL: `per_device_train_batch_size`; `gradient_accumulation_steps` = mini-batch / (micro x processes).

One config "step" (`max_steps`, `save_every`, `eval_every`, `log_completions_every`) is one rollout, as
in the paper; TRL's `global_step` counts optimizer steps (= rollout x updates_per_rollout).

Departures from the paper, all named options:
- `max_prompt_length`: TRL 1.16 has no prompt truncation; prompts longer than this are dropped from the
  training set (with a logged count) rather than truncated.
- advantage epsilon is TRL's 1e-4 (`(r - mean) / (std + 1e-4)`); OpenRLHF uses 1e-9.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_type_hints

import yaml

from rlvrlab.fields import check_types, parse_field
from rlvrlab.train.recipe import RECIPE_BLOCKS

logger = logging.getLogger(__name__)

LossNormalisation = Literal["bnpo", "grpo", "dapo"]


@dataclass
class TrainConfig:
    """Everything a GRPO run needs. Defaults are the paper's values (preset `paper`)."""

    # --- what to train on
    model: str = ""  # hub id or local folder (same loading path)
    data: str = "deepscaler"  # rlvrlab.data name, local file or hub dataset id
    reward: str = "ground_truth"  # reward spec for rlvrlab.rewards.build_reward; "+"-free, one spec
    prompt: str = "auto"  # prompt preset; "auto": qwen-math if the tokenizer has a chat template, else r1
    data_limit: int | None = None  # use only the first N problems
    grading_mode: str = "paper"  # grading mode for rewards and train/accuracy
    output_dir: str = ""  # RUN_DIR

    # --- GRPO (paper values)
    group_size: int = 16  # G samples per prompt
    prompts_per_rollout: int = 64  # prompts per rollout (rollout = 1024 completions)
    updates_per_rollout: int = 8  # optimizer steps per rollout; 1 = on-policy (ratio 1, clip never binds)
    micro_batch_size: int = 4  # completions per forward pass per device (paper packs 4)
    clip: Literal["on", "off"] = "on"  # "off": no clipping in the loss (TRL epsilon = inf, exact)
    epsilon: float = 0.2  # clip range low (and high unless epsilon_high is set)
    epsilon_high: float | None = None  # None: symmetric (paper)
    kl_coef: float = 0.0  # TRL beta; paper 0 (no reference model is loaded)
    kl_ratio_correction: bool = (
        False  # multiply the KL term by the ratio (TRL 1.16 default True; classic GRPO: off)
    )
    loss_normalisation: LossNormalisation = "bnpo"  # bnpo = token mean per micro-batch (paper's code)
    advantage_std: bool = True  # divide group-centred rewards by the group std (False: Dr.GRPO style)
    second_whitening: bool = True  # paper's OpenRLHF code: whiten advantages again over all rollout tokens
    learning_rate: float = 5e-7
    lr_scheduler: str = "constant"
    warmup_steps: int = 0
    adam_beta1: float = 0.9
    adam_beta2: float = 0.95
    adam_epsilon: float = (
        1e-8  # Adam's denominator floor (PyTorch/TRL default; the organism's recipe raises it)
    )
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    temperature: float = 1.0
    top_p: float = 1.0
    max_completion_length: int = 3072
    max_prompt_length: int = 1024  # longer prompts are dropped (TRL 1.16 does not truncate)
    seed: int = 42
    max_steps: int = 150  # rollouts (the paper's steps)

    # --- hardware
    bf16: bool = True
    gradient_checkpointing: bool = True
    use_vllm: bool = False  # GPU only (not installable/runnable on the CPU CI machine); see configs/README.md
    vllm_mode: Literal["server", "colocate"] = "colocate"
    vllm_server_base_url: str | None = (
        None  # server mode: e.g. http://host:8000 (TRL default: localhost:8000)
    )
    vllm_gpu_memory_utilization: float = 0.3  # colocate mode: GPU memory share for vLLM
    vllm_importance_correction: bool = False  # TRL's vLLM-vs-trainer logprob correction; paper: none

    # --- run folder: logging, checkpoints, evaluation
    log_completions_every: int = 1  # write completions.jsonl every N rollouts (0 = never)
    save_every: int = 50  # checkpoint every N rollouts (and always at the end)
    save_total_limit: int | None = 2  # keep the newest N checkpoints (None = all)
    eval_every: int = 0  # in-training evaluation every N rollouts (0 = off)
    eval_benchmark: str = "math500"
    eval_limit: int = 50
    eval_max_new_tokens: int = 1024
    report_to: str = "none"  # passed to TRL: none | wandb | tensorboard | ...

    def __post_init__(self) -> None:
        self.validate()

    @property
    def rollout_size(self) -> int:
        return self.prompts_per_rollout * self.group_size

    @property
    def mini_batch_size(self) -> int:
        return self.rollout_size // self.updates_per_rollout

    def validate(self, num_processes: int = 1) -> None:
        """Raise ValueError naming the fix; `num_processes` adds the distributed divisibility checks."""
        check_types(self)  # types (Literal choices included) and finite floats, naming the key
        positive = (
            "group_size",
            "prompts_per_rollout",
            "updates_per_rollout",
            "micro_batch_size",
            "max_steps",
        )
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.group_size < 2:
            raise ValueError("group_size must be >= 2: group advantages need at least two samples per prompt")
        if not 0 < self.epsilon < 1:
            raise ValueError(
                f"epsilon must be in (0, 1), got {self.epsilon}; use clip=off to disable clipping"
            )
        if self.rollout_size % self.updates_per_rollout:
            raise ValueError(
                f"rollout of {self.rollout_size} completions (prompts_per_rollout x group_size) does not split into "
                f"updates_per_rollout={self.updates_per_rollout} equal mini-batches: pick a divisor"
            )
        per_forward = self.micro_batch_size * num_processes
        if self.mini_batch_size % per_forward:
            raise ValueError(
                f"mini-batch of {self.mini_batch_size} completions is not a multiple of micro_batch_size x processes "
                f"= {self.micro_batch_size} x {num_processes}: change micro_batch_size or updates_per_rollout"
            )
        for name in ("log_completions_every", "save_every", "eval_every"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        self._validate_ranges()

    def _validate_ranges(self) -> None:
        """Values torch/TRL would only reject (or silently misuse) deep inside training."""
        for name in ("max_completion_length", "max_prompt_length", "eval_limit", "eval_max_new_tokens"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("data_limit", "save_total_limit"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1 or None, got {getattr(self, name)}")
        for name in ("learning_rate", "kl_coef", "weight_decay", "warmup_steps"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.temperature <= 0:
            raise ValueError(
                f"temperature must be > 0 (GRPO samples; the paper uses 1.0), got {self.temperature}"
            )
        for name in ("top_p", "vllm_gpu_memory_utilization"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)}")
        for name in ("adam_beta1", "adam_beta2"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")
        if self.adam_epsilon <= 0:
            raise ValueError(f"adam_epsilon must be > 0 (PyTorch default 1e-8), got {self.adam_epsilon}")
        if self.max_grad_norm <= 0:
            raise ValueError(f"max_grad_norm must be > 0 (the paper clips at 1.0), got {self.max_grad_norm}")
        if self.epsilon_high is not None and self.epsilon_high <= 0:
            raise ValueError(f"epsilon_high must be > 0 or None (symmetric), got {self.epsilon_high}")
        if self.grading_mode not in ("paper", "robust"):
            raise ValueError(f"grading_mode must be 'paper' or 'robust', got {self.grading_mode!r}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


PRESETS: dict[str, dict[str, Any]] = {
    # the paper's setup: the dataclass defaults
    "paper": {},
    # tiny randomly initialised models on CPU (tests, benchmarks): fp32, no checkpointing, short completions,
    # small rollouts, 4 updates per rollout, a lr high enough to move a random model (tests use ~1e-2).
    # Not for the sim organisms: their folders ship train-recipe.yaml (the demo's recipe), the preset
    # `rlvr train` uses for them when none is named; 64 tokens and lr 1e-3 truncate and collapse them.
    "cpu-small": {
        "group_size": 4,
        "prompts_per_rollout": 4,
        "updates_per_rollout": 4,
        "micro_batch_size": 4,
        "learning_rate": 1e-3,
        "max_completion_length": 64,
        "max_prompt_length": 512,
        "max_steps": 20,
        "bf16": False,
        "gradient_checkpointing": False,
        "save_every": 5,
        "eval_limit": 8,
        "eval_max_new_tokens": 32,
    },
}


def _field_types() -> dict[str, Any]:
    return get_type_hints(TrainConfig)


def parse_value(name: str, text: str) -> Any:
    """Parse a `--set` value by the field's type; raise ValueError naming the field and the expected type."""
    types = _field_types()
    if name not in types:
        close = [f for f in types if name.split("_")[0] in f]
        hint = f" (did you mean {', '.join(close[:3])}?)" if close else ""
        raise ValueError(
            f"unknown config key {name!r}{hint}; see `rlvr train --help` or rlvrlab/train/config.py"
        )
    return parse_field(TrainConfig, name, text)


def apply_overrides(values: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply `key=value` strings on top of `values` (a new dict)."""
    out = dict(values)
    for item in overrides:
        if "=" not in item:
            raise ValueError(f"--set expects key=value, got {item!r}")
        key, text = item.split("=", 1)
        out[key.strip()] = parse_value(key.strip(), text.strip())
    return out


def load_yaml(path: Path) -> dict[str, Any]:
    """Config keys from a YAML file; errors name the file (and line) and the key. A string where the field
    is a number or bool (YAML reads `1e-5` as text) is parsed by the field's type."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 text (byte {err.start})") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ValueError(f"{path}{where}: not valid YAML ({problem})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of config keys, got {type(data).__name__}")
    if isinstance(data.get("clip"), bool):  # YAML 1.1 reads a bare `clip: off` as False
        data["clip"] = "on" if data["clip"] else "off"
    for block in RECIPE_BLOCKS:  # a recipe's eval/resources blocks: read by rlvrlab.train.recipe, not here
        data.pop(block, None)
    unknown = sorted(set(data) - set(_field_types()) - {"preset"})
    if unknown:
        raise ValueError(f"{path}: unknown config keys {unknown}; see rlvrlab/train/config.py for the fields")
    try:
        return {k: _from_yaml(k, v) for k, v in data.items()}
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None


def _from_yaml(key: str, value: Any) -> Any:
    """A YAML string for a non-string field goes through the same parser as `--set` (`1e-5` -> 1e-05)."""
    if key == "preset" or not isinstance(value, str) or _field_types()[key] is str:
        return value
    return parse_field(TrainConfig, key, value)


def resolve_config(
    *, preset: str | None = None, config_path: Path | None = None, overrides: list[str] = (), **explicit: Any
) -> TrainConfig:
    """Precedence (later wins): paper defaults < preset < YAML file < --set overrides < explicit arguments
    that are not None (the CLI's --model/--data/--reward/--out). With no preset named (argument or the
    YAML's `preset:` key), the model folder's own `train-recipe.yaml` is the preset (`model_preset`)."""
    file_values = load_yaml(config_path) if config_path else {}
    preset = preset or file_values.pop("preset", None)
    file_values.pop("preset", None)
    set_values = apply_overrides({}, list(overrides))
    given = {k: v for k, v in explicit.items() if v is not None}
    model = given.get("model") or set_values.get("model") or file_values.get("model") or ""
    base = preset_values(preset) if preset is not None else model_preset(model)
    return TrainConfig(**{**base, **file_values, **set_values, **given})


def preset_values(name: str) -> dict[str, Any]:
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}: use one of {', '.join(PRESETS)}")
    return dict(PRESETS[name])


def model_preset(model: str) -> dict[str, Any]:
    """The model folder's `train-recipe.yaml` (TrainConfig keys, optionally on top of a named `preset:`),
    or {} when it ships none. This is how the sim models carry their tested recipe: no `if sim` here."""
    from rlvrlab.models import recipe_path

    path = recipe_path(model) if model and isinstance(model, str) else None  # a bad type: TrainConfig says
    if path is None:
        return {}
    recipe = load_yaml(path)
    base = preset_values(recipe.pop("preset")) if "preset" in recipe else {}
    logger.info("no --preset: using %s", path)
    return {**base, **recipe}


def save_config(config: TrainConfig, path: Path) -> None:
    """Write the resolved config; `rlvr train --config PATH` reproduces the run from it alone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config.to_dict(), sort_keys=False), encoding="utf-8")


def to_grpo_config(config: TrainConfig, num_processes: int = 1, **extra: Any) -> Any:
    """Translate to TRL's GRPOConfig, setting every algorithm field explicitly (TRL defaults drift).

    Checkpoints and logs are aligned to rollouts: TRL logs once per rollout (`logging_steps` =
    updates_per_rollout optimizer steps) and saves only at rollout boundaries, so a resume never starts
    inside a rollout (TRL would regenerate it)."""
    from trl import GRPOConfig

    return GRPOConfig(**{**grpo_arguments(config, num_processes), **extra})


def grpo_arguments(config: TrainConfig, num_processes: int = 1) -> dict[str, Any]:
    """The GRPOConfig keyword arguments for `num_processes` training processes (validated first)."""
    config.validate(num_processes)
    return {**_batching_args(config, num_processes), **_algorithm_args(config), **_run_args(config)}


def _batching_args(config: TrainConfig, num_processes: int) -> dict[str, Any]:
    per_forward = config.micro_batch_size * num_processes
    return dict(
        num_generations=config.group_size,
        per_device_train_batch_size=config.micro_batch_size,
        gradient_accumulation_steps=config.mini_batch_size // per_forward,
        steps_per_generation=config.rollout_size // per_forward,
        num_iterations=1,  # the paper's updates use different mini-batches, never the same batch again
        max_steps=config.max_steps * config.updates_per_rollout,
        shuffle_dataset=True,
    )


def _algorithm_args(config: TrainConfig) -> dict[str, Any]:
    off = config.clip == "off"  # epsilon = inf: clamp(r, -inf, inf) = r, the loss is exactly -r A
    return dict(
        epsilon=math.inf if off else config.epsilon,
        epsilon_high=math.inf if off else (config.epsilon_high or config.epsilon),
        beta=config.kl_coef,
        use_bias_correction_kl=config.kl_ratio_correction,
        loss_type=config.loss_normalisation,
        scale_rewards="group" if config.advantage_std else "none",
        importance_sampling_level="token",
        delta=None,
        off_policy_mask_threshold=None,
        multi_objective_aggregation="sum_then_normalize",
        reward_weights=None,
        entropy_coef=0.0,
        use_adaptive_entropy=False,
        sync_ref_model=False,
        mask_truncated_completions=False,
        top_entropy_quantile=1.0,
        learning_rate=config.learning_rate,
        lr_scheduler_type=config.lr_scheduler,
        warmup_steps=config.warmup_steps,
        optim="adamw_torch",
        adam_beta1=config.adam_beta1,
        adam_beta2=config.adam_beta2,
        adam_epsilon=config.adam_epsilon,
        weight_decay=config.weight_decay,
        max_grad_norm=config.max_grad_norm,
        temperature=config.temperature,
        top_p=config.top_p,
        top_k=0,
        min_p=None,
        repetition_penalty=1.0,
        max_completion_length=config.max_completion_length,
        seed=config.seed,
        data_seed=config.seed,
        disable_dropout=True,
    )


def _run_args(config: TrainConfig) -> dict[str, Any]:
    upr = config.updates_per_rollout
    return dict(
        output_dir=config.output_dir,
        bf16=config.bf16,
        cast_lm_head_to_fp32=False,
        activation_checkpointing=config.gradient_checkpointing,
        use_vllm=config.use_vllm,
        vllm_mode=config.vllm_mode,
        vllm_server_base_url=config.vllm_server_base_url,
        vllm_gpu_memory_utilization=config.vllm_gpu_memory_utilization,
        vllm_importance_sampling_correction=config.vllm_importance_correction,
        logging_steps=upr,
        save_strategy="steps" if config.save_every else "no",
        save_steps=max(config.save_every, 1) * upr,
        save_total_limit=config.save_total_limit,
        report_to=[] if config.report_to == "none" else [config.report_to],
        log_completions=False,
        remove_unused_columns=False,
    )
