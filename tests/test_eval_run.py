"""The eval loop end to end on a tiny local model: files and schema, resume after a crash (no sample lost
or duplicated, same samples as an uninterrupted run), quick_eval side effects, the CLI."""

from __future__ import annotations

import importlib.util
import json
import os
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
from rlvrlab.evaluate import EvalConfig, quick_eval, run_eval
from rlvrlab.evaluate import run as run_module
from rlvrlab.generate import load_model_and_tokenizer

ROW_FIELDS = {
    "benchmark",
    "problem_id",
    "sample_index",
    "prompt",
    "response",
    "gold",
    "extracted",
    "correct",
    "grade_reason",
    "timed_out",
    "uses_code",
    "n_tokens",
    "finish_reason",
}


def _config(model: Path, out: Path, **kw: object) -> EvalConfig:
    """math500 greedy + aime24 sampled (3 samples at T=0.6), short budgets so a run takes seconds."""
    defaults = dict(
        benchmarks=("math500", "aime24"),
        limit=3,
        overrides=("max_new_tokens=12", "aime24.n_samples=3"),
        batch_size=2,
        seed=7,
    )
    return EvalConfig(model=str(model), out=str(out), **{**defaults, **kw})  # type: ignore[arg-type]


def _keys(rows: list[dict]) -> list[tuple[str, str, int]]:
    return sorted((r["benchmark"], r["problem_id"], r["sample_index"]) for r in rows)


def test_eval_tiny_model_writes_samples_and_summary(tiny_model_dir: Path, tmp_path: Path) -> None:
    summary = run_eval(_config(tiny_model_dir, tmp_path))
    rows = read_jsonl(tmp_path / "samples.jsonl")
    assert all(set(r) == ROW_FIELDS for r in rows)
    ids = {b: [p.id for p in load_problems(b, limit=3)] for b in ("math500", "aime24")}
    expected = [("math500", i, 0) for i in ids["math500"]] + [
        ("aime24", i, s) for i in ids["aime24"] for s in range(3)
    ]
    assert _keys(rows) == sorted(expected)
    assert all(0 < r["n_tokens"] <= 12 and r["finish_reason"] in ("stop", "length") for r in rows)
    assert all(r["prompt"].endswith("<|im_start|>assistant\n") for r in rows)
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk == json.loads(json.dumps(summary))
    aime = on_disk["benchmarks"]["aime24"]
    assert aime["protocol"] == {
        "name": "aime24",
        "n_samples": 3,
        "temperature": 0.6,
        "top_p": 1.0,
        "max_new_tokens": 12,
        "grading_mode": "paper",
    }
    assert aime["n_problems"] == 3 and aime["samples_per_problem"] == 3 and "pass@3" in aime
    truncated = [r["finish_reason"] == "length" for r in rows if r["benchmark"] == "aime24"]
    assert aime["truncation_rate"] == pytest.approx(sum(truncated) / len(truncated))
    # a sampled benchmark really samples: 3 samples of one problem are not all identical
    by_problem = {}
    for r in rows:
        if r["benchmark"] == "aime24":
            by_problem.setdefault(r["problem_id"], set()).add(r["response"])
    assert any(len(responses) > 1 for responses in by_problem.values())


class _Crash(Exception):
    pass


