"""Grading generations produced elsewhere: the shared Qwen2.5-Math-1.5B MATH-500 files must reproduce
the reference accuracies exactly; the JSONL format joins responses to benchmark answers by id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlvrlab.cli import app
from rlvrlab.data import DataError, load_problems, read_jsonl, write_jsonl
from rlvrlab.evaluate import compare_runs, grade_generations

DATA = Path(__file__).parent / "data" / "qwen_math_1p5b"


def _reference_accuracy(file_name: str) -> float:
    rows = [r for r in read_jsonl(DATA / "reference_grades.jsonl") if r["file"] == file_name]
    assert len(rows) == 500
    return sum(r["correct"] for r in rows) / len(rows)


@pytest.mark.parametrize("name,expected", [("base_MATH-500.json", 0.36), ("step50_MATH-500.json", 0.672)])
def test_shared_generations_reproduce_reference_accuracy(tmp_path: Path, name: str, expected: float) -> None:
    assert _reference_accuracy(name) == expected  # the numbers the paper's harness reported in the file
    summary = grade_generations(DATA / name, "math500", tmp_path)
    metrics = summary["benchmarks"]["math500"]
    assert metrics["n_problems"] == 500 and metrics["samples_per_problem"] == 1
    rows = read_jsonl(tmp_path / "samples.jsonl")
    problems = load_problems("math500")
    assert [r["problem_id"] for r in rows] == [p.id for p in problems]
    reference = {
        r["index"]: r["correct"] for r in read_jsonl(DATA / "reference_grades.jsonl") if r["file"] == name
    }
    differ = [row["problem_id"] for i, row in enumerate(rows) if row["correct"] != reference[i]]
    assert differ == []  # every verdict equals the paper's, so avg@1 is the paper's number exactly
    assert metrics["accuracy"] == expected
    assert metrics["avg@1"] == metrics["pass@1"] == metrics["accuracy"]
    assert metrics["truncation_rate"] is None and metrics["mean_tokens"] is None  # unknown when imported
    low, high = metrics["accuracy_ci95"]
    assert low < expected < high and high - low < 0.1
    assert (
        json.loads((tmp_path / "summary.json").read_text())["benchmarks"]["math500"]["accuracy"]
        == metrics["accuracy"]
    )


def test_code_rate_of_shared_files(tmp_path: Path) -> None:
    """The paper's headline mechanism: code reasoning rises with training (55% -> 81% here)."""
    base = grade_generations(DATA / "base_MATH-500.json", "math500", tmp_path / "a")["benchmarks"]["math500"]
    step = grade_generations(DATA / "step50_MATH-500.json", "math500", tmp_path / "b")["benchmarks"][
        "math500"
    ]
    assert base["code_rate"] == pytest.approx(0.55) and step["code_rate"] == pytest.approx(0.808)
    result = compare_runs(tmp_path / "a", tmp_path / "b")["math500"]
    assert result["n_problems"] == 500
    assert result["diff"] == pytest.approx(step["accuracy"] - base["accuracy"])
    assert 0 < result["diff_ci95"][0] < result["diff"] < result["diff_ci95"][1]


def test_jsonl_generations_join_benchmark_answers(tmp_path: Path) -> None:
    problems = load_problems("aime24", limit=3)
    rows = [
        {"problem_id": problems[0].id, "response": f"so the answer is \\boxed{{{problems[0].answer}}}"},
        {"problem_id": problems[0].id, "response": "I give up"},
        {"problem_id": problems[1].id, "response": "The answer is \\boxed{1}. Let me check with python"},
    ]
    write_jsonl(tmp_path / "gen.jsonl", rows)
    summary = grade_generations(tmp_path / "gen.jsonl", "aime24", tmp_path / "out")
    samples = read_jsonl(tmp_path / "out" / "samples.jsonl")
    assert [(r["problem_id"], r["sample_index"], r["correct"]) for r in samples] == [
        (problems[0].id, 0, True),
        (problems[0].id, 1, False),
        (problems[1].id, 0, problems[1].answer == "1"),
    ]
    assert samples[0]["gold"] == problems[0].answer and samples[2]["uses_code"] is True
    assert summary["benchmarks"]["aime24"]["n_problems"] == 2


def test_jsonl_with_unknown_problem_id_names_the_row(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "gen.jsonl", [{"problem_id": "no-such-id", "response": "1"}])
    with pytest.raises(DataError, match=r"gen.jsonl: row 1: problem_id 'no-such-id' is not in the benchmark"):
        grade_generations(tmp_path / "gen.jsonl", "aime24", tmp_path / "out")


def test_cli_from_generations_and_compare(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["eval", "--from-generations", str(DATA / "base_MATH-500.json"), "--benchmark", "math500"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert "36.0" in result.output
    result = runner.invoke(app, ["eval", "--compare", str(tmp_path / "a"), str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert "+0.0" in result.output
    result = runner.invoke(app, args)  # no --out
    assert result.exit_code == 2 and "--out" in result.output


def test_paper_json_without_label_uses_the_benchmark_answer(tmp_path: Path) -> None:
    problems = load_problems("amc", limit=2)
    meta = [{"index": 1, "outputs": [f"\\boxed{{{problems[1].answer}}}", "\\boxed{-1}"]}]
    (tmp_path / "gen.json").write_text(json.dumps({"metadata": meta}))
    grade_generations(tmp_path / "gen.json", "amc", tmp_path / "out")
    rows = read_jsonl(tmp_path / "out" / "samples.jsonl")
    assert [(r["problem_id"], r["sample_index"], r["gold"], r["correct"]) for r in rows] == [
        (problems[1].id, 0, problems[1].answer, True),
        (problems[1].id, 1, problems[1].answer, False),
    ]


@pytest.mark.parametrize(
    "meta,match",
    [
        ([{"index": 99, "outputs": ["1"]}], r"metadata\[0\]: index 99 outside the benchmark's 30 problems"),
        ([{"index": "x", "outputs": ["1"]}], r"metadata\[0\]: index 'x' outside"),
        ([{"index": 0}], r"metadata\[0\]: missing field\(s\) outputs"),
        ([{"index": 0, "outputs": "1"}], "'outputs' must be a list of strings"),
    ],
)
def test_bad_paper_json_names_the_entry(tmp_path: Path, meta: list, match: str) -> None:
    (tmp_path / "gen.json").write_text(json.dumps({"metadata": meta}))
    with pytest.raises(DataError, match=match):
        grade_generations(tmp_path / "gen.json", "aime24", tmp_path / "out")
