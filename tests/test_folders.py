"""Nothing lost: every command refuses, before doing anything, an --out that is its own input or holds
another kind of output; a train that fails validation leaves nothing; --resume of a finished run is a no-op."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from rlvrlab.cli import app
from rlvrlab.sim.info import MODELS_DIR

ORGANISM = str(MODELS_DIR / "sim-qwen-math")  # a model folder: these tests do not depend on name lookup


def _snapshot(folder: Path) -> dict[str, str]:
    """{relative path: sha256} of every file under `folder` (to prove nothing changed)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _refused(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.output.count("error:") == 1 and "Traceback" not in result.output, result.output
    line = next(line for line in result.output.splitlines() if "error:" in line)
    for needle in needles:
        assert needle in line, (needle, line)


def _eval_dir(root: Path, name: str = "eval", rows: int = 2) -> Path:
    """An eval folder as `rlvr eval --from-generations` writes it (sim500, `rows` problems)."""
    from rlvrlab.data import load_problems
    from rlvrlab.evaluate.generations import grade_generations

    problems = load_problems("sim500", limit=rows)
    gens = root / f"{name}-gens.jsonl"
    gens.write_text(
        "".join(
            json.dumps({"problem_id": p.id, "response": f"\\boxed{{{p.answer}}}"}) + "\n" for p in problems
        )
    )
    grade_generations(gens, "sim500", root / name)
    return root / name


@pytest.fixture()
def run_dir(tmp_path: Path) -> Path:
    """What `rlvr train` leaves in a run folder, without training (config.yaml + metrics.jsonl)."""
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "config.yaml").write_text("model: m\n")
    (folder / "metrics.jsonl").write_text('{"step": 1}\n')
    return folder


def test_folder_kinds(tmp_path: Path, run_dir: Path) -> None:
    from rlvrlab.folders import check_out, folder_kind

    ev = _eval_dir(tmp_path)
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "config.json").write_text(json.dumps({"model": "m", "label_mode": "majority"}))
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "index.html").write_text("<html>")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    kinds = {p: folder_kind(p) for p in (run_dir, ev, tmp_path / "labels", tmp_path / "report")}
    assert list(kinds.values()) == ["run", "eval", "labels", "report"]
    assert folder_kind(MODELS_DIR / "sim-qwen-math") == "model"
    assert folder_kind(tmp_path / "other") is None and folder_kind(tmp_path / "missing") is None
    check_out(tmp_path / "other", "run")  # unrelated files: nothing of ours to overwrite
    with pytest.raises(ValueError, match="already holds a training run, not an eval"):
        check_out(run_dir, "eval")
    with pytest.raises(ValueError, match="would overwrite this command's input"):
        check_out(tmp_path, "eval", inputs=["math500", ev / "samples.jsonl"])
    with pytest.raises(ValueError, match="is a file"):
        check_out(ev / "summary.json", "eval")


def test_from_generations_never_replaces_another_eval(tmp_path: Path) -> None:
    first = _eval_dir(tmp_path, "first", rows=3)
    before = _snapshot(first)
    _eval_dir(tmp_path, "second")
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "--from-generations",
            str(tmp_path / "second-gens.jsonl"),
            "--benchmark",
            "sim500",
            "--out",
            str(first),
        ],
    )
    _refused(result, "already holds an eval")
    assert _snapshot(first) == before
    inside = tmp_path / "inside"
    inside.mkdir()
    (inside / "gens.jsonl").write_text((tmp_path / "second-gens.jsonl").read_text())
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "--from-generations",
            str(inside / "gens.jsonl"),
            "--benchmark",
            "sim500",
            "--out",
            str(inside),
        ],
    )
    _refused(result, "would overwrite this command's input")


