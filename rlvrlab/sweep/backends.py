"""Where a sweep's jobs run. Every backend starts the same job runner (`python -m rlvrlab.sweep.cell
SWEEP_DIR JOB`, rlvrlab/sweep/cell.py), so a job behaves the same wherever it runs; the sweep folder is the
only shared state (it must be on a file system every machine mounts).

- local: N worker threads, each starting one job at a time as a subprocess (its own session, so a job can
  be killed alone). Jobs that need GPUs get disjoint CUDA_VISIBLE_DEVICES slices.
- ray: each job a Ray task asking for its resources (num_gpus, num_cpus); Ray sets CUDA_VISIBLE_DEVICES.
  `address=None` starts a local Ray cluster (ray.init()); on a cluster pass its address ("auto" from a
  node of the cluster, or ray://head:10001).
- slurm: an sbatch job-array script per resource shape, one job per array index; submitted when `sbatch`
  is on PATH, else the command is returned for the user to run.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from rlvrlab.sweep.spec import Job

OnDone = Callable[[Job, int], None]


def run_job_process(
    sweep_dir: str, name: str, cpus: int, devices: str | None = None, live: set | None = None
) -> int:
    """Start the job runner as a subprocess in its own session (so one job, with every process it starts,
    can be killed alone), its output appended to logs/<job>.log; its exit status. `live` tracks the
    running processes so the caller can stop them."""
    log = Path(sweep_dir) / "logs" / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", str(cpus))}
    if devices is not None:
        env["CUDA_VISIBLE_DEVICES"] = devices
    command = [sys.executable, "-m", "rlvrlab.sweep.cell", str(sweep_dir), name]
    with open(log, "a", encoding="utf-8") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        if live is not None:
            live.add(process)
        try:
            return process.wait()
        finally:
            if live is not None:
                live.discard(process)


def _stop(processes: set) -> None:
    """SIGTERM the sessions of jobs still running (the sweep command was interrupted)."""
    for process in list(processes):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)


def run_local(sweep_dir: Path, jobs: list[Job], workers: int, on_done: OnDone, gpus: int = 0) -> None:
    """Run `jobs` on this machine, `workers` at a time; `gpus` visible GPUs are split between workers."""
    slices: queue.Queue[str | None] = queue.Queue()
    need = max((j.resources.gpus for j in jobs), default=0)
    if need:
        if gpus < need * workers:
            raise ValueError(
                f"{workers} workers x {need} GPUs need {need * workers} GPUs; this machine has {gpus}"
            )
        for w in range(workers):
            slices.put(",".join(str(g) for g in range(w * need, (w + 1) * need)))
    else:
        for _ in range(workers):
            slices.put(None)

    live: set = set()

    def one(job: Job) -> int:
        devices = slices.get()
        try:
            return run_job_process(str(sweep_dir), job.name, job.resources.cpus, devices, live)
        finally:
            slices.put(devices)

    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        futures = {pool.submit(one, job): job for job in jobs}
        for future in as_completed(futures):
            on_done(futures[future], future.result())
    except BaseException:  # Ctrl-C or an error here: stop what runs, start nothing new
        pool.shutdown(wait=False, cancel_futures=True)
        _stop(live)
        raise
    pool.shutdown()


def run_ray(
    sweep_dir: Path, jobs: list[Job], on_done: OnDone, address: str | None = None, **init: Any
) -> None:
    """Run every job as a Ray task with the job's resources; `init` goes to ray.init for a local cluster."""
    import ray

    started = not ray.is_initialized()
    if started:
        if address is None:
            init = {"include_dashboard": False, "object_store_memory": 256 * 1024**2, **init}
        ray.init(address=address, **init)
    try:
        task = ray.remote(run_job_process)
        refs = {}
        for job in jobs:
            options = {"num_cpus": job.resources.cpus, "num_gpus": job.resources.gpus, "name": job.name}
            refs[
                task.options(**options).remote(str(Path(sweep_dir).resolve()), job.name, job.resources.cpus)
            ] = job
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            on_done(refs[done[0]], ray.get(done[0]))
    finally:
        if started:
            ray.shutdown()


