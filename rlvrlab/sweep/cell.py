"""Run one job of a sweep: `python -m rlvrlab.sweep.cell SWEEP_DIR JOB` (what every backend starts).

A cell trains (unless `final/` exists), resuming from its last checkpoint when its run folder already
holds a run, then evaluates `final/` with its eval plan (resuming a partial eval). A base job evaluates
the base model. A finished job returns at once; a job whose lock another process holds is left alone.

Training runs in this process when the cell's resources name no accelerate config (one CPU/GPU process),
else through `accelerate launch --config_file CONFIG --main_process_port PORT -m rlvrlab.cli train
--config SWEEP_DIR/cells/CELL.yaml --out SWEEP_DIR/runs/CELL [--resume]` (a free port, so several cells
can share a node). Exit status: 0 finished (or already running elsewhere), 1 failed.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from rlvrlab.sweep.spec import Job
from rlvrlab.sweep.state import (
    eval_dir,
    heartbeat,
    job_finished,
    job_lock,
    open_sweep,
    run_dir,
    run_finished,
    write_state,
)

logger = logging.getLogger(__name__)


def train_command(sweep_dir: Path, job: Job, resume: bool) -> list[str]:
    """The accelerate launch line of a multi-process cell."""
    launcher = shutil.which("accelerate", path=str(Path(sys.executable).parent)) or "accelerate"
    with socket.socket() as probe:  # a free port for this cell's process group
        probe.bind(("", 0))
        port = probe.getsockname()[1]
    command = [launcher, "launch", "--config_file", str(job.resources.accelerate_config)]
    command += ["--main_process_port", str(port), "-m", "rlvrlab.cli", "train"]
    command += [
        "--config",
        str(Path(sweep_dir) / "cells" / f"{job.name}.yaml"),
        "--out",
        str(run_dir(sweep_dir, job)),
    ]
    return command + (["--resume"] if resume else [])


def _train(sweep_dir: Path, job: Job) -> None:
    from rlvrlab.train.run import train_from_cli

    folder = run_dir(sweep_dir, job)
    resume = (folder / "config.yaml").exists()
    logger.info("%s: %s training", job.name, "resuming" if resume else "starting")
    if job.resources.accelerate_config:
        command = train_command(sweep_dir, job, resume)
        logger.info("%s: %s", job.name, " ".join(command))
        subprocess.run(command, check=True)
        return
    config = Path(sweep_dir) / "cells" / f"{job.name}.yaml"
    train_from_cli(
        out=folder,
        model=None,
        data=None,
        reward=None,
        preset=None,
        config=config,
        overrides=[],
        resume=resume,
    )


def _evaluate(sweep_dir: Path, job: Job) -> None:
    from rlvrlab.evaluate.run import run_eval

    model = job.model if job.kind == "base" else str(run_dir(sweep_dir, job) / "final")
    out = eval_dir(sweep_dir, job)
    config = job.eval.eval_config(model, out, _prompt(job), resume=(out / "config.json").exists())
    logger.info("%s: evaluating %s on %s", job.name, model, ", ".join(job.eval.benchmarks))
    run_eval(config)


def _prompt(job: Job) -> str:
    """The training prompt, with "auto" resolved against the base model's tokenizer as training does."""
    if job.train["prompt"] != "auto":
        return job.train["prompt"]
    from transformers import AutoTokenizer

    from rlvrlab.train.config import TrainConfig
    from rlvrlab.train.run import resolve_prompt_name

    config = TrainConfig(model=job.model, prompt="auto")
    return resolve_prompt_name(config, AutoTokenizer.from_pretrained(job.model))


def run_job(sweep_dir: Path, name: str) -> int:
    """Run one job to completion; see the module docstring."""
    sweep, workdir = open_sweep(sweep_dir)
    job = sweep.job(name)
    sweep_dir = Path(sweep_dir).resolve()
    os.chdir(workdir)  # relative data paths in the spec are relative to where the sweep was started
    with job_lock(sweep_dir, job) as mine:
        if not mine:
            logger.info("%s: running in another process; leaving it", name)
            return 0
        if job_finished(sweep_dir, job):
            logger.info("%s: finished already", name)
            return 0
        with heartbeat(sweep_dir, job):
            try:
                if job.kind == "cell" and not run_finished(run_dir(sweep_dir, job)):
                    _train(sweep_dir, job)
                _evaluate(sweep_dir, job)
            except BaseException as err:  # a failed attempt is recorded, whatever ended it
                write_state(sweep_dir, job, status="failed", error=f"{type(err).__name__}: {err}"[:500])
                logger.exception("%s failed", name)
                return 1
        write_state(sweep_dir, job, status="finished", error=None)
    logger.info("%s: finished", name)
    return 0


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m rlvrlab.sweep.cell SWEEP_DIR JOB")
    raise SystemExit(run_job(Path(sys.argv[1]), sys.argv[2]))


if __name__ == "__main__":
    main()
