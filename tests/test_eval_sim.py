"""Evaluating a shipped model organism exactly like a real model: `rlvr eval` on sim500 with the chat
prompt. The project's grader must agree with the sim world's own checker on every response."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlvrlab.cli import app
from rlvrlab.data import read_jsonl
from rlvrlab.sim.info import MODELS_DIR, is_correct


@pytest.mark.slow
def test_eval_shipped_sim_model_on_sim500(tmp_path: Path) -> None:
    model = MODELS_DIR / "sim-qwen-math"
    assert (model / "model.safetensors").is_file(), f"{model}: shipped sim model missing"
    args = ["eval", "--model", str(model), "--benchmarks", "sim500", "--limit", "16", "--prompt", "chat"]
    args += ["--set", "max_new_tokens=200", "--batch-size", "8", "--out", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = read_jsonl(tmp_path / "samples.jsonl")
    assert len(rows) == 16
    assert [r["correct"] for r in rows] == [is_correct(r["response"], r["gold"]) for r in rows]
    metrics = json.loads((tmp_path / "summary.json").read_text())["benchmarks"]["sim500"]
    assert 0 < metrics["accuracy"] < 1  # a pretrained organism solves some problems, not all
    assert metrics["code_rate"] >= 0.5  # the Qwen-Math-like family reasons in code
    assert metrics["truncation_rate"] == 0  # its solutions fit the budget
