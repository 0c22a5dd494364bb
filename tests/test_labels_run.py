"""The labelling job: outputs, incorrect set, stats, resume after a real interruption, label files as
training data. A scripted generator stands in for the model; one slow test runs the CLI on a tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rlvrlab.data import load_problems, read_jsonl, to_hf_dataset, write_jsonl
from rlvrlab.generate import Sample
from rlvrlab.grading import verify
from rlvrlab.labels.run import ANSWERS_FILE, LabelOptions, run_labelling

# problem i's scripted answers (cycled over the samples): gold of problem i is str(i)
SCRIPTS = {
    0: ["0", "0", "0.0", "7"],  # majority right (0 and 0.0 cluster)
    1: ["5", "5", "1", "\\frac{10}{2}"],  # majority wrong (5), right answer in the minority
    2: [None, None, None, None],  # no answer at all: empty label, in neither set
    3: ["3", "4", "4", "3"],  # tie: the first seen (3, right) wins
    4: ["9", "8", "9", "8"],  # tie, both wrong: 9
    5: ["5.0", "5", "5", "5"],  # right, surface form "5"
}


class ScriptedGenerator:
    """Answers from SCRIPTS in a \\boxed{}; optionally raises after `fail_after` generate calls."""

    tokenizer = None

    def __init__(self, fail_after: int | None = None) -> None:
        self.fail_after = fail_after
        self.prompts_seen: list[str] = []
        self.calls = 0

    def generate(self, prompts: list[str], params) -> list[Sample]:
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise KeyboardInterrupt("simulated interruption")
        self.calls += 1
        self.prompts_seen += prompts
        samples, seen = [], {}
        for prompt in prompts:
            i = int(prompt.removeprefix("Problem number "))
            j = seen[i] = seen.get(i, -1) + 1
            answer = SCRIPTS[i][j % len(SCRIPTS[i])]
            text = "no idea" if answer is None else f"so \\boxed{{{answer}}}"
            samples.append(Sample(text=text, n_tokens=5, finish_reason="stop"))
        return samples


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "problems.jsonl"
    write_jsonl(path, [{"id": f"p{i}", "problem": f"{i}", "answer": str(i)} for i in SCRIPTS])
    return path


def options_for(data_file: Path, **overrides) -> LabelOptions:
    settings = dict(data=str(data_file), model="scripted", samples=4, prompt="Problem number {problem}")
    return LabelOptions(**{**settings, "problems_per_chunk": 2, **overrides})


def test_outputs_labels_and_incorrect_set(data_file: Path, tmp_path: Path):
    out = tmp_path / "labels"
    stats = run_labelling(options_for(data_file), out, generator=ScriptedGenerator())
    rows = {r["id"]: r for r in read_jsonl(out / "all.jsonl")}
    assert [rows[f"p{i}"]["label"] for i in SCRIPTS] == ["0", "5", "", "3", "9", "5"]
    assert rows["p0"]["vote_share"] == 0.75 and rows["p0"]["n_answers"] == 4
    assert rows["p2"]["n_answers"] == 0 and rows["p2"]["label_correct"] is False
    incorrect = read_jsonl(out / "incorrect.jsonl")
    correct = read_jsonl(out / "correct.jsonl")
    assert [r["id"] for r in incorrect] == ["p1", "p2", "p4"]  # p2: empty label, kept as the paper does
    assert [r["id"] for r in correct] == ["p0", "p3", "p5"]
    for r in incorrect:  # label != ground truth, checked independently of the labelling code
        assert r["label"] != r["answer"]
        assert not verify(r["answer"], r["label"], mode="robust").correct
    for r in correct:
        assert verify(r["answer"], r["label"], mode="robust").correct
    assert (stats["n_correct"], stats["n_incorrect"], stats["n_no_answer"], stats["n_incorrect_set"]) == (
        3,
        2,
        1,
        3,
    )
    assert stats["label_accuracy"] == pytest.approx(3 / 6)
    assert stats["label_accuracy_when_labelled"] == pytest.approx(3 / 5)
    # shares: p0 .75, p1 .75 (5, 5, 10/2), p3 .5, p4 .5, p5 1.0; p2 has no answers
    assert stats["vote_share_histogram"]["counts"] == [0, 0, 0, 0, 0, 2, 0, 2, 0, 1]
    assert json.loads((out / "stats.json").read_text()) == stats


def test_empty_labels_can_be_left_out_of_the_incorrect_set(data_file: Path, tmp_path: Path):
    out = tmp_path / "labels"
    stats = run_labelling(
        options_for(data_file, empty_label_in_incorrect=False), out, generator=ScriptedGenerator()
    )
    assert [r["id"] for r in read_jsonl(out / "incorrect.jsonl")] == ["p1", "p4"]
    assert stats["n_incorrect_set"] == 2


def test_label_files_load_as_training_data(data_file: Path, tmp_path: Path):
    out = tmp_path / "labels"
    run_labelling(options_for(data_file), out, generator=ScriptedGenerator())
    for name in ("all.jsonl", "correct.jsonl", "incorrect.jsonl"):
        problems = load_problems(str(out / name))
        table = to_hf_dataset(problems, render_prompt=lambda text: text)
        assert {"prompt", "answer", "label", "id"} <= set(table.column_names)
    incorrect = load_problems(str(out / "incorrect.jsonl"))
    assert [(p.id, p.answer, p.extra["label"]) for p in incorrect] == [
        ("p1", "1", "5"),
        ("p2", "2", ""),
        ("p4", "4", "9"),
    ]


def test_shipped_label_sets_load_as_training_data():
    from rlvrlab.data.load import shipped_dir

    paths = sorted((shipped_dir().parent / "labels").glob("*.jsonl"))
    assert len(paths) == 16
    for path in paths:
        table = to_hf_dataset(load_problems(str(path)), render_prompt=lambda text: text)
        assert table.num_rows == 100 and sum(bool(label) for label in table["label"]) >= 50


def test_resume_after_interruption_loses_and_duplicates_nothing(data_file: Path, tmp_path: Path):
    out = tmp_path / "labels"
    with pytest.raises(KeyboardInterrupt):
        run_labelling(options_for(data_file), out, generator=ScriptedGenerator(fail_after=2))
    assert [r["id"] for r in read_jsonl(out / ANSWERS_FILE)] == ["p0", "p1", "p2", "p3"]
    assert not (out / "all.jsonl").exists()
    with open(out / ANSWERS_FILE, "a", encoding="utf-8") as handle:
        handle.write('{"id": "p4", "answ')  # killed mid-write: a torn last line
    with pytest.raises(ValueError, match="--resume"):
        run_labelling(options_for(data_file), out, generator=ScriptedGenerator())
    second = ScriptedGenerator()
    run_labelling(options_for(data_file), out, resume=True, generator=second)
    assert sorted({int(p.removeprefix("Problem number ")) for p in second.prompts_seen}) == [4, 5]
    ids = [r["id"] for r in read_jsonl(out / ANSWERS_FILE)]
    assert sorted(ids) == [f"p{i}" for i in SCRIPTS] and len(ids) == len(set(ids))
    assert [r["id"] for r in read_jsonl(out / "all.jsonl")] == [f"p{i}" for i in SCRIPTS]


def test_resume_refuses_other_sampling_settings_but_relabels_for_free(data_file: Path, tmp_path: Path):
    out = tmp_path / "labels"
    run_labelling(options_for(data_file), out, generator=ScriptedGenerator())
    with pytest.raises(ValueError, match="samples: 4 -> 8"):
        run_labelling(options_for(data_file, samples=8), out, resume=True, generator=ScriptedGenerator())
    # relabelling needs no model: generator=None would fail to load "scripted" if sampling were attempted
    run_labelling(options_for(data_file, label_mode="minority"), out, resume=True)
    rows = {r["id"]: r for r in read_jsonl(out / "all.jsonl")}
    assert (
        rows["p0"]["label"] == "7" and rows["p1"]["label"] == "1" and rows["p0"]["label_mode"] == "minority"
    )


def test_options_validate():
    with pytest.raises(ValueError, match="temperature"):
        LabelOptions(temperature=0.0)
    with pytest.raises(ValueError, match="label_mode"):
        LabelOptions(label_mode="plurality")  # type: ignore[arg-type]


@pytest.mark.slow
def test_cli_labels_a_tiny_model(tiny_model_dir: Path, tmp_path: Path):
    """End to end through `rlvr label` with a real (random tiny) model: structure, not label quality."""
    from typer.testing import CliRunner

    from rlvrlab.cli import app

    out = tmp_path / "tiny_labels"
    args = ["label", "--model", str(tiny_model_dir), "--data", "math500", "--out", str(out)]
    args += ["--samples", "4", "--limit", "3", "--max-new-tokens", "8", "--batch-size", "12"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "labelling: 3/3 problems" in result.output and "label accuracy" in result.output
    rows = read_jsonl(out / "all.jsonl")
    assert [r["n_samples"] for r in rows] == [4, 4, 4]
    assert all(0 <= r["n_answers"] <= 4 and (r["label"] == "") == (r["n_answers"] == 0) for r in rows)
    stats = json.loads((out / "stats.json").read_text())
    assert (
        stats["n_problems"] == 3 and sum(stats["vote_share_histogram"]["counts"]) == 3 - stats["n_no_answer"]
    )
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 2 and "--resume" in again.output
