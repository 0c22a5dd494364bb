"""End-to-end: `rlvr train` on tiny local models: clip fractions by ablation, run-folder schema, model
families, kill -9 / --resume, and 2-process gloo training through `accelerate launch` (configs/accelerate/cpu-2proc.yaml)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from rlvrlab.cli import app
from rlvrlab.data import load_problems, read_jsonl
from rlvrlab.grading import grade
from rlvrlab.metrics import uses_code
from rlvrlab.train import objective
from rlvrlab.train.config import resolve_config
from rlvrlab.train.run import last_checkpoint, train
from tests.test_train_support import tiny_config
from tests.tiny import build_tiny_model

ENV = {
    **os.environ,
    "OMP_NUM_THREADS": "1",
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}
SMALL = ["--set", "data_limit=32", "--set", "max_completion_length=12", "--set", "learning_rate=1e-2"]


def _cli_train(model_dir: Path, out: Path, *sets: str) -> list[dict]:
    args = ["train", "--model", str(model_dir), "--data", "math500", "--reward", "random:0.5"]
    args += ["--preset", "cpu-small", "--out", str(out), *SMALL]
    for item in sets:
        args += ["--set", item]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return read_jsonl(out / "metrics.jsonl")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("clip", "updates", "expect_clipping"),
    [("on", 4, True), ("off", 4, False), ("on", 1, False)],
    ids=["clip-on-4-updates", "clip-off", "on-policy"],
)
def test_rlvr_train_logs_clip_fractions(tiny_model_dir, tmp_path, clip, updates, expect_clipping):
    rows = _cli_train(
        tiny_model_dir, tmp_path / "run", "max_steps=3", f"clip={clip}", f"updates_per_rollout={updates}"
    )
    assert [r["step"] for r in rows] == [1, 2, 3]
    clipped = sum(r["clip/low_fraction"] + r["clip/high_fraction"] for r in rows)
    assert (clipped > 0) if expect_clipping else (clipped == 0)
    if clip == "off":  # the ratio does leave [0.8, 1.2]; only the clip is off
        assert sum(r["clip/ratio_outside_fraction"] for r in rows) > 0
    for key in ("reward/random_0.5/mean", "train/accuracy", "train/code_rate", "policy/mean_token_prob",
                "policy/entropy", "completion/mean_length", "time/step_s", "train/loss"):  # fmt: skip
        assert all(key in r for r in rows), key
    completions = read_jsonl(tmp_path / "run" / "completions.jsonl")
    assert len(completions) == 3 * 16
    assert set(completions[0]) == {
        "step",
        "id",
        "sample_index",
        "completion",
        "length",
        "rewards",
        "advantage",
        "uses_code",
        "correct",
    }
    assert (tmp_path / "run" / "checkpoints" / f"checkpoint-{3 * updates}").is_dir()  # saved at the end
    gold = {p.id: p.answer for p in load_problems("math500")}
    for row in completions:  # accuracy is graded against the answer column whatever the training reward
        assert row["correct"] == grade(row["completion"], gold[row["id"]]).correct
        assert row["uses_code"] == uses_code(row["completion"])
    for r in rows:
        done = [c for c in completions if c["step"] == r["step"]]
        assert r["train/accuracy"] == pytest.approx(sum(c["correct"] for c in done) / len(done))
        assert r["train/code_rate"] == pytest.approx(sum(c["uses_code"] for c in done) / len(done))
    saved = resolve_config(config_path=tmp_path / "run" / "config.yaml")
    assert (saved.clip, saved.updates_per_rollout, saved.max_steps) == (clip, updates, 3)


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["llama", "olmo2"])
def test_other_model_families_train(tmp_path, arch):
    model_dir = build_tiny_model(tmp_path / arch, arch=arch)
    config = tiny_config(model_dir, tmp_path / "run", "updates_per_rollout=2", "max_completion_length=8")
    train(config)
    rows = read_jsonl(tmp_path / "run" / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2] and (tmp_path / "run" / "final" / "config.json").exists()


def _start(args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        args, env=ENV, stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True
    )


def _train_args(model_dir: Path, out: Path, *extra: str) -> list[str]:
    args = [sys.executable, "-m", "rlvrlab.cli", "train", "--model", str(model_dir), "--data", "math500"]
    args += ["--reward", "random:0.5", "--preset", "cpu-small", "--out", str(out), *SMALL]
    args += ["--set", "max_steps=4", "--set", "save_every=2", "--set", "updates_per_rollout=2", *extra]
    return args


@pytest.mark.slow
def test_kill_and_resume_continues_exactly(tiny_model_dir, tmp_path):
    reference = tmp_path / "reference"
    train(resolve_config(config_path=None, preset="cpu-small", overrides=[
        "data_limit=32", "max_completion_length=12", "max_steps=4", "save_every=2", "updates_per_rollout=2",
        "learning_rate=1e-2",
    ], model=str(tiny_model_dir), data="math500", reward="random:0.5", output_dir=str(reference)))  # fmt: skip

    run = tmp_path / "run"
    proc = _start(_train_args(tiny_model_dir, run), tmp_path / "first.log")
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        rows = read_jsonl(run / "metrics.jsonl") if (run / "metrics.jsonl").exists() else []
        if len(rows) >= 3:  # step 3 is logged but only step 2 is checkpointed
            break
        time.sleep(0.05)
    assert proc.poll() is None, (
        "the run ended before it could be killed: " + (tmp_path / "first.log").read_text()[-2000:]
    )
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (run / "checkpoints" / "checkpoint-4").is_dir() and not (run / "final").exists()

    resumed = subprocess.run(
        _train_args(tiny_model_dir, run, "--resume"), env=ENV, capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-3000:]
    rows, ref_rows = read_jsonl(run / "metrics.jsonl"), read_jsonl(reference / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2, 3, 4]
    for row, ref in zip(rows, ref_rows, strict=True):
        assert row["reward/random_0.5/mean"] == ref["reward/random_0.5/mean"]
        assert row["train/loss"] == pytest.approx(ref["train/loss"], abs=1e-5)
    keep = ("step", "id", "completion", "rewards")
    done = [{k: r[k] for k in keep} for r in read_jsonl(run / "completions.jsonl")]
    assert done == [{k: r[k] for k in keep} for r in read_jsonl(reference / "completions.jsonl")]


TWO_PROC = [*SMALL, "--set", "max_steps=2", "--set", "micro_batch_size=2", "--set", "save_every=1"]
# 3 prompts x G=4 = 12 completions per rollout, 6 per process: the second group spans the two processes
TWO_PROC += ["--set", "prompts_per_rollout=3", "--set", "updates_per_rollout=3"]
TWO_PROC += ["--set", "advantage_std=false"]  # group variances then differ, so whitening scope matters


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("accelerate", path=str(Path(sys.executable).parent)) is None, reason="no accelerate"
)
def test_accelerate_two_cpu_processes(tiny_model_dir, tmp_path):
    launcher = str(Path(sys.executable).parent / "accelerate")
    shipped = Path(__file__).resolve().parents[1] / "configs" / "accelerate" / "cpu-2proc.yaml"
    args = [launcher, "launch", "--config_file", str(shipped), "-m", "rlvrlab.cli", "train"]
    args += ["--model", str(tiny_model_dir)]
    args += [
        "--data",
        "math500",
        "--reward",
        "random:0.5",
        "--preset",
        "cpu-small",
        "--out",
        str(tmp_path / "run"),
        *TWO_PROC,
    ]
    result = subprocess.run(args, env=ENV, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    rows = read_jsonl(tmp_path / "run" / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2]  # written once, by the main process
    assert [r["world_size"] for r in rows] == [2, 2]
    completions = read_jsonl(tmp_path / "run" / "completions.jsonl")
    assert len(completions) == 2 * 12  # gathered from both processes
    by_id: dict[str, int] = {}
    for r in completions:
        by_id[f"{r['step']}:{r['id']}"] = by_id.get(f"{r['step']}:{r['id']}", 0) + 1
    assert set(by_id.values()) == {4}  # whole groups of G=4 per prompt across the two processes
    assert all(len({r["id"] for r in completions[i : i + 4]}) == 1 for i in range(0, 24, 4))
    discriminating = False
    for step in (1, 2):  # advantages = oracle (group advantage, then whitening over the whole rollout)
        rows_ = [r for r in completions if r["step"] == step]  # rank 0's 6 rows, then rank 1's
        rewards = torch.tensor([r["rewards"]["random_0.5"] for r in rows_])
        lengths = torch.tensor([float(r["length"]) for r in rows_])
        grouped = objective.group_advantages(rewards, 4, scale=False)
        expected = objective.whiten_advantages(grouped, lengths)
        assert torch.allclose(expected, torch.tensor([r["advantage"] for r in rows_]), atol=1e-5)
        per_process = [
            objective.whiten_advantages(grouped[h], lengths[h]) for h in (slice(0, 6), slice(6, 12))
        ]
        discriminating |= not torch.allclose(torch.cat(per_process), expected, atol=1e-3)
    assert discriminating, "this seed cannot tell whole-rollout whitening from per-process whitening"
    assert (tmp_path / "run" / "checkpoints" / "checkpoint-6").is_dir()
    _random_draws_match_one_process(tiny_model_dir, tmp_path, completions)


def _random_draws_match_one_process(model_dir: Path, tmp_path: Path, two_proc: list[dict]) -> None:
    """Random rewards are keyed on (seed, step, prompt id, index in the group): with a group split across
    two processes every completion of a group still gets its own index, and the draws equal a 1-process
    run's (same prompts: the sampler is seeded the same), completion for completion."""
    keys = [(r["step"], r["id"], r["sample_index"]) for r in two_proc]
    assert len(set(keys)) == len(keys)
    for step_id in {k[:2] for k in keys}:
        assert sorted(k[2] for k in keys if k[:2] == step_id) == [0, 1, 2, 3]
    one = tmp_path / "one"
    _cli_train(model_dir, one, *(item for item in TWO_PROC[len(SMALL) :] if item != "--set"))
    one_proc = read_jsonl(one / "completions.jsonl")
    assert {(r["step"], r["id"], r["sample_index"]) for r in one_proc} == set(keys)
    draws = {(r["step"], r["id"], r["sample_index"]): r["rewards"]["random_0.5"] for r in one_proc}
    assert {k: r["rewards"]["random_0.5"] for k, r in zip(keys, two_proc, strict=True)} == draws


