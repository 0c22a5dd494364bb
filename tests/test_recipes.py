"""Every shipped training recipe passes `rlvr train --dry-run` against a tiny random model of its
architecture class (Qwen2, Llama, OLMo2) with a chat template like the real model's (or none, for OLMo 2
base), and the dry run catches the mistakes it exists for."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlvrlab.cli import app
from rlvrlab.prompts import QWEN_MATH_SYSTEM
from rlvrlab.train.dryrun import dry_run_from_cli
from rlvrlab.train.recipe import load_recipe
from tests.tiny import build_tiny_model

RECIPES = Path(__file__).resolve().parents[1] / "configs" / "train"
GPU_RECIPES = sorted(p for p in RECIPES.glob("*.yaml") if p.stem != "sim-cpu")
# recipe name prefix -> (tiny architecture, tokenizer style); the longest matching prefix wins
ARCH = {
    "qwen": ("qwen2", "qwen"),
    "llama": ("llama", "llama3"),
    "olmo2-7b-sft": ("olmo2", "olmo2"),
    "olmo2-7b": ("olmo2", "olmo2-base"),
}


def _arch(recipe: Path) -> tuple[str, str]:
    prefix = max((p for p in ARCH if recipe.stem.startswith(p)), key=len)
    return ARCH[prefix]


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """One tiny model per (architecture, tokenizer style), with the paper's 4096-token context."""
    root = tmp_path_factory.mktemp("recipe_models")
    return {
        (arch, style): build_tiny_model(root / f"{arch}-{style}", arch=arch, style=style, max_positions=4096)
        for arch, style in set(ARCH.values())
    }


def test_every_paper_model_has_a_recipe():
    names = {p.stem for p in GPU_RECIPES}
    assert names == {
        "qwen2.5-math-7b", "qwen2.5-math-1.5b", "qwen2.5-7b", "qwen2.5-1.5b",
        "llama3.1-8b-instruct", "llama3.2-3b-instruct", "olmo2-7b", "olmo2-7b-sft",
    }  # fmt: skip


@pytest.mark.parametrize("recipe", GPU_RECIPES, ids=lambda p: p.stem)
def test_recipe_dry_runs_on_its_architecture(recipe: Path, tiny_models):
    model = tiny_models[_arch(recipe)]
    report = dry_run_from_cli(config_path=recipe, accelerate_config=None, prompt_sample=200, model=str(model))
    assert report.problems == [], report.problems
    assert report.num_processes == 8  # the recipe's accelerate config
    assert report.shapes["rollout_completions"] == 1024 and report.shapes["mini_batch_completions"] == 128
    assert report.shapes["gradient_accumulation_steps"] == 4  # 128 / (micro 4 x 8 GPUs)
    assert report.trl_arguments["use_vllm"] is True
    assert "--backend vllm" in report.eval_command
    if recipe.stem == "olmo2-7b":  # base model without a chat template: R1 template, stop at </answer>
        assert report.prompt_name == "r1" and report.stop == ("</answer>",)
        assert report.trl_arguments["generation_kwargs"]["stop"] == ["</answer>"]
        assert report.example_prompt.endswith("Assistant: <think>")
    else:  # chat template + the Qwen-Math system prompt
        assert report.prompt_name == "qwen-math" and report.stop == ()
        assert QWEN_MATH_SYSTEM in report.example_prompt
    if _arch(recipe)[1] == "llama3":  # the template's BOS text is dropped: the tokenizer adds exactly one
        ids = report.example_ids
        assert ids[0] == 0 and ids[1] != 0 and not report.example_prompt.startswith("<|begin_of_text|>")
    recipe_eval = load_recipe(recipe).eval
    assert recipe_eval.benchmarks == ("math500", "aime24", "aime25", "amc")


def test_dry_run_cli_prints_and_flags_bad_batches(tiny_models):
    model = tiny_models[("qwen2", "qwen")]
    recipe = RECIPES / "qwen2.5-math-7b.yaml"
    runner = CliRunner()
    ok = runner.invoke(app, ["train", "--config", str(recipe), "--model", str(model), "--dry-run"])
    assert ok.exit_code == 0, ok.output
    assert "gradient_accumulation_steps" in ok.output and "dry run: OK" in ok.output
    # micro-batch 32 fits one process but 32 x 8 processes is more than the 128-completion mini-batch
    bad = runner.invoke(
        app,
        [
            "train",
            "--config",
            str(recipe),
            "--model",
            str(model),
            "--dry-run",
            "--set",
            "micro_batch_size=32",
        ],
    )
    assert bad.exit_code == 2 and "PROBLEM: batch arithmetic for 8 process(es)" in bad.output, bad.output
    assert "= 32 x 8" in bad.output
    # 2 CPU processes: 16 x 2 = 32 divides 128, but 3 processes do not
    two = RECIPES.parent / "accelerate" / "cpu-2proc.yaml"
    args = [
        "train",
        "--config",
        str(recipe),
        "--model",
        str(model),
        "--dry-run",
        "--accelerate-config",
        str(two),
    ]
    fine = runner.invoke(app, [*args, "--set", "micro_batch_size=16"])
    assert fine.exit_code == 0 and "processes                            2" in fine.output, fine.output


def test_dry_run_catches_context_and_template_mistakes(tiny_models, tiny_model_dir):
    # the shared tiny model has a 1024-token context: 1024 + 3072 does not fit
    recipe = RECIPES / "qwen2.5-math-1.5b.yaml"
    report = dry_run_from_cli(
        config_path=recipe, accelerate_config=None, prompt_sample=50, model=str(tiny_model_dir)
    )
    assert any("exceeds the model's context of 1024" in p for p in report.problems)
    # a chat prompt on a base tokenizer without a chat template
    base = tiny_models[("olmo2", "olmo2-base")]
    report = dry_run_from_cli(
        config_path=recipe,
        accelerate_config=None,
        prompt_sample=50,
        model=str(base),
        overrides=["prompt=qwen-math"],
    )
    assert any("needs a tokenizer with a chat template" in p for p in report.problems)
