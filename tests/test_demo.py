"""`rlvr demo --quick` end to end: real training runs, real evals, FINDINGS.md and the reports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlvrlab.cli import app
from rlvrlab.demo import CELLS, PLANS, answer_questions, plan_for


@pytest.mark.slow
def test_quick_demo_writes_findings_and_reports_from_real_runs(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--quick", "--out", str(out)])
    assert result.exit_code == 0, result.output
    plan = PLANS["quick"]
    findings = json.loads((out / "findings.json").read_text())
    assert {(r["family"], r["cell"]) for r in findings["cells"]} == {
        (f, c) for f in plan.families for c in plan.cells
    }
    for row in findings["cells"]:
        run = out / "runs" / f"{row['family']}--{row['cell']}--seed1"
        steps = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
        assert steps == list(range(1, plan.steps + 1))  # every rollout logged once
        assert 0 <= row["accuracy_final"] <= 1 and 0 <= row["code_rate_final"] <= 1
        low, high = row["accuracy_diff_ci95"]
        assert low <= row["accuracy_diff"] <= high
        final = json.loads((run / "eval" / "summary.json").read_text())["benchmarks"]["sim500"]
        assert final["n_problems"] == plan.eval_limit and final["samples_per_problem"] == plan.eval_samples
        assert row["accuracy_final"] == pytest.approx(final["accuracy"])
    assert [q["answer"] for q in findings["answers"]] == [
        q["answer"] for q in answer_questions(findings["cells"])
    ]
    assert "# rlvr demo: findings (measured)" in (out / "FINDINGS.md").read_text()
    for family in plan.families:
        page = (out / "report" / family / "index.html").read_text()
        images = re.findall(r'<img[^>]+src="([^"]+)"', page)
        assert (
            len(images) >= 8
        )  # curves (reward, accuracy, code rate, clip, token prob, ...) + evals + transitions
        assert all((out / "report" / family / src).stat().st_size > 1000 for src in images)
        assert page.count("<table") >= 3 and "Lang" in page


def test_plans_and_cells_are_consistent() -> None:
    for plan in PLANS.values():
        assert set(plan.cells) <= set(CELLS)
        assert plan.families == ("sim-qwen-math", "sim-llama")
    assert set(PLANS["default"].cells) == set(CELLS)  # the default demo runs every reward of the paper
    assert len(PLANS["full"].seeds) >= 3
    assert plan_for("quick", seeds=2, steps=3).seeds == (1, 2)
    with pytest.raises(ValueError, match="use one of quick, default, full"):
        plan_for("huge")


def test_answers_come_from_the_rows() -> None:
    def row(family: str, cell: str, diff: float, ci: tuple[float, float], code: tuple[float, float]) -> dict:
        return {
            "family": family,
            "cell": cell,
            "accuracy_diff": diff,
            "accuracy_diff_ci95": list(ci),
            "code_rate_base": code[0],
            "code_rate_final": code[1],
        }

    rows = [
        row("sim-qwen-math", "random", 0.10, (0.05, 0.15), (0.6, 0.8)),
        row("sim-llama", "random", 0.0, (-0.03, 0.03), (0.0, 0.0)),
        row("sim-qwen-math", "random_noclip", 0.0, (-0.04, 0.04), (0.6, 0.6)),
        row("sim-qwen-math", "ground_truth", 0.2, (0.1, 0.3), (0.6, 0.9)),
        row("sim-llama", "ground_truth", -0.01, (-0.05, 0.03), (0.0, 0.0)),
    ]
    assert [q["answer"] for q in answer_questions(rows)] == ["yes", "yes", "no"]
    rows[0] = row("sim-qwen-math", "random", 0.10, (0.05, 0.15), (0.6, 0.62))  # gain without a code shift
    assert answer_questions(rows)[0]["answer"] == "no"
    assert answer_questions(rows[1:])[0]["answer"] == "not measured in this mode"
