"""Config: paper defaults, presets, YAML round trip, --set parsing and errors, translation to GRPOConfig."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from rlvrlab.train.config import PRESETS, TrainConfig, resolve_config, save_config, to_grpo_config


def test_defaults_are_the_papers_values():
    c = TrainConfig()
    assert (c.group_size, c.prompts_per_rollout, c.updates_per_rollout, c.micro_batch_size) == (16, 64, 8, 4)
    assert c.rollout_size == 1024 and c.mini_batch_size == 128
    assert (c.clip, c.epsilon, c.kl_coef, c.loss_normalisation, c.advantage_std) == (
        "on",
        0.2,
        0.0,
        "bnpo",
        True,
    )
    assert (c.learning_rate, c.lr_scheduler, c.adam_beta1, c.adam_beta2, c.weight_decay) == (
        5e-7,
        "constant",
        0.9,
        0.95,
        0.0,
    )
    assert (c.max_grad_norm, c.temperature, c.top_p, c.seed) == (1.0, 1.0, 1.0, 42)
    assert (c.max_completion_length, c.max_prompt_length, c.bf16) == (3072, 1024, True)
    assert c.second_whitening is True  # the paper's OpenRLHF code whitens twice


def test_paper_config_maps_to_trl_batching():
    g = to_grpo_config(TrainConfig(output_dir="/tmp/x", bf16=False))
    assert g.per_device_train_batch_size == 4
    assert g.gradient_accumulation_steps == 32  # 128 completions per optimizer step
    assert g.steps_per_generation == 256 and g.generation_batch_size == 1024  # one rollout
    assert g.num_iterations == 1 and g.num_generations == 16
    assert (g.loss_type, g.epsilon, g.epsilon_high, g.beta, g.scale_rewards) == (
        "bnpo",
        0.2,
        0.2,
        0.0,
        "group",
    )
    assert g.max_steps == 150 * 8 and g.logging_steps == 8 and g.save_steps == 50 * 8
    assert (g.adam_beta1, g.adam_beta2, g.learning_rate, g.lr_scheduler_type) == (0.9, 0.95, 5e-7, "constant")


def test_ablation_knobs_map_exactly():
    g = to_grpo_config(
        TrainConfig(output_dir="/tmp/x", bf16=False, clip="off", advantage_std=False, kl_coef=0.1)
    )
    assert math.isinf(g.epsilon) and math.isinf(g.epsilon_high)
    assert (g.scale_rewards, g.beta, g.use_bias_correction_kl) == ("none", 0.1, False)
    on_policy = to_grpo_config(TrainConfig(output_dir="/tmp/x", bf16=False, updates_per_rollout=1))
    assert on_policy.gradient_accumulation_steps == on_policy.steps_per_generation == 256
    small = to_grpo_config(
        TrainConfig(output_dir="/tmp/x", bf16=False, prompts_per_rollout=8), num_processes=2
    )
    # per process: 128 completions / (4 x 2 processes) micro-batches per rollout, 2 per optimizer step
    assert small.steps_per_generation == 16 and small.gradient_accumulation_steps == 2


def test_precedence_preset_yaml_set_explicit(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("preset: cpu-small\nlearning_rate: 0.5\ngroup_size: 8\n")
    c = resolve_config(config_path=path, overrides=["group_size=16", "clip=off"], model="m", reward=None)
    assert c.max_completion_length == PRESETS["cpu-small"]["max_completion_length"]
    assert (c.learning_rate, c.group_size, c.clip, c.model, c.reward) == (0.5, 16, "off", "m", "ground_truth")


def test_saved_config_reproduces_the_run(tmp_path):
    c = resolve_config(
        preset="cpu-small", overrides=["epsilon_high=0.28", "eval_every=2"], model="m", output_dir="o"
    )
    save_config(c, tmp_path / "config.yaml")
    assert resolve_config(config_path=tmp_path / "config.yaml") == c


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("group_sise=4", "unknown config key 'group_sise'"),
        ("group_size=four", "expects int"),
        ("second_whitening=maybe", "expects bool"),
        ("clip=sometimes", "config key 'clip' expects 'on' | 'off'"),
        ("learning_rate=nan", "'learning_rate' must be a finite number"),
        ("learning_rate=-1e-5", "learning_rate must be >= 0"),
        ("temperature=0", "temperature must be > 0"),
        ("max_completion_length=0", "max_completion_length must be >= 1"),
        ("max_prompt_length=0", "max_prompt_length must be >= 1"),
        ("top_p=2", r"top_p must be in \(0, 1\]"),
        ("top_p=0", r"top_p must be in \(0, 1\]"),
        ("adam_beta2=1", r"adam_beta2 must be in \[0, 1\)"),
        ("data_limit=0", "data_limit must be >= 1 or None"),
        ("max_grad_norm=inf", "'max_grad_norm' must be a finite number"),
        ("adam_epsilon=0", "adam_epsilon must be > 0"),
        ("loss_normalisation=token", "config key 'loss_normalisation' expects 'bnpo' | 'grpo' | 'dapo'"),
        ("updates_per_rollout=3", "does not split into updates_per_rollout=3"),
        ("epsilon=0", "use clip=off"),
        ("group_size=1", "group_size must be >= 2"),
        ("noequals", "expects key=value"),
    ],
)
def test_bad_overrides_name_the_fix(override, message):
    with pytest.raises(ValueError, match=message):
        resolve_config(overrides=[override])


def test_distributed_divisibility_is_checked():
    with pytest.raises(ValueError, match="micro_batch_size x processes"):
        dataclasses.replace(
            TrainConfig(), prompts_per_rollout=1, group_size=4, updates_per_rollout=2
        ).validate(num_processes=2)


def test_unknown_yaml_key_and_preset(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("lr: 1.0\n")
    with pytest.raises(ValueError, match=r"unknown config keys \['lr'\]"):
        resolve_config(config_path=path)
    with pytest.raises(ValueError, match="unknown preset 'gpu'"):
        resolve_config(preset="gpu")


def test_bare_yaml_off_means_clip_off(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("clip: off\n")
    assert resolve_config(config_path=path).clip == "off"


@pytest.mark.parametrize(("name", "processes"), [("cpu-2proc", 2), ("multi-gpu", 8), ("deepspeed-zero3", 8)])
def test_shipped_accelerate_configs_load(name, processes):
    from accelerate.commands.config.config_args import load_config_from_file

    config = load_config_from_file(
        str(Path(__file__).resolve().parents[1] / "configs" / "accelerate" / f"{name}.yaml")
    )
    assert config.num_processes == processes


@pytest.mark.parametrize("name", ["qwen2.5-math-7b", "olmo2-7b", "sim-cpu"])
def test_shipped_train_configs_resolve(name):
    """Recipes resolve with `rlvr train --config` (their eval/resources blocks are not TrainConfig keys);
    tests/test_recipes.py dry-runs every recipe."""
    config = resolve_config(
        config_path=Path(__file__).resolve().parents[1] / "configs" / "train" / f"{name}.yaml"
    )
    assert config.reward == ("random:0.5" if name == "sim-cpu" else "ground_truth") and config.clip == "on"


def test_yaml_numbers_read_as_text_are_parsed_by_field_type(tmp_path):
    """YAML 1.1 reads `1e-5` (no dot) as a string: it is parsed as the float field it is."""
    path = tmp_path / "run.yaml"
    path.write_text("learning_rate: 1e-5\nmax_steps: '7'\nbf16: 'false'\n")
    c = resolve_config(config_path=path)
    assert (c.learning_rate, c.max_steps, c.bf16) == (1e-5, 7, False)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("group_size: four\n", r"run.yaml: config key 'group_size' expects int, got 'four'"),
        ("learning_rate: .nan\n", "'learning_rate' must be a finite number"),
        ("top_p: 2\n", r"top_p must be in \(0, 1\]"),
        ("group_size: [4\n", r"run.yaml:2: not valid YAML"),
        ("model: {a: 1}\n", "config key 'model' expects str"),
        ("- 1\n", "expected a mapping of config keys"),
    ],
)
def test_bad_yaml_is_a_one_line_error_naming_the_key(tmp_path, text, message):
    path = tmp_path / "run.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as info:
        resolve_config(config_path=path)
    assert "\n" not in str(info.value)


def test_missing_or_non_utf8_yaml(tmp_path):
    with pytest.raises(ValueError, match="config file not found"):
        resolve_config(config_path=tmp_path / "nope.yaml")
    path = tmp_path / "latin1.yaml"
    path.write_bytes("reward: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ValueError, match="latin1.yaml: not UTF-8"):
        resolve_config(config_path=path)


ORGANISM_KEYS = (
    "prompt",
    "group_size",
    "prompts_per_rollout",
    "updates_per_rollout",
    "micro_batch_size",
    "learning_rate",
    "adam_epsilon",
    "max_completion_length",
)


@pytest.mark.parametrize("family", ["sim-qwen-math", "sim-llama"])
def test_sim_models_train_with_their_recipe_not_cpu_small(family):
    """No preset named: the model folder's train-recipe.yaml is the preset, for the bare command and for the
    shipped sim config; it is the demo's tested organism recipe, not cpu-small's 64 tokens and lr 1e-3 at
    Adam eps 1e-8 that truncate and collapse the organism."""
    from rlvrlab.demo import ORGANISM_TRAIN

    shipped = Path(__file__).resolve().parents[1] / "configs" / "train" / "sim-cpu.yaml"
    for config in (resolve_config(model=family), resolve_config(config_path=shipped, model=family)):
        assert {k: getattr(config, k) for k in ORGANISM_KEYS} == {k: ORGANISM_TRAIN[k] for k in ORGANISM_KEYS}
        assert (config.bf16, config.gradient_checkpointing) == (False, False)
    named = resolve_config(model=family, preset="cpu-small")  # a preset the user names still wins
    assert named.max_completion_length == PRESETS["cpu-small"]["max_completion_length"]
    assert named.max_completion_length < ORGANISM_TRAIN["max_completion_length"]
