"""Bad input is a one-line error naming the file, line or key (exit 2), never a traceback; and the shipped
sim model names work wherever a model is accepted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlvrlab.cli import app
from rlvrlab.data import load_problems
from rlvrlab.rewards import parse_reward_spec

LATIN1 = "caf\xe9 costs 3 euros".encode("latin-1")


def _error_line(result) -> str:
    """The single `error:` line of a refused command (exit 2, no traceback)."""
    assert result.exit_code == 2, result.output + repr(result.exception)
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if "error:" in line]
    assert len(lines) == 1, result.output
    return lines[0]


def _run(*args: str) -> str:
    return _error_line(CliRunner().invoke(app, list(args)))


# ---------------------------------------------------------------- models


@pytest.mark.parametrize("command", ["train", "eval", "label"])
def test_unknown_model_is_one_line_naming_it_the_shipped_names_and_offline(tmp_path, command) -> None:
    extra = {
        "train": ["--data", "sim-train"],
        "eval": ["--benchmarks", "sim500"],
        "label": ["--data", "sim500"],
    }
    line = _run(command, "--model", "nosuch-org/nosuch-model", *extra[command], "--out", str(tmp_path / "o"))
    assert "nosuch-org/nosuch-model" in line and "sim-qwen-math" in line and "sim-llama" in line
    assert "HF_HUB_OFFLINE" in line
    assert not (tmp_path / "o").exists()


def test_model_folder_errors_name_the_file(tmp_path) -> None:
    out = str(tmp_path / "o")
    assert "model folder not found: ./missing/model" in _run(
        "eval", "--model", "./missing/model", "--out", out
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "has no config.json" in _run("eval", "--model", str(empty), "--benchmarks", "sim500", "--out", out)
    (empty / "config.json").write_text('{"model_type": "qwen2",\n  oops}')
    line = _run("train", "--model", str(empty), "--data", "sim-train", "--out", out)
    assert f"{empty / 'config.json'}:2: not valid JSON" in line


@pytest.mark.slow
def test_shipped_sim_names_resolve_in_eval_and_label(tmp_path) -> None:
    result = CliRunner().invoke(
        app,
        ["eval", "--model", "sim-qwen-math", "--benchmarks", "sim500", "--limit", "2", "--prompt", "chat"]
        + ["--set", "max_new_tokens=8", "--out", str(tmp_path / "eval")],
    )
    assert result.exit_code == 0, result.output + repr(result.exception)
    result = CliRunner().invoke(
        app,
        [
            "label",
            "--model",
            "sim-llama",
            "--data",
            "sim500",
            "--limit",
            "1",
            "--samples",
            "2",
            "--prompt",
            "chat",
        ]
        + ["--max-new-tokens", "8", "--out", str(tmp_path / "labels")],
    )
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert (tmp_path / "labels" / "all.jsonl").exists()


# ---------------------------------------------------------------- config files and values


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("group_size: [4\n", "run.yaml:2: not valid YAML"),
        ("group_size: four\n", "run.yaml: config key 'group_size' expects int, got 'four'"),
        ("top_p: 2\n", "top_p must be in (0, 1]"),
        (None, "config file not found"),
    ],
)
def test_train_config_file_errors(tmp_path, text, needle) -> None:
    path = tmp_path / "run.yaml"
    if text is not None:
        path.write_text(text)
    line = _run("train", "--config", str(path), "--model", "sim-qwen-math", "--out", str(tmp_path / "o"))
    assert needle in line
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ("learning_rate=nan", "'learning_rate' must be a finite number"),
        ("temperature=0", "temperature must be > 0"),
        ("max_completion_length=0", "max_completion_length must be >= 1"),
        ("top_p=2", "top_p must be in (0, 1]"),
    ],
)
def test_train_set_values_are_range_checked(tmp_path, override, needle) -> None:
    args = ["train", "--model", "sim-qwen-math", "--data", "sim-train", "--out", str(tmp_path / "o")]
    assert needle in _run(*args, "--set", override)


def test_eval_protocol_values_are_range_checked(tmp_path) -> None:
    args = ["eval", "--model", "sim-qwen-math", "--benchmarks", "sim500", "--out", str(tmp_path / "o")]
    assert "temperature must be a finite number" in _run(*args, "--set", "temperature=nan")
    assert "top_p must be in (0, 1]" in _run(*args, "--set", "top_p=2")
    assert "max_new_tokens must be >= 1" in _run(*args, "--set", "max_new_tokens=0")
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------- input files


def _latin1_inputs(tmp: Path) -> dict[str, tuple[list[str], str]]:
    """{case: (command line, the file:line its error must name)} for inputs holding a Latin-1 byte."""
    data = tmp / "bad.jsonl"
    data.write_bytes(b'{"problem": "1+1", "answer": "2"}\n{"problem": "' + LATIN1 + b'", "answer": "3"}\n')
    gens = tmp / "gens.json"
    gens.write_bytes(b'{"metadata": [{"index": 0, "outputs": ["' + LATIN1 + b'"]}]}')
    ev = tmp / "ev"
    ev.mkdir()
    (ev / "samples.jsonl").write_bytes(b'{"benchmark": "b", "response": "' + LATIN1 + b'"}\n')
    config = tmp / "run.yaml"
    config.write_bytes(b"reward: " + LATIN1 + b"\n")
    out = str(tmp / "o")
    return {
        "data show": (["data", "show", str(data)], f"{data}:2: not UTF-8"),
        "train --data": (
            ["train", "--model", "sim-qwen-math", "--data", str(data), "--out", out],
            f"{data}:2: not UTF-8",
        ),
        "from-generations": (
            ["eval", "--from-generations", str(gens), "--benchmark", "sim500", "--out", out],
            f"{gens}:1: not UTF-8",
        ),
        "analyze": (["analyze", str(ev)], f"{ev / 'samples.jsonl'}:1: not UTF-8"),
        "train --config": (["train", "--config", str(config), "--out", out], "run.yaml: not UTF-8"),
    }


@pytest.mark.parametrize(
    "case", ["data show", "train --data", "from-generations", "analyze", "train --config"]
)
def test_non_utf8_inputs_name_the_file_and_line(tmp_path, case) -> None:
    args, needle = _latin1_inputs(tmp_path)[case]
    assert needle in _run(*args)
    assert not (tmp_path / "o").exists()


def test_from_generations_of_a_folder(tmp_path) -> None:
    line = _run(
        "eval", "--from-generations", str(tmp_path), "--benchmark", "sim500", "--out", str(tmp_path / "e")
    )
    assert "a folder; --from-generations takes a .json or .jsonl file" in line


def test_sim_info_n_zero() -> None:
    assert "--n must be >= 1" in _run("sim", "info", "--n", "0")


def test_label_limit_zero_labels_nothing(tmp_path) -> None:
    line = _run(
        "label", "--model", "sim-qwen-math", "--data", "sim500", "--limit", "0", "--out", str(tmp_path / "l")
    )
    assert "limit must be >= 1" in line and not (tmp_path / "l").exists()
    with pytest.raises(ValueError, match="limit must be >= 1"):
        load_problems("sim500", limit=0)


def test_long_reward_specs(tmp_path) -> None:
    line = _run("train", "--model", "sim-qwen-math", "--data", "sim-train", "--reward", "!" * 100_000 + "format",
                "--out", str(tmp_path / "o"))  # fmt: skip
    assert "reward spec of 100,006 characters" in line and len(line) < 300
    assert parse_reward_spec("!" * 993 + "format").__name__ == "not_format"  # counted, never recursed
    assert parse_reward_spec("! ! format").__name__ == "format"


def test_data_show_prints_text_not_markup(tmp_path) -> None:
    data = tmp_path / "markup.jsonl"
    data.write_text(json.dumps({"problem": "Is [bold red]x[/] and \\[ y \\] shown?", "answer": "[b]"}) + "\n")
    result = CliRunner().invoke(app, ["data", "show", str(data)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "[bold red]x[/]" in result.output and "\\[ y \\]" in result.output and "[b]" in result.output


# ---------------------------------------------------------------- compare


def _fake_eval(folder: Path, k: int, temperature: float) -> Path:
    folder.mkdir()
    rows = [
        {
            "benchmark": "sim500",
            "problem_id": str(p),
            "sample_index": s,
            "correct": bool((p + s) % 2),
            "uses_code": False,
        }
        for p in range(4)
        for s in range(k)
    ]
    (folder / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    protocol = {
        "n_samples": k,
        "temperature": temperature,
        "top_p": 1.0,
        "max_new_tokens": 128,
        "grading_mode": "paper",
    }
    summary = {"benchmarks": {"sim500": {"protocol": protocol}}}
    (folder / "summary.json").write_text(json.dumps(summary))
    return folder


def test_compare_warns_when_protocols_differ(tmp_path) -> None:
    greedy, sampled = _fake_eval(tmp_path / "greedy", 1, 0.0), _fake_eval(tmp_path / "sampled", 2, 1.0)
    result = CliRunner().invoke(app, ["eval", "--compare", str(greedy), str(sampled)], terminal_width=200)
    assert result.exit_code == 0, result.output
    warning = next(line for line in result.output.splitlines() if line.startswith("warning:"))
    assert "samples per problem 1 vs 2" in warning and "temperature 0.0 vs 1.0" in warning
    same = CliRunner().invoke(app, ["eval", "--compare", str(greedy), str(greedy)], terminal_width=200)
    assert same.exit_code == 0 and "warning:" not in same.output
