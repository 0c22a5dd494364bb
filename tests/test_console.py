"""What the terminal shows: `rlvr train` prints a progress line per step and a summary (raw TRL dicts go
to RUN/train.log), piped tables are not cut, `rlvr runs` lists folders with their status, `--version`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from rlvrlab.cli import app
from rlvrlab.console import PIPE_WIDTH, StepProgress, make_console
from rlvrlab.report.tables import Table, to_rich
from rlvrlab.train.run import FAILED_MARK

SMALL = ["--set", "data_limit=16", "--set", "max_completion_length=8", "--set", "learning_rate=1e-2"]


def test_rlvr_train_shows_progress_and_summary_not_log_dicts(tiny_model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["train", "--model", str(tiny_model_dir), "--data", "math500", "--reward", "random:0.5", "--preset",
            "cpu-small", "--out", str(out), *SMALL, "--set", "max_steps=2", "--set", "save_every=0"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "train: 1/2 steps" in result.output and "train: 2/2 steps" in result.output
    assert "training accuracy" in result.output and "clip fraction low" in result.output  # summary table
    assert "{'loss'" not in result.output and '"loss"' not in result.output and "it/s" not in result.output
    assert len(result.output) < 3000
    logged = (out / "train.log").read_text()
    assert logged.count("trl log {") == 3 and '"loss"' in logged  # 2 rollouts + TRL's closing summary dict


def test_failed_run_is_recorded_and_listed(tiny_model_dir: Path, tmp_path: Path) -> None:
    """A run that raises during training ends its train.log with the error; `rlvr runs` calls it failed.
    (Bad input never gets this far: it is refused before the run folder is written, tests/test_folders.py.)"""
    from rlvrlab.train.config import resolve_config
    from rlvrlab.train.run import train

    def broken_reward(completions: list, **kwargs: object) -> list[float]:
        raise RuntimeError("reward server went away")

    out = tmp_path / "bad"
    overrides = [*SMALL[1::2], "max_steps=1", "save_every=0"]
    config = resolve_config(preset="cpu-small", overrides=overrides, model=str(tiny_model_dir), data="math500",
                            reward="ground_truth", output_dir=str(out))  # fmt: skip
    with pytest.raises(RuntimeError, match="reward server went away"):
        train(config, reward_funcs=[broken_reward])
    assert FAILED_MARK in (out / "train.log").read_text().strip().splitlines()[-1]
    listing = CliRunner().invoke(app, ["runs", str(tmp_path)])
    assert listing.exit_code == 0 and "failed" in listing.output


def _folders(root: Path) -> None:
    """A finished run, a resumable run, a finished and an unfinished eval, labels, a mechanism folder."""
    for name, steps, final in (("done", 3, True), ("cut", 1, False)):
        run = root / "runs" / name
        (run / "checkpoints").mkdir(parents=True)
        (run / "config.yaml").write_text(
            yaml.safe_dump({"model": "/m/sim-qwen-math", "reward": "random:0.5", "max_steps": 3})
        )
        rows = [
            {"step": s, "reward/total/mean": 0.5, "train/accuracy": 0.25, "train/code_rate": 0.75}
            for s in range(1, steps + 1)
        ]
        (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        if final:
            (run / "final").mkdir()
            (run / "final" / "config.json").write_text("{}")  # fmt: skip
    for name, benchmarks in (("full", {"math500": {"accuracy": 0.5, "code_rate": 0.25}}), ("half", {})):
        ev = root / "evals" / name
        ev.mkdir(parents=True)
        (ev / "config.json").write_text(
            json.dumps({"model": "Qwen/Qwen2.5-Math-7B", "benchmarks": ["math500"]})
        )
        (ev / "summary.json").write_text(json.dumps({"benchmarks": benchmarks}))
        (ev / "samples.jsonl").write_text('{"x": 1}\n' * 3)
    labels = root / "labels"
    labels.mkdir()
    (labels / "config.json").write_text(json.dumps({"model": "m", "data": "sim-train"}))
    (labels / "answers.jsonl").write_text('{"id": 1}\n')
    (labels / "stats.json").write_text(
        json.dumps({"n_problems": 1, "label_accuracy": 0.9, "n_incorrect_set": 0})
    )
    (root / "mech").mkdir()
    (root / "mech" / "mechanism.json").write_text(json.dumps([{"arm": "clip on"}, {"arm": "clip off"}]))


def test_rlvr_runs_lists_kinds_steps_and_status(tmp_path: Path) -> None:
    _folders(tmp_path)
    result = CliRunner().invoke(app, ["runs", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = {line.split("│")[2].strip(): line for line in result.output.splitlines() if line.count("│") > 5}
    assert "finished" in lines["runs/done"] and "3/3 steps" in lines["runs/done"]
    assert "resumable" in lines["runs/cut"] and "1/3 steps" in lines["runs/cut"]
    assert "reward 0.500, acc 25.0%, code 75.0%" in lines["runs/cut"]
    assert "finished" in lines["evals/full"] and "math500 acc 50.0% code 25.0%" in lines["evals/full"]
    assert "resumable" in lines["evals/half"] and "Qwen2.5-Math-7B" in lines["evals/half"]
    assert "labels" in lines["labels"] and "label accuracy 90.0%" in lines["labels"]
    assert "clip on, clip off" in lines["mech"]
    missing = CliRunner().invoke(app, ["runs", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "not a directory" in missing.output


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("rlvrlab 0.1.0 torch ")


def test_piped_tables_are_never_cut(tmp_path: Path) -> None:
    """Not a terminal: the console is PIPE_WIDTH wide, and a table wider than that folds its cells."""
    assert make_console().width == PIPE_WIDTH  # pytest's stdout is not a terminal
    long = "x" * 150
    table = Table("t", ["name", "accuracy", "code rate"], [[long, "52.4 [46.9, 58.2]", "64.6"]])
    narrow = Console(width=80, file=(tmp_path / "out.txt").open("w"), force_terminal=False)
    narrow.print(to_rich(table))
    narrow.file.close()
    text = (tmp_path / "out.txt").read_text()
    assert "…" not in text
    assert "".join(line.split("│")[1].strip() for line in text.splitlines() if line.count("│") == 4) == long


def test_step_progress_in_a_pipe_prints_few_lines(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    console = Console(file=path.open("w"), width=PIPE_WIDTH)
    with StepProgress(console, "train", total=300, lines=10) as bar:
        for step in range(1, 301):
            bar.update(step, {"reward": 0.5, "accuracy": 0.25, "code": None, "clip": 0.0001})
    console.file.close()
    lines = path.read_text().splitlines()
    assert 10 <= len(lines) <= 12 and lines[-1].startswith("train: 300/300 steps")
    assert lines[-1].endswith("reward 0.500 · accuracy 25.0% · clip 0.01%")


def test_verbose_logging_shows_raw_trl_dicts_on_stderr(capsys) -> None:
    import logging

    from rlvrlab.console import setup_logging
    from rlvrlab.train.callbacks import TRL_LOG

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        setup_logging()
        TRL_LOG.info("trl log %s", '{"loss": 1}')
        logging.getLogger("rlvrlab.x").info("an info record")
        assert capsys.readouterr().err == ""  # by default: warnings and errors only, no raw dicts
        setup_logging(verbose=True)
        TRL_LOG.info("trl log %s", '{"loss": 1}')
        assert 'trl log {"loss": 1}' in capsys.readouterr().err
    finally:
        setup_logging()
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])


def test_demo_display_notes_each_job_and_ends_with_the_findings_table(tmp_path: Path) -> None:
    from rlvrlab.console import JobProgress, findings_table

    run = tmp_path / "runs" / "sim-qwen-math--random--seed1"
    (run / "eval").mkdir(parents=True)
    (run / "metrics.jsonl").write_text(json.dumps({"step": 4, "reward/total/mean": 0.5, "train/accuracy": 0.5,
                                                   "train/code_rate": 0.625, "clip/low_fraction": 0.0,
                                                   "clip/high_fraction": 0.0002}) + "\n")  # fmt: skip
    (run / "eval" / "summary.json").write_text(
        json.dumps({"benchmarks": {"sim500": {"accuracy": 0.52, "code_rate": 0.64}}})
    )
    path = tmp_path / "log.txt"
    console = Console(file=path.open("w"), width=PIPE_WIDTH)
    with JobProgress(console, tmp_path) as progress:
        progress("base eval sim-qwen-math seed 1", 1, 2, 10.0)
        progress("sim-qwen-math--random--seed1", 2, 2, 20.0)
    row = {"family": "sim-qwen-math", "cell": "random", "seeds": [1], "accuracy_base": 0.5, "accuracy_final": 0.52,
           "accuracy_diff": 0.02, "accuracy_diff_ci95": [-0.01, 0.05], "code_rate_base": 0.6, "code_rate_final": 0.64}  # fmt: skip
    console.print(findings_table({"cells": [row]}))
    console.file.close()
    lines = path.read_text().splitlines()
    assert lines[0].startswith("demo: 1/2 jobs") and lines[0].endswith("done: base eval sim-qwen-math seed 1")
    assert lines[1].endswith(
        "reward 0.500 · accuracy 50.0% · code 62.5% · clip 0.02%; sim500 accuracy 52.0% · code 64.0%"
    )
    assert any("+2.0 [-1.0, +5.0]" in line and "50.0% -> 52.0%" in line for line in lines)