@pytest.mark.parametrize(
    ("command", "holds"),
    [
        (
            ["train", "--model", ORGANISM, "--data", "sim500", "--out", "{eval}"],
            "holds an eval, not a training run",
        ),
        (["sim", "pretrain", "--out", "{run}"], "holds a training run, not a model"),
        (["sim", "pretrain", "--out", str(MODELS_DIR / "sim-llama")], "already holds a model"),
        (["report", "{eval}", "--out", "{run}"], "holds a training run, not a report"),
        (["report", "{run}", "--out", "{run}"], "would overwrite this command's input"),
        (
            ["label", "--model", ORGANISM, "--data", "sim500", "--out", "{eval}"],
            "holds an eval, not a labelling run",
        ),
        (
            ["eval", "--model", ORGANISM, "--benchmarks", "sim500", "--out", "{run}"],
            "holds a training run, not an eval",
        ),
        (
            ["eval", "--compare", "{eval}", "{eval}", "--out", "{eval}"],
            "would overwrite this command's input",
        ),
        (["demo", "--out", "{run}"], "holds a training run, not a demo output"),
    ],
    ids=[
        "train>eval",
        "pretrain>run",
        "pretrain>model",
        "report>run",
        "report>input",
        "label>eval",
        "eval>run",
        "compare>input",
        "demo>run",
    ],  # fmt: skip
)
def test_commands_refuse_an_out_of_another_kind(tmp_path: Path, run_dir: Path, command, holds) -> None:
    ev = _eval_dir(tmp_path)
    before = {p: _snapshot(p) for p in (ev, run_dir, MODELS_DIR / "sim-llama")}
    args = [a.format(eval=ev, run=run_dir) for a in command]
    _refused(CliRunner().invoke(app, args), holds)
    assert {p: _snapshot(p) for p in before} == before


def test_train_that_fails_validation_leaves_nothing(tmp_path: Path) -> None:
    """A reward the data cannot feed (no label column) and a prompt limit no prompt fits are refused
    before the first file is written; the same --out then takes a fresh run's checks again."""
    out = tmp_path / "run"
    base = ["train", "--model", ORGANISM, "--data", "sim-train", "--out", str(out)]
    result = CliRunner().invoke(app, [*base, "--reward", "label"])
    _refused(result, "reads the 'label' column", "rlvr label")
    assert not out.exists()
    result = CliRunner().invoke(app, [*base, "--set", "max_prompt_length=2"])
    _refused(result, "fits max_prompt_length=2")
    assert not out.exists()
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    _refused(CliRunner().invoke(app, [*base, "--reward", "label"]), "'label' column")
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


@pytest.mark.slow
def test_resume_of_a_finished_run_is_a_no_op(tmp_path: Path) -> None:
    """One finished step; --resume changes nothing (final/, checkpoints, logs) and says so. A run killed
    after its last checkpoint but before final/ gets final/ from that checkpoint, without another step."""
    out = tmp_path / "run"
    args = ["train", "--model", ORGANISM, "--data", "sim-train", "--preset", "cpu-small", "--out", str(out)]
    args += ["--set", "max_steps=1", "--set", "save_every=1", "--set", "prompts_per_rollout=2"]
    args += ["--set", "micro_batch_size=2", "--set", "max_completion_length=16", "--set", "data_limit=8"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output + repr(first.exception)
    done = _snapshot(out)
    assert "checkpoints/checkpoint-4/trainer_state.json" in done
    again = CliRunner().invoke(app, [*args, "--resume"])
    assert again.exit_code == 0 and "already finished" in again.output, again.output
    assert _snapshot(out) == done
    weights = load_file(out / "checkpoints" / "checkpoint-4" / "model.safetensors")
    for path in sorted((out / "final").iterdir()):
        path.unlink()
    (out / "final").rmdir()
    rebuilt = CliRunner().invoke(app, [*args, "--resume"])
    assert rebuilt.exit_code == 0, rebuilt.output + repr(rebuilt.exception)
    after = _snapshot(out)
    final = load_file(out / "final" / "model.safetensors")  # the last checkpoint's weights, no extra step
    assert final.keys() == weights.keys() and all(torch.equal(final[k], weights[k]) for k in weights)
    assert {k: v for k, v in after.items() if not k.startswith("final/")} == {
        k: v for k, v in done.items() if not k.startswith("final/")
    }
