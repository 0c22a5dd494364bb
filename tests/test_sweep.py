"""`rlvr sweep`: spec expansion (the shipped paper specs and the CI grid), the sweep folder, and the 2 x 2
sim grid run for real on the local backend (one cell killed, then a re-run finishes only what is missing),
on a real local Ray cluster, and on a real single-node SLURM (tests/slurm.py), plus the generated sbatch
script run by hand with the array variables set."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from rlvrlab.demo import ORGANISM_TRAIN
from rlvrlab.sweep.backends import slurm_script, write_slurm
from rlvrlab.sweep.spec import load_sweep
from rlvrlab.sweep.state import open_sweep, read_state, save_sweep, sweep_status
from rlvrlab.train.config import PRESETS
from tests import slurm

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "configs" / "sweeps"
SIM = SPECS / "sim-2x2.yaml"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
       "TOKENIZERS_PARALLELISM": "false"}  # fmt: skip
KILLED = "model=sim-qwen-math--reward=random--seed=1"


def _rlvr(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "rlvrlab.cli", *args], env=ENV, cwd=ROOT, capture_output=True, text=True
    )
    if check:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def _status(out: Path) -> dict[str, dict]:
    rows = json.loads(_rlvr("sweep", "status", str(out), "--json").stdout)
    return {row["cell"]: row for row in rows}


# ---- specs (fast) -------------------------------------------------------------------------------------


def test_sim_grid_is_two_families_by_two_rewards_on_the_organism_settings():
    sweep = load_sweep(SIM)
    assert [c.name for c in sweep.cells] == [
        "model=sim-qwen-math--reward=ground-truth--seed=1",
        "model=sim-qwen-math--reward=random--seed=1",
        "model=sim-llama--reward=ground-truth--seed=1",
        "model=sim-llama--reward=random--seed=1",
    ]
    assert [b.name for b in sweep.bases] == ["base=sim-qwen-math", "base=sim-llama"]
    assert {c.base for c in sweep.cells} == {"base=sim-qwen-math", "base=sim-llama"}
    shrunk = {"group_size", "prompts_per_rollout", "updates_per_rollout", "micro_batch_size", "save_every",
              "max_steps", "eval_every", "eval_benchmark", "eval_limit", "eval_max_new_tokens"}  # fmt: skip
    for cell in sweep.cells:  # cpu-small + the demo's organism overrides, except the CI-sized rollout
        expected = {**PRESETS["cpu-small"], **{k: v for k, v in ORGANISM_TRAIN.items() if k not in shrunk}}
        assert {k: cell.train[k] for k in expected if k not in shrunk} == {
            k: v for k, v in expected.items() if k not in shrunk
        }
        assert cell.train["max_steps"] <= 3 and Path(cell.model).is_dir()


def test_paper_specs_expand_to_the_paper_grid():
    main = load_sweep(SPECS / "paper-main.yaml")
    assert len(main.cells) == 8 * 5 and len(main.bases) == 8
    olmo = [c for c in main.cells if c.axes["model"] == "olmo2-7b"]
    assert {c.train["prompt"] for c in olmo} == {"r1"}
    majority = next(c for c in main.cells if c.name == "model=qwen2.5-math-7b--reward=majority-vote--seed=42")
    assert (majority.train["reward"], majority.train["data"]) == ("label", "labels/qwen2.5-math-7b/all.jsonl")
    assert all(c.resources.gpus == 8 and c.train["use_vllm"] and c.eval.backend == "vllm" for c in main.cells)
    clipping = load_sweep(SPECS / "paper-clipping.yaml")
    variants = {c.axes["clip"]: c.train for c in clipping.cells if c.train["seed"] == 1}
    assert variants["no-clip"]["clip"] == "off" and variants["clipped"]["clip"] == "on"
    assert variants["on-policy"]["updates_per_rollout"] == 1
    assert (
        variants["small-rollout"]["prompts_per_rollout"],
        variants["small-rollout"]["updates_per_rollout"],
    ) == (8, 1)
    assert len(clipping.cells) == 12 and {c.train["reward"] for c in clipping.cells} == {"random:0.5"}


def test_spec_errors_name_the_file_and_cell(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text(yaml.safe_dump({"train": {"model": "m"}, "axes": {"reward": {"x": {"rewrd": "format"}}}}))
    with pytest.raises(ValueError, match=r"bad.yaml: cell reward=x: unknown config keys \['rewrd'\]"):
        load_sweep(spec)
    spec.write_text(yaml.safe_dump({"recipe": str(SPECS.parent / "train" / "qwen2.5-7b.yaml"),
                                    "train": {"micro_batch_size": 32}, "axes": {"seed": [1]}}))  # fmt: skip
    with pytest.raises(ValueError, match="cell seed=1: mini-batch of 128 .* 32 x 8"):  # 8 GPUs of the recipe
        load_sweep(spec)


def test_folder_refuses_a_changed_cell_and_starts_pending(tmp_path):
    sweep = load_sweep(SIM)
    save_sweep(tmp_path, sweep, ROOT)
    assert {r["status"] for r in sweep_status(tmp_path, sweep)} == {"pending"}
    assert yaml.safe_load((tmp_path / "cells" / f"{KILLED}.yaml").read_text())["reward"] == "random:0.5"
    changed = load_sweep(SIM)
    cell = changed.cells[0]
    cell.train["learning_rate"] = 1.0
    with pytest.raises(ValueError, match="were made with other settings"):
        save_sweep(tmp_path, changed, ROOT)


def test_slurm_script_requests_the_recipe_resources(tmp_path):
    main = load_sweep(SPECS / "paper-main.yaml")
    save_sweep(tmp_path, main, ROOT)
    scripts = write_slurm(tmp_path, list(main.jobs), ROOT, main.slurm, main.name)
    assert len(scripts) == 3  # base evals (1 GPU), 1.5B DDP cells, 7-8B ZeRO-3 cells: one array each
    text = "\n".join(p.read_text() for p in scripts)
    assert (
        "#SBATCH --array=0-29%8" in text and "#SBATCH --array=0-9%8" in text
    )  # 6 big, 2 small models and "#SBATCH --gpus-per-node=8" in text
    assert "#SBATCH --gpus-per-node=1" in text and "#SBATCH --time=30:00:00" in text
    assert "accelerate launch --config_file" in text and "deepspeed-zero3.yaml" in text


# ---- the 2 x 2 sim grid, for real (slow) --------------------------------------------------------------


def _kill_when_training(proc: subprocess.Popen, out: Path, name: str, timeout: float = 600) -> None:
    """SIGKILL the job runner of `name` (and its children: its own session) once it logged a step."""
    job = open_sweep(out)[0].job(name) if (out / "sweep.json").exists() else None
    deadline = time.time() + timeout
    metrics = out / "runs" / name / "metrics.jsonl"
    while time.time() < deadline and proc.poll() is None:
        if job is None and (out / "sweep.json").exists():
            job = open_sweep(out)[0].job(name)
        if metrics.exists() and metrics.read_text().strip() and not (out / "runs" / name / "final").exists():
            os.killpg(read_state(out, job)["pid"], signal.SIGKILL)
            return
        time.sleep(0.05)
    raise AssertionError(f"{name} was never caught training: the sweep ended first (exit {proc.poll()})")


@pytest.mark.slow
def test_local_sweep_kill_one_cell_rerun_finishes_only_it_and_report(tmp_path):
    out = tmp_path / "sweep"
    args = [sys.executable, "-m", "rlvrlab.cli", "sweep", str(SIM), "--out", str(out), "--workers", "2"]
    with open(tmp_path / "first.log", "w") as log:
        proc = subprocess.Popen(args, env=ENV, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        _kill_when_training(proc, out, KILLED)
        assert proc.wait(timeout=900) == 1, (tmp_path / "first.log").read_text()[-3000:]
    status = _status(out)
    assert status[KILLED]["status"] == "failed", status[KILLED]
    assert all(row["status"] == "finished" for name, row in status.items() if name != KILLED), status
    others = {n: (out / "runs" / n / "final" / "model.safetensors").stat().st_mtime_ns
              for n in status if n != KILLED and not n.startswith("base=")}  # fmt: skip

    rerun = _rlvr("sweep", str(SIM), "--out", str(out))
    assert "5 finished or running, 1 to run" in rerun.stdout, rerun.stdout
    status = _status(out)
    assert {row["status"] for row in status.values()} == {"finished"}
    assert status[KILLED]["attempts"] == 2 and {r["attempts"] for n, r in status.items() if n != KILLED} == {
        1
    }
    assert others == {
        n: (out / "runs" / n / "final" / "model.safetensors").stat().st_mtime_ns for n in others
    }
    steps = [
        json.loads(line)["step"]
        for line in (out / "runs" / KILLED / "metrics.jsonl").read_text().splitlines()
    ]
    assert steps == [1, 2, 3]  # resumed: no step lost or repeated
    assert "6 finished or running, 0 to run" in _rlvr("sweep", str(SIM), "--out", str(out)).stdout

    _rlvr("report", str(out), "--out", str(tmp_path / "report"))
    assert (tmp_path / "report" / "headline-sim500.png").stat().st_size > 5000
    markdown = (tmp_path / "report" / "index.md").read_text()
    assert "Headline" in markdown  # a row per (model, reward): seeds, problems, base -> final, changes
    assert re.search(r"\| sim-llama \| random[^|]* \| sim500 \| 1 \| 16 \| [\d.]+ -> [\d.]+ \|", markdown)


@pytest.mark.slow
def test_ray_sweep_on_a_local_cluster(tmp_path):
    out = tmp_path / "sweep"
    result = _rlvr("sweep", str(SIM), "--out", str(out), "--backend", "ray")
    assert "6 to run (ray)" in result.stdout
    assert {row["status"] for row in _status(out).values()} == {"finished"}
    log = (out / "logs" / f"{KILLED}.log").read_text()
    assert "finished" in log


def _one_family_spec(tmp_path: Path, processes: int = 1) -> Path:
    """sim-2x2 restricted to sim-llama (2 cells + 1 base eval): the scheduler path at half the cost. With
    2 processes the cells train through `accelerate launch` (configs/accelerate/cpu-2proc.yaml, gloo)."""
    spec = yaml.safe_load(SIM.read_text())
    spec["axes"]["model"] = ["sim-llama"]
    if processes == 2:  # 8-completion mini-batches = micro-batch 4 x 2 processes
        spec["train"]["micro_batch_size"] = 4
        spec["resources"] = {
            "cpus": 2,
            "accelerate_config": str(ROOT / "configs" / "accelerate" / "cpu-2proc.yaml"),
        }
    path = tmp_path / "sim-1x2.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


@pytest.mark.slow
@pytest.mark.skipif(
    not slurm.available() and not os.environ.get("CI"), reason="no SLURM (scripts/ensure-slurm.sh)"
)
def test_slurm_sweep_on_a_real_single_node_cluster(tmp_path):
    spec, out = _one_family_spec(tmp_path, processes=2), tmp_path / "sweep"
    with slurm.local_slurm(tmp_path / "slurm") as env:
        result = subprocess.run([sys.executable, "-m", "rlvrlab.cli", "sweep", str(spec), "--out", str(out),
                                 "--backend", "slurm"], env={**ENV, **env}, cwd=ROOT, capture_output=True, text=True)  # fmt: skip
        assert result.returncode == 0 and "submitted job" in result.stdout, result.stdout + result.stderr
        slurm.wait_for_jobs(env, timeout=900)
    status = _status(out)
    assert {row["status"] for row in status.values()} == {"finished"}, status
    assert len(list((out / "logs").glob("slurm-*.out"))) == 3  # one array task per job
    cell = "model=sim-llama--reward=random--seed=1"
    assert "accelerate launch --config_file" in (out / "logs" / f"{cell}.log").read_text()
    metrics = [json.loads(line) for line in (out / "runs" / cell / "metrics.jsonl").read_text().splitlines()]
    assert [m["world_size"] for m in metrics] == [2, 2, 2]  # two training processes per cell


@pytest.mark.slow
def test_sbatch_script_runs_cell_i_with_the_array_variables_set(tmp_path):
    """Without a scheduler: the generated script, run by bash with SLURM_ARRAY_TASK_ID=i, runs job i only."""
    spec, out = _one_family_spec(tmp_path), tmp_path / "sweep"
    sweep = load_sweep(spec)
    save_sweep(out, sweep, ROOT)
    jobs = list(sweep.jobs)
    script = out / "array.sbatch"
    script.write_text(slurm_script(out, jobs, ROOT, {}, "test"))
    index = next(i for i, j in enumerate(jobs) if j.kind == "base")
    run = subprocess.run(
        ["bash", str(script)], env={**ENV, "SLURM_ARRAY_TASK_ID": str(index)}, capture_output=True, text=True
    )
    assert run.returncode == 0, (
        run.stdout + run.stderr + (out / "logs" / f"{jobs[index].name}.log").read_text()[-2000:]
    )
    status = {row["cell"]: row["status"] for row in sweep_status(out, sweep)}
    assert status == {j.name: ("finished" if i == index else "pending") for i, j in enumerate(jobs)}
