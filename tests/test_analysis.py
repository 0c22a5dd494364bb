"""Analysis: code detectors, per-eval stats, transitions, partial contributions, run curves, `rlvr analyze`.

The real-data tests read the shared Qwen2.5-Math-1.5B MATH-500 generations (tests/data/qwen_math_1p5b)
and compute every expected number independently from the raw JSON (the paper rule on raw outputs,
correctness from reference_grades.jsonl) with plain loops.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlvrlab.analysis.evals import analyze_evals, eval_set_from_rows, eval_stats, load_eval, transitions
from rlvrlab.analysis.runs import load_run, run_summary
from rlvrlab.cli import app
from rlvrlab.metrics import code_flags, has_boxed_answer, uses_code, uses_code_strict

DATA = Path(__file__).parent / "data" / "qwen_math_1p5b"
FILES = {"base": "base_MATH-500.json", "step50": "step50_MATH-500.json"}

# ---------------------------------------------------------------- raw data, read without the library


def _raw(name: str) -> list[tuple[str, str, bool, str]]:
    """[(problem_id, response, correct, extracted)] straight from the raw JSON + reference grades."""
    grades = {}
    for line in (DATA / "reference_grades.jsonl").read_text().splitlines():
        g = json.loads(line)
        if g["file"] == FILES[name]:
            grades[(g["index"], g["rollout"])] = g
    records = json.loads((DATA / FILES[name]).read_text())["metadata"]
    out = []
    for record in records:
        for j, response in enumerate(record["outputs"]):
            g = grades[(record["index"], j)]
            out.append((str(record["index"]), response, g["correct"], g["extracted"]))
    return out


def _write_eval_dir(root: Path, name: str) -> Path:
    """An EVAL_DIR with the samples.jsonl schema of `rlvr eval`, graded by the reference grades."""
    folder = root / name
    folder.mkdir(parents=True)
    with open(folder / "samples.jsonl", "w") as handle:
        for pid, response, correct, extracted in _raw(name):
            row = dict(benchmark="math500", problem_id=pid, sample_index=0, prompt=None, response=response)
            row.update(extracted=extracted, correct=correct, n_tokens=None, finish_reason=None)
            handle.write(json.dumps(row) + "\n")
    return folder


@pytest.fixture(scope="module")
def real_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("real_evals")
    return {name: _write_eval_dir(root, name) for name in FILES}


# ---------------------------------------------------------------- detectors


@pytest.mark.parametrize(
    ("text", "paper", "strict"),
    [
        ("Let's solve it with Python:\n```python\nx = 1\n```", True, True),
        ("I will not use PYTHON here. The answer is 3.", True, False),
        ("x = 2\ny = x + 1\nprint(y)\n", False, True),  # unfenced code, no "python"
        ("x = 2\n\n  \ny = 3\nz = x*y", False, True),  # blank lines do not break a run
        ("x = 2\nSo then\ny = 3\nz = 4", False, False),  # prose breaks the run
        ("a == b\nc == d\ne == f", False, False),  # comparisons are not assignments
        ("We compute f(x) = 2x.\nThus f(2) = 4.\nDone.", False, False),
        ("", False, False),
    ],
)
def test_code_detectors(text: str, paper: bool, strict: bool) -> None:
    assert uses_code(text) is paper
    assert uses_code_strict(text) is strict
    assert code_flags([text])[0][0] == paper and code_flags([text])[1][0] == strict


_LINE = re.compile(
    r"^\s*(?:(?:def|class|for|while|if|elif|else|return|import|from|print|try|except|with)\b"
    r"|[A-Za-z_][A-Za-z_0-9]*(?:\s*,\s*[A-Za-z_][A-Za-z_0-9]*)*\s*[-+*/]?=(?!=)"
    r"|[A-Za-z_][A-Za-z_0-9.]*\(.*\)\s*$)"
)


def _strict_by_lines(text: str, min_lines: int) -> bool:
    """The strict rule as a per-line loop (the definition the one-regex version must equal)."""
    if re.search(r"```(?:python|py)\s*\n", text, re.IGNORECASE):
        return True
    run = 0
    for line in text.split("\n"):
        if _LINE.match(line):
            run += 1
            if run >= min_lines:
                return True
        elif line.strip():
            run = 0
    return False


@pytest.mark.parametrize("min_lines", [1, 2, 3, 5])
def test_strict_regex_equals_line_loop_on_real_outputs(min_lines: int) -> None:
    texts = [r[1] for name in FILES for r in _raw(name)]
    texts += [t.replace("```python", "```") for t in texts]  # exercise the unfenced path too
    expected = [_strict_by_lines(t, min_lines) for t in texts]
    assert [uses_code_strict(t, min_lines) for t in texts] == expected
    assert 0 < sum(expected) < len(texts)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("so \\boxed{42}.", True),
        ("\\boxed{}", False),
        ("\\boxed{ }", False),
        ("\\boxed{\\frac{1}{2}}", True),
        ("\\boxed{{}}", True),  # non-empty body "{}" (the paper reward checks the body string)
        ("\\boxed{3} then \\boxed{}", False),  # the last box counts
        ("\\boxed{\\frac{1}{2", False),  # unclosed: not the format the reward pays for
        ("\\fbox{3}", False),  # only \\boxed counts (extraction also reads \\fbox)
        ("\\boxed{3} and \\boxed{4", False),  # the last box is unclosed
        ("no box, answer 3", False),
    ],
)
def test_has_boxed_answer(text: str, expected: bool) -> None:
    assert has_boxed_answer(text) is expected


# ---------------------------------------------------------------- real data


@pytest.mark.parametrize("name", list(FILES))
def test_real_eval_stats_match_raw_files(real_dirs: dict[str, Path], name: str) -> None:
    raw = _raw(name)
    code = [("python" in response.lower(), correct) for _, response, correct, _ in raw]
    with_code = [c for uses, c in code if uses]
    without = [c for uses, c in code if not uses]
    (ev,) = load_eval(real_dirs[name])
    stats = eval_stats(ev, n_boot=200)
    assert stats["n_samples"] == stats["n_problems"] == 500
    assert stats["code_rate"] == pytest.approx(len(with_code) / 500)
    assert stats["accuracy"] == pytest.approx(sum(c for _, c in code) / 500)
    assert stats["with_code"]["accuracy"] == pytest.approx(sum(with_code) / len(with_code))
    assert stats["without_code"]["accuracy"] == pytest.approx(sum(without) / len(without))
    assert stats["no_answer_rate"] == pytest.approx(sum(not e for *_, e in raw) / 500)
    assert stats["truncation_rate"] is None  # unknown for imported generations: never invented
    low, high = stats["accuracy_ci95"]
    assert low < stats["accuracy"] < high


def test_real_base_numbers_are_the_papers_shape(real_dirs: dict[str, Path]) -> None:
    """Pinned: base 55.0% code, 52.4% vs 16.0% accuracy (paper: 53.6%, 52.6% vs 17.2%)."""
    stats = eval_stats(load_eval(real_dirs["base"])[0], n_boot=200)
    assert (stats["code_rate"], stats["accuracy"]) == (pytest.approx(0.55), pytest.approx(0.36))
    assert stats["with_code"]["n_samples"] == 275
    assert round(stats["with_code"]["accuracy"], 3) == 0.524 and stats["without_code"]["accuracy"] == 0.16


def test_real_transitions_match_raw_files(real_dirs: dict[str, Path]) -> None:
    before, after = ({pid: (c, "python" in r.lower()) for pid, r, c, _ in _raw(n)} for n in FILES)
    expected: dict[str, list[int]] = {}
    for pid, (correct_a, code_a) in before.items():
        correct_b, code_b = after[pid]
        key = ("Code" if code_a else "Lang") + "->" + ("Code" if code_b else "Lang")
        counts = expected.setdefault(key, [0, 0, 0])
        counts[0] += 1
        counts[1] += correct_a
        counts[2] += correct_b
    change = sum(c for c, _ in after.values()) - sum(c for c, _ in before.values())
    result = transitions(*(load_eval(real_dirs[n])[0] for n in FILES))
    assert result["delta_correct"] == change == 156  # reference grades: 180 -> 336 correct
    for row in result["subsets"]:
        n, correct_a, correct_b = expected[row["subset"]]
        assert (row["n_problems"], row["correct_before"], row["correct_after"]) == (n, correct_a, correct_b)
        assert row["partial_contribution"] == pytest.approx((correct_b - correct_a) / change)
    assert sum(r["partial_contribution"] for r in result["subsets"]) == pytest.approx(1.0)
    lang_to_code = next(r for r in result["subsets"] if r["subset"] == "Lang->Code")
    assert lang_to_code["n_problems"] == 187 and lang_to_code["delta_correct"] == 128


def test_cli_analyze_json(real_dirs: dict[str, Path]) -> None:
    result = CliRunner().invoke(app, ["analyze", str(real_dirs["base"]), str(real_dirs["step50"]), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [e["name"] for e in data["evals"]] == ["base", "step50"]
    assert data["evals"][1]["code_rate"] == pytest.approx(0.808)
    assert {r["subset"] for r in data["transitions"][0]["subsets"]} == {
        "Code->Code",
        "Code->Lang",
        "Lang->Code",
        "Lang->Lang",
    }
    tables = CliRunner().invoke(app, ["analyze", str(real_dirs["base"]), str(real_dirs["step50"])])
    assert tables.exit_code == 0 and "Lang->Code" in tables.output


def test_cli_analyze_bad_dir_is_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["analyze", str(tmp_path)])
    assert result.exit_code == 2 and "no samples.jsonl" in " ".join(result.output.split())


# ---------------------------------------------------------------- synthetic: k samples, edge cases


def _rows(spec: dict[str, list[tuple[bool, bool]]], benchmark: str = "b") -> list[dict]:
    """{problem: [(uses code, correct), ...]} -> sample rows."""
    rows = []
    for pid, samples in spec.items():
        for j, (code, correct) in enumerate(samples):
            text = "```python\nx = 1\n```" if code else "We reason in words."
            rows.append(
                dict(benchmark=benchmark, problem_id=pid, sample_index=j, response=text, correct=correct)
            )
    return rows


def test_k_samples_majority_mode_and_avg_at_k() -> None:
    before = eval_set_from_rows(
        _rows({"p": [(True, True), (True, False), (False, False)], "q": [(True, True), (False, False)]}),
        "a",
        "b",
    )
    after = eval_set_from_rows(
        _rows({"p": [(False, True), (False, True), (True, True)], "q": [(True, True), (True, True)]}),
        "z",
        "b",
    )
    stats = eval_stats(before, n_boot=100)
    assert stats["accuracy"] == pytest.approx((1 / 3 + 1 / 2) / 2)  # avg@k: mean of per-problem accuracy
    assert stats["with_code"]["accuracy"] == pytest.approx(2 / 3)  # pooled over samples: 2 of 3 code samples
    assert stats["without_code"]["accuracy"] == 0.0 and stats["samples_per_problem"] == 2
    result = transitions(before, after)
    by = {r["subset"]: r for r in result["subsets"]}
    assert by["Code->Lang"]["n_problems"] == 1  # p: 2/3 code -> 1/3 code
    assert by["Lang->Code"]["n_problems"] == 1  # q: a 1/2 tie counts as Lang -> 2/2 code
    assert by["Code->Lang"]["correct_before"] == pytest.approx(1 / 3)
    assert result["delta_correct"] == pytest.approx(2 - 5 / 6)


def test_zero_overall_change_gives_none_with_note() -> None:
    a = eval_set_from_rows(_rows({"p": [(True, True)], "q": [(False, False)]}), "a", "b")
    b = eval_set_from_rows(_rows({"p": [(False, False)], "q": [(True, True)]}), "z", "b")
    result = transitions(a, b)
    assert result["delta_correct"] == 0 and "zero" in result["note"]
    assert all(r["partial_contribution"] is None for r in result["subsets"])


def test_transitions_refuse_other_benchmark_and_disjoint_problems() -> None:
    a = eval_set_from_rows(_rows({"p": [(True, True)]}, "x"), "a", "x")
    with pytest.raises(ValueError, match="different benchmarks"):
        transitions(a, eval_set_from_rows(_rows({"p": [(True, True)]}, "y"), "z", "y"))
    with pytest.raises(ValueError, match="share no problem"):
        transitions(a, eval_set_from_rows(_rows({"q": [(True, True)]}, "x"), "z", "x"))


def test_missing_field_names_file_and_line(tmp_path: Path) -> None:
    rows = _rows({"p": [(True, True)], "q": [(False, False)]})
    del rows[1]["correct"]
    (tmp_path / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(ValueError, match=r"samples.jsonl:2: .*'correct'"):
        load_eval(tmp_path)


def test_analyze_two_evals_one_benchmark_each(tmp_path: Path) -> None:
    for name, spec in (("a", {"p": [(False, False)]}), ("b", {"p": [(True, True)]})):
        (tmp_path / name).mkdir()
        rows = _rows(spec, "math500") + _rows(spec, "aime24")
        (tmp_path / name / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = analyze_evals([tmp_path / "a", tmp_path / "b"], n_boot=50)
    assert [(e["name"], e["benchmark"]) for e in result["evals"]][:2] == [("a", "math500"), ("a", "aime24")]
    assert [t["benchmark"] for t in result["transitions"]] == ["math500", "aime24"]
    lang_to_code = result["transitions"][0]["subsets"][2]
    assert lang_to_code["delta_correct"] == 1.0  # the one problem went Lang -> Code and became correct
    assert lang_to_code["partial_contribution"] is None  # one problem: no interval, so no shares


# ---------------------------------------------------------------- training runs


def test_load_run_tolerates_missing_and_nan(tmp_path: Path) -> None:
    rows = [
        {"step": 1, "reward/random_0.5/mean": 0.5, "train/accuracy": float("nan"), "clip/low_fraction": 0.01},
        {
            "step": 2,
            "reward/random_0.5/mean": 0.4,
            "eval/math500/accuracy": 0.3,
            "eval/math500/code_rate": 0.6,
        },
        {"step": 3, "reward/random_0.5/mean": 0.6, "train/accuracy": 0.25, "policy/entropy": None},
    ]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "config.yaml").write_text("reward: random:0.5\n")
    run = load_run(tmp_path)
    assert run.config == {"reward": "random:0.5"} and run.name == tmp_path.name
    assert run.curves["train/accuracy"][0].tolist() == [3.0]  # NaN step dropped, not filled
    assert "policy/entropy" not in run.curves
    assert run.curves["reward/random_0.5/mean"][1].tolist() == [0.5, 0.4, 0.6]
    summary = run_summary(run)
    assert summary["steps"] == 3 and summary["rewards"] == ["random_0.5"]
    assert summary["eval/math500/accuracy"] == {"first": 0.3, "last": 0.3}
    assert summary["policy/entropy"] == {"first": None, "last": None}
    assert not math.isnan(summary["train/accuracy"]["last"])