@pytest.mark.slow
def test_in_training_eval_joins_the_metrics_rows(tiny_model_dir, tmp_path):
    config = tiny_config(
        tiny_model_dir,
        tmp_path / "run",
        "updates_per_rollout=1",
        "eval_every=2",
        "eval_limit=4",
        "eval_max_new_tokens=8",
    )
    train(config)
    rows = read_jsonl(tmp_path / "run" / "metrics.jsonl")
    assert "eval/math500/accuracy" not in rows[0]
    assert 0.0 <= rows[1]["eval/math500/accuracy"] <= 1.0 and 0.0 <= rows[1]["eval/math500/code_rate"] <= 1.0


def test_resume_skips_a_checkpoint_cut_short(tmp_path):
    for step, complete in ((4, True), (8, True), (12, False)):
        folder = tmp_path / "checkpoints" / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        if complete:
            (folder / "trainer_state.json").write_text("{}")
    assert last_checkpoint(tmp_path) == tmp_path / "checkpoints" / "checkpoint-8"
    assert last_checkpoint(tmp_path / "fresh") is None


@pytest.mark.slow
def test_run_is_reproduced_from_its_config_alone(tiny_model_dir, tmp_path):
    first = _cli_train(tiny_model_dir, tmp_path / "a", "max_steps=2")
    result = CliRunner().invoke(
        app, ["train", "--config", str(tmp_path / "a" / "config.yaml"), "--out", str(tmp_path / "b")]
    )
    assert result.exit_code == 0, result.output + repr(result.exception)
    again = read_jsonl(tmp_path / "b" / "metrics.jsonl")
    for key in ("reward/random_0.5/mean", "train/loss", "clip/low_fraction", "clip/high_fraction"):
        assert [r[key] for r in again] == pytest.approx([r[key] for r in first], abs=1e-6), key
    texts = [r["completion"] for r in read_jsonl(tmp_path / "b" / "completions.jsonl")]
    assert texts == [r["completion"] for r in read_jsonl(tmp_path / "a" / "completions.jsonl")]


@pytest.mark.slow
def test_organism_trains_sensibly_with_its_recipe(tmp_path):
    """A new user's first run: `rlvr train --model sim-qwen-math --data sim-train --reward ground_truth`
    with nothing else. The model's recipe gives completions room to finish (measured over 20 steps: 0 of
    1,280 truncated) and keeps the skill (cpu-small's 64 tokens and lr 1e-3 truncated 97.5% and drove
    accuracy to 0% within 10 steps)."""
    out = tmp_path / "run"
    args = ["train", "--model", "sim-qwen-math", "--data", "sim-train", "--reward", "ground_truth"]
    result = CliRunner().invoke(
        app, [*args, "--out", str(out), "--set", "max_steps=2", "--set", "save_every=0"]
    )
    assert result.exit_code == 0, result.output + repr(result.exception)
    rows = read_jsonl(out / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2]
    assert all(r["completion/truncated_fraction"] < 0.05 for r in rows)
    assert all(r["train/accuracy"] > 0.3 and r["train/code_rate"] > 0.3 for r in rows)  # priors ~55%, ~65%
