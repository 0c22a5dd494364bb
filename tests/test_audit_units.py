"""`rlvr audit` pieces without a model: verdict words from intervals, the partial-prompt split and scores,
probe summaries, the Table 5 prompts, recipe handling and the CLI's error paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from rlvrlab.audit.contamination import (
    ProbeConfig,
    contamination_verdict,
    prompt_prefix,
    rouge_l,
    score_continuation,
    split_problem,
    summarize_probe,
)
from rlvrlab.audit.prompt_baseline import template_names
from rlvrlab.audit.run import AuditConfig, control_name, recipe_differences, resolve_subject
from rlvrlab.audit.verdict import NOT_MEASURABLE, interval_verdict, paired_check, summary_sentence
from rlvrlab.cli import app
from rlvrlab.prompts import TABLE5_PROMPTS, get_prompt
from rlvrlab.sim.info import model_path

SIM = str(model_path("sim-qwen-math"))


@pytest.mark.parametrize(
    ("ci", "expected"),
    [((0.01, 0.2), "exceeds control"), ((-0.05, 0.1), "within control"), ((-0.3, -0.02), "below control")],
)
def test_verdict_words_follow_the_interval(ci: tuple[float, float], expected: str) -> None:
    assert interval_verdict("control", ci) == expected
    check = paired_check(
        "control",
        {"accuracy_a": 0.4, "accuracy_b": 0.5, "diff": sum(ci) / 2, "diff_ci95": list(ci), "n_problems": 64},
        "trained - random",
    )
    assert check["verdict"] == expected and "64 problems" in check["why"]


def test_summary_sentence_is_built_from_the_verdicts() -> None:
    passing = {
        "claimed gain": "gain",
        "best-prompt base": "exceeds the best-prompt base",
        "control random:0.5": "exceeds control",
        "fresh problems": "gain on fresh problems",
        "contamination of the base": "no sign of contamination",
    }
    assert "holds up" in summary_sentence(passing, "math500")
    failing = {**passing, "control random:0.5": "within control", "contamination of the base": "contaminated"}
    text = summary_sentence(failing, "math500")
    assert "not established" in text and "control random:0.5: within control" in text
    assert "contamination of the base: contaminated" in text
    unmeasured = {**passing, "spurious-reward controls": NOT_MEASURABLE}
    assert "Not measured: spurious-reward controls." in summary_sentence(unmeasured, "math500")
    no_gain = summary_sentence({**passing, "claimed gain": "loss"}, "x")
    assert no_gain.startswith("No claimed gain to explain: on x the trained model shows loss over the base.")
    assert "control random:0.5: exceeds control" in no_gain  # the other checks are still reported


def test_split_problem_cuts_at_a_word_boundary() -> None:
    text = "Compute (((3 + 4) - 5) + 9) + 7."
    assert split_problem(text, 0.6) == ("Compute (((3 + 4) - 5)", " + 9) + 7.")
    for fraction in (0.05, 0.4, 0.6, 0.8, 0.99):
        prefix, suffix = split_problem(text, fraction)
        assert prefix + suffix == text and prefix.strip() and suffix.strip()
    assert split_problem("Find  x\nsuch that  x = 2.", 0.5) == ("Find  x\nsuch that", "  x = 2.")  # 3.5 -> 4
    with pytest.raises(ValueError, match="one-word"):
        split_problem("Compute", 0.6)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        ProbeConfig(fraction=1.0)


def test_continuation_scores() -> None:
    assert score_continuation(" + 9) + 7.\nA: \\boxed{18}", " + 9) + 7.") == (True, 1.0, "+ 9) + 7.")
    assert score_continuation("+ 9)\n+  7. more", " + 9) + 7.")[0]  # whitespace does not matter
    exact, rouge, _ = score_continuation(" + 9) + 8.", " + 9) + 7.")
    assert not exact and rouge == pytest.approx(5 / 6)  # tokens + 9 ) + 7 . : five of six in order
    assert rouge_l("a b c d", "x y") == 0.0
    # operators count as tokens (rouge-score's default tokenizer would drop them and call these equal)
    assert rouge_l("(3 + 4) - 5", "(3 - 4) + 5") < 1.0


def test_probe_summary_and_verdict() -> None:
    config = ProbeConfig(n_boot=500)
    rows = [{"exact_match": i < 30, "rouge_l": 1.0 if i < 30 else 0.2, "correct": i < 25} for i in range(40)]
    summary = summarize_probe(rows, config)
    assert (
        summary["n"] == 40 and summary["exact_match"] == 0.75 and summary["partial_prompt_accuracy"] == 0.625
    )
    low, high = summary["exact_match_ci95"]
    assert low < 0.75 < high
    control = summarize_probe([{"exact_match": False, "rouge_l": 0.1, "correct": False}] * 40, config)
    assert contamination_verdict(summary, control)["verdict"] == "contaminated"
    assert contamination_verdict(control, summary)["verdict"] == "no sign of contamination"
    assert contamination_verdict(summary, None)["verdict"] == NOT_MEASURABLE


def test_chat_prefix_is_the_template_up_to_the_problem() -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(SIM)
    assert prompt_prefix(tokenizer, "chat") == "Q: "
    assert prompt_prefix(tokenizer, "none") == ""


def test_table5_prompts_render_differently_for_the_organism() -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(SIM)
    rendered = {name: get_prompt(name).render("Compute 1 + 2.", tokenizer) for name in TABLE5_PROMPTS}
    assert rendered["no-template"] == "Compute 1 + 2."
    assert rendered["qwen-math"] == "Q: Compute 1 + 2.\nA: "  # the sim template drops system turns
    assert len(set(rendered.values())) == len(TABLE5_PROMPTS)
    assert list(template_names(("Problem: {problem}\nA: ",))) == [*TABLE5_PROMPTS, "user-1"]
    with pytest.raises(ValueError, match="must contain"):
        template_names(("no slot",))


def _run_folder(tmp_path: Path, name: str, **values: object) -> Path:
    folder = tmp_path / name
    (folder / "final").mkdir(parents=True)
    (folder / "final" / "config.json").write_text("{}")
    recipe = {"model": SIM, "data": "sim-train", "reward": "ground_truth", "seed": 1, "clip": "on", **values}
    (folder / "config.yaml").write_text(yaml.safe_dump({**recipe, "output_dir": str(folder)}))
    return folder


def test_subjects_and_recipes(tmp_path: Path) -> None:
    run = _run_folder(tmp_path, "gt")
    subject = resolve_subject("trained", str(run))
    assert subject.model == str(run / "final") and subject.run_dir == run
    assert resolve_subject("x", str(run / "final")).run_dir == run  # a model inside a run knows its recipe
    assert resolve_subject("base", SIM).run_dir is None
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "config.yaml").write_text("reward: format\n")
    with pytest.raises(ValueError, match="no final/ model yet"):
        resolve_subject("c", str(unfinished))
    control = _run_folder(tmp_path, "rand", reward="random:0.5", seed=2)
    assert recipe_differences(subject.run_config(), resolve_subject("c", str(control)).run_config()) == [
        "seed"
    ]
    assert control_name({"reward": "label", "data": "labels/incorrect.jsonl"}) == "incorrect"
    assert control_name({"reward": "random:0.5", "data": "x", "clip": "off"}) == "random:0.5 (clip off)"
    with pytest.raises(ValueError, match="unknown reward"):
        AuditConfig(base=SIM, trained=str(run), out=str(tmp_path), run_controls=("randm",))


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["audit", "--out", str(tmp_path)])
    assert (
        result.exit_code == 2
        and "--base EVAL_OR_MODEL and --trained RUN_OR_EVAL are required" in result.output
    )
    result = runner.invoke(app, ["audit", "contamination", "--model", SIM, "--fraction", "1.5"])
    assert result.exit_code == 2 and "strictly between 0 and 1" in result.output
    result = runner.invoke(
        app,
        ["audit", "--base", SIM, "--trained", SIM, "--run-controls", "random:0.5", "--out", str(tmp_path)],
    )
    assert result.exit_code == 2 and "needs --trained to be a training run" in result.output
    assert (
        not (tmp_path / "audit.json").exists() and not (tmp_path / "evals").exists()
    )  # failed before any work


def _eval_folder(folder: Path, **fields: object) -> Path:
    """An eval folder's config.json as `rlvr eval` writes it (asdict of EvalConfig + resolved protocols)."""
    from dataclasses import asdict

    from rlvrlab.evaluate.run import EvalConfig

    config = EvalConfig(**{"model": SIM, "out": str(folder), "benchmarks": ("sim500", "aime24"), **fields})
    record = {**asdict(config), "protocols": {b: p.to_dict() for b, p in config.protocols().items()}}
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(record))
    (folder / "samples.jsonl").write_text("")
    return folder


