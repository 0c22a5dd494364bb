"""`rlvr grade` and the grading limits: one test per defect of issue 13 (each failed on the main branch
before the fix), plus the robust extraction options."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlvrlab.cli import app
from rlvrlab.grading import grade, verify
from rlvrlab.grading.worker import KillableWorker, default_worker


def _write(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _grade(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["grade", *args])
    return result.exit_code, " ".join(result.output.split())


def test_out_equal_to_input_is_refused_and_the_input_kept(tmp_path: Path) -> None:
    source = _write(tmp_path / "s.jsonl", [{"response": "\\boxed{5}", "answer": "5"}])
    before = source.read_bytes()
    code, output = _grade(str(source), "--out", str(source))
    assert code == 2 and "is the input file" in output
    assert source.read_bytes() == before


def test_a_failed_run_leaves_an_existing_output_as_it_was(tmp_path: Path) -> None:
    source = _write(tmp_path / "in.jsonl", [{"response": "\\boxed{5}", "answer": "5"}, {"response": "x"}])
    out = tmp_path / "out.jsonl"
    out.write_text("earlier results\n")
    code, output = _grade(str(source), "--out", str(out))
    assert code == 2 and "in.jsonl:2" in output
    assert (
        out.read_text() == "earlier results\n"
        and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    )


def test_out_in_a_missing_folder_is_created(tmp_path: Path) -> None:
    source = _write(tmp_path / "in.jsonl", [{"response": "\\boxed{5}", "answer": "5"}])
    out = tmp_path / "missing_dir" / "x.jsonl"
    code, output = _grade(str(source), "--out", str(out))
    assert code == 0, output
    assert json.loads(out.read_text())["correct"] is True


def test_non_utf8_input_names_the_file_and_line(tmp_path: Path) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_bytes(
        b'{"response": "\\\\boxed{1}", "answer": "1"}\n{"response": "\xff\xfe", "answer": "1"}\n'
    )
    code, output = _grade(str(source), "--out", str(tmp_path / "o.jsonl"))
    assert code == 2 and "bad.jsonl:2: not UTF-8" in output and "Traceback" not in output


@pytest.mark.parametrize("timeout", ["-1", "0", "nan", "inf"])
def test_timeout_must_be_positive(tmp_path: Path, timeout: str) -> None:
    source = _write(tmp_path / "in.jsonl", [{"response": "\\boxed{5}", "answer": "5"}])
    code, output = _grade(str(source), "--out", str(tmp_path / "o.jsonl"), "--timeout", timeout)
    assert code == 2 and "timeout must be a positive number" in output


@pytest.mark.parametrize("answer", [None, [5], {"a": 5}, True])
def test_answers_must_be_strings_or_numbers(tmp_path: Path, answer: object) -> None:
    source = _write(tmp_path / "in.jsonl", [{"response": "\\boxed{5}", "answer": answer}])
    code, output = _grade(str(source), "--out", str(tmp_path / "o.jsonl"))
    assert code == 2 and "in.jsonl:1: field 'answer' must be a string or a number" in output


def test_numbers_as_answers_and_correct_is_always_a_json_boolean(tmp_path: Path) -> None:
    rows = [
        {"response": "\\boxed{5}", "answer": 5, "correct": "false"},
        {"response": "\\boxed{0.5}", "answer": 0.5},
        {"response": "\\boxed{4}", "answer": "5", "correct": "true"},
    ]
    out = tmp_path / "o.jsonl"
    code, output = _grade(str(_write(tmp_path / "in.jsonl", rows)), "--out", str(out))
    assert code == 0 and "accuracy 0.6667 (2/3)" in output
    assert [json.loads(line)["correct"] for line in out.read_text().splitlines()] == [True, True, False]


def test_response_must_be_a_string(tmp_path: Path) -> None:
    source = _write(tmp_path / "in.jsonl", [{"response": ["\\boxed{5}"], "answer": "5"}])
    code, output = _grade(str(source), "--out", str(tmp_path / "o.jsonl"))
    assert code == 2 and "field 'response' must be a string" in output


def test_robust_extraction_and_forms_options(tmp_path: Path) -> None:
    rows = [{"response": "Final Answer: The largest $n$ is 34.", "answer": "34"}]
    source, out = _write(tmp_path / "in.jsonl", rows), tmp_path / "o.jsonl"
    assert _grade(str(source), "--out", str(out), "--mode", "robust")[0] == 0
    assert json.loads(out.read_text())["correct"] is True
    assert _grade(str(source), "--out", str(out), "--mode", "robust", "--forms", "boxed,answer_tag")[0] == 0
    assert json.loads(out.read_text())["reason"] == "no answer extracted"
    code, output = _grade(str(source), "--out", str(out), "--mode", "robust", "--forms", "boxed,vibes")
    assert code == 2 and "unknown form(s) ['vibes']" in output


@pytest.mark.timeout(60)
@pytest.mark.parametrize("response", ["\\boxed{" + "7" * 1_000_000 + "}", "1" * 100_000])
def test_huge_answers_are_verdicts_not_hangs(response: str) -> None:
    for mode in ("paper", "robust"):
        started = time.monotonic()
        result = grade(response, "7", mode=mode, timeout=1.0)  # type: ignore[arg-type]
        assert time.monotonic() - started < 5.0
        assert not result.correct and result.reason.startswith("too long: answer")


@pytest.mark.timeout(120)
def test_worker_memory_is_limited() -> None:
    worker = default_worker()
    worker.warm_up()
    verdict = verify("x", "x+([1]*300000000)[0]", mode="paper", timeout=30.0, cache=None)
    assert not verdict.correct and verdict.reason.startswith("memory limit"), verdict
    assert worker.peak_memory_bytes() <= worker.memory_limit_mb * 2**20
    assert verify("x^2+2x+1", "(x+1)^2", mode="paper", cache=None).correct  # the next worker is fine


def test_memory_limit_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RLVR_GRADING_MEMORY_MB", "512")
    assert KillableWorker().memory_limit_mb == 512
    monkeypatch.setenv("RLVR_GRADING_MEMORY_MB", "lots")
    with pytest.raises(ValueError, match="RLVR_GRADING_MEMORY_MB"):
        KillableWorker()
    with pytest.raises(ValueError, match=">= 64"):
        KillableWorker(memory_limit_mb=100).set_memory_limit(10)
