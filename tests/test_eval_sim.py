"""Evaluating a shipped model organism exactly like a real model: `rlvr eval` on sim500 with the chat
prompt. The project's grader must agree with the sim world's own checker on every response."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlvrlab.cli import app
from rlvrlab.data import read_jsonl
from rlvrlab.sim.info import MODELS_DIR

_FINAL = re.compile(r"\\boxed\{(-?\d+)\}|[Tt]he answer is (-?\d+)")


def sim_answer(text: str) -> str | None:
    """The sim world's own answer forms (integer in the last \\boxed{} or "The answer is N."), read
    independently of the grading module."""
    found = _FINAL.findall(text)
    return next((a for a in found[-1] if a), None) if found else None


@pytest.mark.slow
def test_eval_shipped_sim_model_on_sim500(tmp_path: Path) -> None:
    model = MODELS_DIR / "sim-qwen-math"
    assert (model / "model.safetensors").is_file(), f"{model}: shipped sim model missing"
    args = ["eval", "--model", str(model), "--benchmarks", "sim500", "--limit", "16", "--prompt", "chat"]
    args += ["--set", "max_new_tokens=200", "--set", "temperature=1.0", "--set", "n_samples=2"]
    args += ["--batch-size", "8", "--out", str(tmp_path)]  # T=1: greedy solves nearly every problem
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = read_jsonl(tmp_path / "samples.jsonl")
    assert len(rows) == 32
    read = [(r, sim_answer(r["response"])) for r in rows]
    assert sum(a is not None for _, a in read) >= 24  # the organism almost always states a final answer
    assert all(r["correct"] == (a == r["gold"]) for r, a in read if a is not None)
    metrics = json.loads((tmp_path / "summary.json").read_text())["benchmarks"]["sim500"]
    assert 0 < metrics["accuracy"] < 1  # a pretrained organism solves some problems, not all
    assert metrics["code_rate"] >= 0.5  # the Qwen-Math-like family reasons in code
    assert metrics["truncation_rate"] == 0  # its solutions fit the budget
