"""Data loading: shipped sets, local files in every format, and every bad-input path."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlvrlab.cli import app
from rlvrlab.data import DataError, load_problems, shipped_names, to_hf_dataset

runner = CliRunner()


@pytest.mark.parametrize(("name", "rows"), [("math500", 500), ("aime24", 30), ("aime25", 30), ("amc", 83)])
def test_shipped_benchmarks_have_paper_sizes(name: str, rows: int) -> None:
    problems = load_problems(name)
    assert len(problems) == rows
    assert all(p.problem and p.answer for p in problems)


def test_deepscaler_shipped_with_unique_ids() -> None:
    problems = load_problems("deepscaler")
    assert len(problems) == 40308
    assert len({p.id for p in problems}) == 40308
    assert problems[0].extra["level"] == 1


def test_gold_answers_kept_verbatim() -> None:
    # AIME 2025 gold is zero-padded and AMC gold is a float: grading, not loading, reconciles them.
    assert load_problems("aime25")[0].answer == "070"
    assert load_problems("amc")[0].answer == "142.0"


def test_label_sets_load_with_answer_and_label() -> None:
    assert "qwen2.5_math_7b_incorrect" in shipped_names()
    rows = load_problems("qwen2.5_math_7b_incorrect")
    assert len(rows) == 100
    assert all(r.answer and "label" in r.extra for r in rows)
    ds = to_hf_dataset(rows, lambda problem: f"Q: {problem}")
    assert {"prompt", "answer", "label", "id", "source"} <= set(ds.column_names)
    assert ds[0]["prompt"].startswith("Q: ")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_local_formats_agree(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "problem": "1+1?", "answer": "2", "level": 3},
        {"id": "b", "problem": "2+2?", "answer": 4},
    ]
    jsonl = _write(tmp_path / "x.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    as_json = _write(tmp_path / "x.json", json.dumps(rows))
    gz = tmp_path / "x.jsonl.gz"
    gz.write_bytes(gzip.compress(jsonl.read_bytes()))
    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet = tmp_path / "x.parquet"
    pq.write_table(pa.Table.from_pylist([{**r, "answer": str(r["answer"])} for r in rows]), parquet)
    loaded = [load_problems(str(p)) for p in (jsonl, as_json, gz, parquet)]
    for problems in loaded:
        assert [(p.id, p.problem, p.answer) for p in problems] == [("a", "1+1?", "2"), ("b", "2+2?", "4")]
    assert loaded[0][0].extra == {"level": 3}
    assert loaded[0][0].source == "x"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"problem": "a", "answer": "1"}\n{"problem": "b", "answer": \n', "bad.jsonl:2: malformed JSON"),
        (
            '{"problem": "a", "answer": "1"}\n{"answer": "2"}\n',
            "bad.jsonl:2: missing or empty field 'problem'",
        ),
        ('{"problem": "a"}\n', "bad.jsonl:1: missing field 'answer'"),
        ('{"problem": "a", "answer": ["x"]}\n', "bad.jsonl:1: field 'answer' must be"),
        ("[1, 2]\n", "bad.jsonl:1: expected a JSON object"),
        ("", "bad.jsonl: no rows"),
        ("\n\n", "bad.jsonl: no rows"),
        (
            '{"id": 1, "problem": "a", "answer": "1"}\n{"id": 1, "problem": "b", "answer": "2"}\n',
            "duplicate id '1'",
        ),
    ],
)
def test_bad_input_names_file_line_and_field(tmp_path: Path, content: str, message: str) -> None:
    path = _write(tmp_path / "bad.jsonl", content)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_problems(str(path))


def test_bad_json_file_names_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.json", '[\n {"problem": "a", "answer": "1"},\n {"problem": }\n]')
    with pytest.raises(DataError, match=r"bad.json:3: malformed JSON"):
        load_problems(str(path))
    with pytest.raises(DataError, match=r"row 1: missing field 'answer'"):
        load_problems(str(_write(tmp_path / "b.json", '[{"problem": "a", "answer": "1"}, {"problem": "b"}]')))


def test_missing_and_unsupported_paths(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="nope.jsonl: file not found"):
        load_problems(str(tmp_path / "nope.jsonl"))
    with pytest.raises(DataError, match="not a data file"):
        load_problems(str(_write(tmp_path / "x.csv", "problem,answer\n")))


def test_unknown_name_offline_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="not a shipped name .*math500.*HF hub"):
        load_problems("no-such-org/no-such-dataset")


def test_cli_stats_counts_and_error_exit() -> None:
    for name, rows in [("math500", 500), ("aime24", 30), ("aime25", 30), ("amc", 83)]:
        result = runner.invoke(app, ["data", "stats", name])
        assert result.exit_code == 0, result.output
        assert f"{name}: {rows} rows" in result.output
    result = runner.invoke(app, ["data", "stats", "missing.jsonl"])
    assert result.exit_code == 2
    assert "missing.jsonl: file not found" in result.output
    assert "Traceback" not in result.output


def test_cli_show_prints_rows() -> None:
    result = runner.invoke(app, ["data", "show", "aime25", "--limit", "1"])
    assert result.exit_code == 0, result.output
    assert "070" in result.output


def test_append_after_a_torn_line_keeps_every_row_whole(tmp_path: Path) -> None:
    from rlvrlab.data import append_jsonl, read_jsonl

    path = tmp_path / "rows.jsonl"
    append_jsonl(path, [{"i": 0}, {"i": 1}])
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('{"i": 2, "half')  # killed mid-write
    assert [r["i"] for r in read_jsonl(path)] == [0, 1]  # the torn line is dropped on read
    append_jsonl(path, [{"i": 2}, {"i": 3}])
    assert [r["i"] for r in read_jsonl(path)] == [0, 1, 2, 3]
    assert path.read_text().count("\n") == 4
