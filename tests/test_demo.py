"""`rlvr demo --quick` end to end: real training runs, real evals, FINDINGS.md and the reports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlvrlab.cli import app
from rlvrlab.demo import ABLATIONS, ALL_CELLS, CELLS, DOSES, PLANS, plan_for
from rlvrlab.demo_findings import answer_questions


@pytest.mark.slow
def test_quick_demo_writes_findings_and_reports_from_real_runs(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--quick", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(result.output) < 10_000  # a line per job, the findings table, the answers: no log dumps
    plan = PLANS["quick"]
    findings = json.loads((out / "findings.json").read_text())
    assert {(r["family"], r["cell"]) for r in findings["cells"]} == {
        (f, c) for f, cells in plan.cells.items() for c in cells
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
        q["answer"] for q in answer_questions(findings["cells"], findings["mechanism"])
    ]
    assert {"clip on", "clip off", "1 update per rollout"} <= {a["arm"] for a in findings["mechanism"]}
    assert (out / "mechanism" / "mechanism.png").stat().st_size > 10_000
    assert "# rlvr demo: findings (measured)" in (out / "FINDINGS.md").read_text()
    page = (out / "report" / "index.html").read_text()
    images = re.findall(r'<img[^>]+src="([^"]+)"', page)
    assert images[0].startswith("headline-")  # the paper's Figure 1 opens the demo report
    assert len(images) >= 8  # headline, dynamics (code rate, accuracy, clip, token prob, ...), transitions
    assert all((out / "report" / src).stat().st_size > 1000 for src in images)
    assert page.count("<table") >= 3 and "Lang" in page and "Mechanism lab" in page
    headline = page[: page.index("Training dynamics")]
    assert all(family in headline for family in plan.families)  # every family's cells in the headline


def test_plans_and_cells_are_consistent() -> None:
    for plan in PLANS.values():
        assert all(set(cells) <= set(CELLS) for cells in plan.cells.values())
        assert plan.families == ("sim-qwen-math", "sim-llama")
    default = PLANS["default"]
    assert set(default.cells["sim-qwen-math"]) == set(CELLS)  # every reward of the paper + the ablations
    assert set(default.cells["sim-llama"]) == (set(ALL_CELLS) - set(ABLATIONS) - set(DOSES)) | {"random"}
    assert len(PLANS["full"].seeds) >= 3
    assert plan_for("quick", seeds=2, steps=3).seeds == (1, 2)
    with pytest.raises(ValueError, match="use one of quick, default, full"):
        plan_for("huge")


def test_answers_come_from_the_rows() -> None:
    def row(
        family: str, cell: str, diff: float, ci: tuple[float, float], code: tuple[float, float, float]
    ) -> dict:
        base, final, low = code
        return {
            "family": family,
            "cell": cell,
            "accuracy_diff": diff,
            "accuracy_diff_ci95": list(ci),
            "code_rate_base": base,
            "code_rate_final": final,
            "code_rate_diff": final - base,
            "code_rate_diff_ci95": [low, 2 * (final - base) - low],
        }

    qm, ll = "sim-qwen-math", "sim-llama"
    rows = [
        row(qm, "random", 0.10, (0.05, 0.15), (0.6, 0.8, 0.12)),
        row(ll, "random", 0.0, (-0.03, 0.03), (0.0, 0.0, 0.0)),
        row(qm, "random_noclip", 0.0, (-0.04, 0.04), (0.6, 0.6, -0.02)),
        row(qm, "random_onpolicy", -0.1, (-0.2, -0.05), (0.6, 0.6, -0.02)),
        row(qm, "random_8x16_onpolicy", 0.01, (-0.02, 0.04), (0.6, 0.6, -0.02)),
        row(qm, "ground_truth", 0.2, (0.1, 0.3), (0.6, 0.9, 0.25)),
        row(ll, "ground_truth", -0.01, (-0.05, 0.03), (0.0, 0.0, 0.0)),
        row(qm, "python", -0.01, (-0.05, 0.03), (0.6, 0.97, 0.3)),
        row(qm, "format_no_python", -0.1, (-0.2, 0.0), (0.6, 0.3, -0.4)),
    ]
    assert [q["answer"] for q in answer_questions(rows)] == ["yes", "yes", "no", "yes"]
    rows[0] = row(qm, "random", 0.10, (0.05, 0.15), (0.6, 0.65, 0.01))  # gain without a 10-point code shift
    assert answer_questions(rows)[0]["answer"] == "no"
    rows[2] = row(qm, "random_noclip", 0.05, (0.01, 0.09), (0.6, 0.6, -0.02))  # an ablation that gains
    assert answer_questions(rows)[1]["answer"] == "no"
    assert answer_questions(rows[1:])[0]["answer"] == "not measured in this mode"
    assert "note" not in answer_questions(rows)[1]  # clip fractions not logged: nothing claimed
    rows[0] |= {"first_token_clip_fraction": 0.0, "other_tokens_clip_fraction": 0.0}
    assert "same computation" in answer_questions(rows)[1]["note"]  # a clip that never bound
    rows[0]["other_tokens_clip_fraction"] = 1e-5
    assert "note" not in answer_questions(rows)[1]
    mechanism = [
        {
            "arm": "clip on",
            "share_majority": 0.84,
            "share_majority_ci95": [0.76, 0.9],
            "mean_p_majority": 0.81,
            "p_majority_start": 0.65,
        },
        {
            "arm": "clip off",
            "share_majority": 0.52,
            "share_majority_ci95": [0.42, 0.62],
            "mean_p_majority": 0.52,
            "p_majority_start": 0.65,
        },
        {
            "arm": "1 update per rollout",
            "share_majority": 0.64,
            "share_majority_ci95": [0.54, 0.73],
            "mean_p_majority": 0.6,
            "p_majority_start": 0.65,
        },
    ]
    assert answer_questions(rows, mechanism)[-1]["answer"] == "yes"
    mechanism[1] = {**mechanism[1], "mean_p_majority": 0.8, "share_majority_ci95": [0.7, 0.9]}
    assert answer_questions(rows, mechanism)[-1]["answer"] == "no"