def test_a_base_eval_folder_sets_the_audits_evaluation(tmp_path: Path) -> None:
    from rlvrlab.audit.run import benchmark_eval, eval_settings

    base = _eval_folder(
        tmp_path / "base", prompt="chat", limit=32, overrides=("aime24.n_samples=4", "temperature=1.0")
    )
    config = AuditConfig(base=str(base), trained=SIM, out=str(tmp_path / "audit"))
    settings = eval_settings(config, resolve_subject("base", str(base)))
    assert settings.benchmarks == ("sim500",) and settings.prompt == "chat" and settings.limit == 32
    protocol = settings.protocols()["sim500"]
    assert protocol.temperature == 1.0 and protocol.n_samples == 1  # aime24's override does not leak
    clash = AuditConfig(base=str(base), trained=SIM, out=str(tmp_path / "a"), prompt="qwen-math", limit=64)
    with pytest.raises(ValueError, match="uses its prompt, limit"):
        eval_settings(clash, resolve_subject("base", str(base)))
    other = _eval_folder(tmp_path / "trained", prompt="chat", limit=32)  # greedy: another protocol
    with pytest.raises(ValueError, match="another protocol than the base"):
        benchmark_eval(resolve_subject("trained", str(other)), settings, tmp_path)
    assert benchmark_eval(resolve_subject("base", str(base)), settings, tmp_path) == base