def test_resume_after_crash_mid_run_matches_uninterrupted_run(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash inside the 4th batch loses only that batch; resuming fills exactly the gap and, because
    batches are planned and seeded independently of what is done, gives the uninterrupted samples."""
    run_eval(_config(tiny_model_dir, tmp_path / "full"))
    full = {
        (r["benchmark"], r["problem_id"], r["sample_index"]): r["response"]
        for r in read_jsonl(tmp_path / "full" / "samples.jsonl")
    }

    real_make = run_module.make_generator

    def crashing_make(*args: object, **kwargs: object) -> object:
        generator = real_make(*args, **kwargs)
        real_generate, calls = generator.generate, []

        def generate(prompts: list[str], params: object) -> object:
            calls.append(1)
            if len(calls) == 4:
                raise _Crash("killed in batch 4")
            return real_generate(prompts, params)

        generator.generate = generate
        return generator

    monkeypatch.setattr(run_module, "make_generator", crashing_make)
    with pytest.raises(_Crash):
        run_eval(_config(tiny_model_dir, tmp_path / "crash"))
    partial = read_jsonl(tmp_path / "crash" / "samples.jsonl")
    assert 0 < len(partial) < len(full)
    with open(tmp_path / "crash" / "samples.jsonl", "a") as handle:
        handle.write('{"benchmark": "aime24", "problem_id": "1')  # and a write torn by the crash
    monkeypatch.setattr(run_module, "make_generator", real_make)
    with pytest.raises(ValueError, match="--resume"):
        run_eval(_config(tiny_model_dir, tmp_path / "crash"))
    run_eval(_config(tiny_model_dir, tmp_path / "crash", resume=True))
    resumed = read_jsonl(tmp_path / "crash" / "samples.jsonl")
    assert _keys(resumed) == sorted(full)  # nothing missing, nothing duplicated
    assert {(r["benchmark"], r["problem_id"], r["sample_index"]): r["response"] for r in resumed} == full


def test_resume_refuses_a_changed_protocol(tiny_model_dir: Path, tmp_path: Path) -> None:
    run_eval(
        _config(tiny_model_dir, tmp_path, benchmarks=("math500",), overrides=("max_new_tokens=4",)),
    )
    changed = _config(
        tiny_model_dir, tmp_path, benchmarks=("math500",), overrides=("max_new_tokens=8",), resume=True
    )
    with pytest.raises(ValueError, match="different math500 protocol"):
        run_eval(changed)
    # resuming with another benchmark added is fine; the summary keeps the finished one
    more = _config(
        tiny_model_dir,
        tmp_path,
        benchmarks=("aime24",),
        overrides=("max_new_tokens=4", "aime24.n_samples=2"),
        resume=True,
    )
    summary = run_eval(more)
    assert set(summary["benchmarks"]) == {"math500", "aime24"}
    assert summary["benchmarks"]["math500"]["n_samples"] == 3


@pytest.mark.slow
def test_resume_after_killing_the_cli_process(tiny_model_dir: Path, tmp_path: Path) -> None:
    """SIGKILL a real `rlvr eval` process once some batches are on disk, then resume it."""
    out = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "rlvrlab.cli",
        "eval",
        "--model",
        str(tiny_model_dir),
        "--benchmarks",
        "aime24",
    ]
    cmd += ["--limit", "8", "--set", "aime24.n_samples=4", "--set", "max_new_tokens=48", "--batch-size", "2"]
    cmd += ["--out", str(out)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples, deadline = out / "samples.jsonl", time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if samples.exists() and len(samples.read_text().splitlines()) >= 6:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed: make it longer"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = read_jsonl(samples)
    assert 6 <= len(before) < 32
    result = subprocess.run([*cmd, "--resume"], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = read_jsonl(samples)
    ids = [p.id for p in load_problems("aime24", limit=8)]
    assert _keys(rows) == sorted(("aime24", i, s) for i in ids for s in range(4))
    assert rows[: len(before)] == before  # finished rows were kept, not regenerated
    assert json.loads((out / "summary.json").read_text())["benchmarks"]["aime24"]["n_samples"] == 32


def test_quick_eval_restores_mode_and_rng(tiny_model_dir: Path) -> None:
    model, tokenizer = load_model_and_tokenizer(str(tiny_model_dir))
    model.train()
    tokenizer.padding_side = "right"
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    metrics = quick_eval(
        model, tokenizer, "sim500", limit=4, n_samples=2, temperature=1.0, max_new_tokens=8, seed=1
    )
    assert torch.equal(torch.rand(3), expected_next)  # the training run's RNG stream is untouched
    assert model.training and tokenizer.padding_side == "right"
    assert {"accuracy", "code_rate", "truncation_rate", "pass@2"} <= set(metrics)
    assert all(isinstance(v, float) for v in metrics.values())
    again = quick_eval(
        model, tokenizer, "sim500", limit=4, n_samples=2, temperature=1.0, max_new_tokens=8, seed=1
    )
    assert again == metrics
    model.eval()
    quick_eval(model, tokenizer, "math500", limit=1, max_new_tokens=4)
    assert not model.training


def test_cli_eval_and_bad_input(tiny_model_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["eval", "--model", str(tiny_model_dir), "--benchmarks", "math500", "--limit", "2"]
    result = runner.invoke(app, [*base, "--set", "max_new_tokens=4", "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert "math500: 2/2 samples" in result.output and "acc [95% CI]" in result.output  # progress, summary
    assert (
        json.loads((tmp_path / "a" / "summary.json").read_text())["benchmarks"]["math500"]["n_problems"] == 2
    )
    result = runner.invoke(app, [*base, "--set", "aime24.n_samples=4", "--out", str(tmp_path / "b")])
    assert result.exit_code == 2 and "not being evaluated" in result.output
    result = runner.invoke(app, [*base, "--prompt", "nonsense", "--out", str(tmp_path / "c")])
    assert result.exit_code == 2 and "unknown prompt" in result.output
    if importlib.util.find_spec("vllm") is None:  # without the extra, asking for vLLM says how to get it
        result = runner.invoke(app, [*base, "--backend", "vllm", "--out", str(tmp_path / "d")])
        assert result.exit_code == 2 and "pip install vllm" in result.output