def slurm_script(sweep_dir: Path, jobs: list[Job], workdir: Path, options: dict[str, Any], tag: str) -> str:
    """An sbatch job-array script: array index i runs jobs[i]."""
    sweep_dir = Path(sweep_dir).resolve()
    res = jobs[0].resources
    lines = [
        "#!/bin/bash",
        f"# rlvr sweep: {len(jobs)} jobs of {sweep_dir}, one per array index (written by `rlvr sweep --backend slurm`).",
        f"#SBATCH --job-name=rlvr-{tag}",
        f"#SBATCH --array=0-{len(jobs) - 1}"
        + (f"%{options['max_parallel']}" if options.get("max_parallel") else ""),
        "#SBATCH --nodes=1",
        "#SBATCH --ntasks=1",
        f"#SBATCH --cpus-per-task={res.cpus}",
        f"#SBATCH --output={sweep_dir}/logs/slurm-%A_%a.out",
    ]
    lines += [f"#SBATCH --gpus-per-node={res.gpus}"] if res.gpus else []
    lines += [f"#SBATCH {item}" for item in options.get("sbatch", [])]
    names = " ".join(shlex.quote(j.name) for j in jobs)
    lines += [
        "set -euo pipefail",
        f"JOBS=({names})",
        'JOB="${JOBS[$SLURM_ARRAY_TASK_ID]}"',
        f"cd {shlex.quote(str(workdir))}",
        f"mkdir -p {shlex.quote(str(sweep_dir))}/logs",
    ]
    if res.accelerate_config:
        lines += [
            "# The job runner skips a finished job, resumes a failed one, and trains with",
            f"#   accelerate launch --config_file {res.accelerate_config} --main_process_port <free port> \\",
            f'#     -m rlvrlab.cli train --config {sweep_dir}/cells/"$JOB".yaml --out {sweep_dir}/runs/"$JOB" [--resume]',
            "# then evaluates runs/$JOB/final into runs/$JOB/eval (base jobs: the base model into base/<model>).",
        ]
    runner = f"{shlex.quote(sys.executable)} -m rlvrlab.sweep.cell {shlex.quote(str(sweep_dir))}"
    lines += [f'exec {runner} "$JOB" >> {shlex.quote(str(sweep_dir))}/logs/"$JOB".log 2>&1', ""]
    return "\n".join(lines)


def write_slurm(
    sweep_dir: Path, jobs: list[Job], workdir: Path, options: dict[str, Any], name: str
) -> list[Path]:
    """One script per resource shape (an array job asks for one shape); paths of the scripts written."""
    groups: dict[tuple, list[Job]] = {}
    for job in jobs:
        r = job.resources
        groups.setdefault((r.gpus, r.cpus, r.accelerate_config), []).append(job)
    folder = Path(sweep_dir) / "slurm"
    folder.mkdir(parents=True, exist_ok=True)
    (Path(sweep_dir) / "logs").mkdir(parents=True, exist_ok=True)
    paths = []
    for index, group in enumerate(groups.values()):
        tag = f"{name}-{index}" if len(groups) > 1 else name
        path = folder / f"{tag}.sbatch"
        path.write_text(slurm_script(sweep_dir, group, workdir, options, tag), encoding="utf-8")
        paths.append(path)
    return paths


def submit_slurm(scripts: list[Path]) -> list[str] | None:
    """Submit with sbatch (job ids), or None when sbatch is not on PATH."""
    sbatch = shutil.which("sbatch")
    if sbatch is None:
        return None
    ids = []
    for script in scripts:
        result = subprocess.run([sbatch, "--parsable", str(script)], capture_output=True, text=True)
        if result.returncode != 0:
            raise ValueError(f"sbatch {script} failed: {result.stderr.strip() or result.stdout.strip()}")
        ids.append(result.stdout.strip().split(";")[0])
    return ids
