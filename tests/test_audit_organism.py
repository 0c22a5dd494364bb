"""`rlvr audit` on the model organism, end to end on CPU (real GRPO runs, real evals, real probes).

Written to hold for any reasonable organism: they check the mechanism and its direction (a ground-truth
gain beats spurious-reward controls of the same recipe; fine-tuning on the benchmark's text is what the
probe detects; a model pretrained on one prompt format is prompt-sensitive), never exact numbers.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
import torch
import yaml
from typer.testing import CliRunner

from rlvrlab.cli import app
from rlvrlab.data import load_problems
from rlvrlab.demo import EVAL_MAX_TOKENS
from rlvrlab.evaluate.compare import compare_runs
from rlvrlab.sim.info import model_path

SIM = str(model_path("sim-qwen-math"))
# (a) uses the Llama-like family: as for Llama in the paper, only the real reward helps it. On the v3
# sim-qwen-math the seed-1 random control itself gains (+15.1 points at 12 steps) and the audit rightly
# calls the ground-truth gain "within control" (docs/sim-experiments.md, 2026-12-01).
GAIN_FAMILY = str(model_path("sim-llama"))
# the organism's eval protocol (as rlvr demo): its mode choice only shows when sampling at T=1
ORGANISM_EVAL = [
    "--set",
    "n_samples=2",
    "--set",
    "temperature=1.0",
    "--set",
    f"max_new_tokens={EVAL_MAX_TOKENS}",
]


def _invoke_json(args: list[str]) -> dict:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    start = re.search(r"\{\n\s*\"", result.output)  # the indented JSON object (progress bars may precede it)
    assert start is not None, result.output
    return json.JSONDecoder().raw_decode(result.output[start.start() :])[0]


def _train_ground_truth(run_dir: Path, steps: int) -> None:
    from rlvrlab.demo import ORGANISM_TRAIN
    from rlvrlab.train.config import PRESETS, TrainConfig
    from rlvrlab.train.run import train

    values = {
        **PRESETS["cpu-small"],
        **ORGANISM_TRAIN,
        "model": GAIN_FAMILY,
        "data": "sim-train",
        "reward": "ground_truth",
        "seed": 1,
        "max_steps": steps,
        "output_dir": str(run_dir),
        "eval_every": 0,
    }
    train(TrainConfig(**values))


@pytest.mark.slow
def test_audit_of_a_ground_truth_run_shows_its_gain_exceeds_random_and_format_controls(
    tmp_path: Path,
) -> None:
    trained = tmp_path / "gt"
    _train_ground_truth(trained, steps=12)
    out = tmp_path / "audit"
    audit = _invoke_json(
        [
            "audit",
            "--base",
            GAIN_FAMILY,
            "--trained",
            str(trained),
            "--run-controls",
            "random:0.5,format",
            "--benchmark",
            "sim500",
            "--limit",
            "96",
            "--prompt",
            "chat",
            *ORGANISM_EVAL,
            "--fresh",
            "sim-calculation",
            "--probe-prefix",
            "chat",
            "--probe-max-tokens",
            "160",
            "--batch-size",
            "64",
            "--out",
            str(out),
        ]
    )
    assert json.loads((out / "audit.json").read_text())["verdicts"] == audit["verdicts"]
    names = [c["name"] for c in audit["controls"]]
    assert names == ["random:0.5", "format"]
    recipe = yaml.safe_load((trained / "config.yaml").read_text())
    for control, spec in zip(audit["controls"], ("random:0.5", "format"), strict=True):
        run = yaml.safe_load((Path(control["run_dir"]) / "config.yaml").read_text())
        assert {k for k in recipe if recipe[k] != run[k]} == {"reward", "output_dir"} and run[
            "reward"
        ] == spec
        check = control["trained_minus_control"]
        # the verdict is the interval's, and the interval is the paired bootstrap of these eval folders
        again = compare_runs(control["eval_dir"], audit["trained"]["eval_dir"])["sim500"]
        assert check["diff"] == pytest.approx(again["diff"]) and check["diff_ci95"] == again["diff_ci95"]
        assert check["diff_ci95"][0] > 0, check  # the ground-truth gain exceeds the control
        assert audit["verdicts"][f"control {spec}"] == "exceeds control"
    assert audit["claimed_gain"]["n_problems"] == 96
    assert set(audit["prompt_baseline"]["templates"]) == {
        "qwen-math",
        "math-problem",
        "simplerl-zoo",
        "sober",
        "no-template",
    }
    assert audit["fresh_gain"]["n_problems"] == 96 and audit["contamination"]["n"] == 96
    assert audit["contamination"]["control"]["n"] == 96
    report = (out / "audit.md").read_text()
    assert "## Is the RLVR gain real?" in report and "exceeds control" in report
    again = _invoke_json(
        ["audit", "--base", GAIN_FAMILY, "--trained", str(trained), *_same_settings(audit, out)]
    )
    assert again["verdicts"] == audit["verdicts"]  # a re-run reuses every finished piece


def _same_settings(audit: dict, out: Path) -> list[str]:
    config = audit["config"]
    args = ["--run-controls", "random:0.5,format", "--benchmark", "sim500", "--limit", str(config["limit"])]
    args += ["--prompt", "chat", *ORGANISM_EVAL, "--fresh", "sim-calculation", "--probe-prefix", "chat"]
    return [*args, "--probe-max-tokens", "160", "--batch-size", "64", "--out", str(out)]


def _contaminate(out: Path, n_problems: int, steps: int = 250) -> None:
    """Plain next-token fine-tuning of the shipped sim model on the first sim500 problems in the form it
    reads text (the chat turn), answer included: a benchmark leaked into pretraining."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(SIM)
    model = AutoModelForCausalLM.from_pretrained(SIM, dtype=torch.float32)
    docs = [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": p.problem}], tokenize=False, add_generation_prompt=True
        )
        + f"\\boxed{{{p.answer}}}{tokenizer.eos_token}"
        for p in load_problems("sim500", limit=n_problems)
    ]
    encoded = [tokenizer(d, add_special_tokens=False)["input_ids"] for d in docs]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    rng = random.Random(0)
    torch.manual_seed(0)
    model.train()
    for _ in range(steps):
        batch = rng.sample(encoded, 16)
        width = max(map(len, batch))
        ids = torch.tensor([b + [tokenizer.pad_token_id] * (width - len(b)) for b in batch])
        labels = torch.tensor([b + [-100] * (width - len(b)) for b in batch])
        loss = model(input_ids=ids, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


@pytest.mark.slow
def test_contamination_probe_separates_a_model_fine_tuned_on_sim500(tmp_path: Path) -> None:
    contaminated = tmp_path / "contaminated"
    _contaminate(contaminated, n_problems=64)
    probe = ["--benchmark", "sim500", "--limit", "64", "--fresh", "sim-calculation", "--prefix", "chat"]
    probe += ["--max-new-tokens", "40", "--batch-size", "64"]
    shipped = _invoke_json(
        ["audit", "contamination", "--model", SIM, *probe, "--out", str(tmp_path / "shipped")]
    )
    leaked = _invoke_json(
        ["audit", "contamination", "--model", str(contaminated), *probe, "--out", str(tmp_path / "leaked")]
    )
    for figures in (shipped, leaked):
        assert {"exact_match", "exact_match_ci95", "rouge_l", "partial_prompt_accuracy", "n"} <= set(figures)
        assert figures["n"] == 64 and figures["control"]["n"] == 64
    assert leaked["exact_match_ci95"][0] > shipped["exact_match_ci95"][1]  # non-overlapping intervals
    assert leaked["rouge_l_ci95"][0] > shipped["rouge_l_ci95"][1]
    assert leaked["partial_prompt_accuracy"] > shipped["partial_prompt_accuracy"]
    assert leaked["verdict"] == "contaminated" and shipped["verdict"] == "no sign of contamination"
    # the fresh control is what tells the two apart: the leaked model cannot complete problems it never saw
    assert leaked["control"]["exact_match_ci95"][1] < leaked["exact_match_ci95"][0]
    assert (
        json.loads((tmp_path / "leaked" / "contamination.json").read_text())["exact_match"]
        == leaked["exact_match"]
    )


@pytest.mark.slow
def test_prompt_baseline_moves_the_organisms_base_accuracy(tmp_path: Path) -> None:
    result = _invoke_json(
        [
            "audit",
            "prompts",
            "--model",
            SIM,
            "--benchmark",
            "sim500",
            "--limit",
            "64",
            "--set",
            "max_new_tokens=128",
            "--batch-size",
            "64",
            "--out",
            str(tmp_path),
        ]
    )
    accuracies = {name: row["accuracy"] for name, row in result["templates"].items()}
    assert result["best"] == max(accuracies, key=accuracies.get)
    assert result["spread"] == pytest.approx(accuracies[result["best"]] - accuracies[result["worst"]])
    assert result["spread_ci95"][0] > 0, accuracies  # changing the prompt moves accuracy, beyond noise
    assert (
        tmp_path / "prompt-no-template" / "samples.jsonl"
    ).exists()  # an ordinary eval folder per template
