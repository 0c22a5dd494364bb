"""The bodies of `rlvr sweep SPEC --out DIR` and `rlvr sweep status DIR` (cli.py keeps only the options)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from rlvrlab.sweep import backends
from rlvrlab.sweep.spec import Job, Sweep, load_sweep
from rlvrlab.sweep.state import STATUSES, open_sweep, save_sweep, sweep_status

BACKENDS = ("local", "ray", "slurm")


def start_sweep(spec: Path, out: Path, workdir: Path | None = None) -> Sweep:
    """Expand SPEC and write (or re-check) the sweep folder; nothing runs yet."""
    sweep = load_sweep(spec)
    out.mkdir(parents=True, exist_ok=True)
    save_sweep(out, sweep, workdir or Path.cwd())
    return sweep


def jobs_to_run(out: Path, sweep: Sweep) -> list[Job]:
    """Every job not finished and not running now (failed ones are retried; their runs resume)."""
    rows = {row["cell"]: row for row in sweep_status(out, sweep)}
    return [job for job in sweep.jobs if rows[job.name]["status"] in ("pending", "failed")]


def sweep_command(
    console: Console,
    spec: Path,
    out: Path,
    backend: str,
    workers: int = 2,
    address: str | None = None,
    gpus: int | None = None,
    dry_run: bool = False,
) -> int:
    """Run what is missing of the grid; returns the number of jobs that failed in this invocation.
    `dry_run`: list the cells and the expected GPU-hours, write nothing."""
    if backend not in BACKENDS:
        raise ValueError(f"--backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if workers < 1:
        raise ValueError(f"--workers must be >= 1, got {workers}")
    if dry_run:
        sweep = load_sweep(spec)
        for job in sweep.jobs:
            console.print(f"{job.name}  ({_describe(job)})", highlight=False, soft_wrap=True)
        console.print(
            f"{len(sweep.cells)} cells + {len(sweep.bases)} base evals; {_estimate(sweep)}", highlight=False
        )
        return 0
    sweep = start_sweep(spec, out)
    todo = jobs_to_run(out, sweep)
    finished = len(sweep.jobs) - len(todo)
    console.print(f"sweep {sweep.name}: {len(sweep.cells)} cells + {len(sweep.bases)} base evals in {out}; "
                  f"{finished} finished or running, {len(todo)} to run ({backend}); {_estimate(sweep)}",
                  highlight=False, soft_wrap=True)  # fmt: skip
    if not todo:
        return 0
    if backend == "slurm":
        _, workdir = open_sweep(out)
        scripts = backends.write_slurm(out, todo, workdir, sweep.slurm, sweep.name)
        ids = backends.submit_slurm(scripts)
        for script, job_id in zip(scripts, ids or [None] * len(scripts), strict=True):
            shown = f"submitted job {job_id}" if job_id else "sbatch not found; submit with"
            console.print(f"{shown}: sbatch {script}", highlight=False, soft_wrap=True)
        console.print(f"follow it with: rlvr sweep status {out}", highlight=False, soft_wrap=True)
        return 0
    failed: list[str] = []
    started = time.monotonic()

    def on_done(job: Job, code: int) -> None:
        if code:
            failed.append(job.name)
        word = "finished" if code == 0 else f"FAILED (exit {code}; log: {out}/logs/{job.name}.log)"
        console.print(
            f"[{(time.monotonic() - started) / 60:5.1f} min] {job.name}: {word}",
            highlight=False,
            soft_wrap=True,
        )

    if backend == "local":
        visible = gpus if gpus is not None else _visible_gpus()
        backends.run_local(out, todo, workers, on_done, gpus=visible)
    else:
        backends.run_ray(out, todo, on_done, address=address)
    status_command(console, out, as_json=False)
    return len(failed)


def _describe(job: Job) -> str:
    if job.kind == "base":
        return f"eval {job.model} on {','.join(job.eval.benchmarks)}"
    r = job.resources
    where = f"{r.gpus} GPU(s)" if r.gpus else f"{r.cpus} CPU(s)"
    return f"{job.model}, reward {job.train['reward']}, seed {job.train['seed']}, {job.train['max_steps']} steps, {where}"


def _estimate(sweep: Sweep) -> str:
    """Expected GPU-hours of the training cells, from each recipe's `resources.hours`."""
    known = [c for c in sweep.cells if c.resources.hours is not None and c.resources.gpus]
    if not known:
        return "no GPU-hour estimate (no resources.hours)"
    hours = sum(c.resources.gpus * c.resources.hours for c in known)
    return (
        f"expected ~{hours:,.0f} GPU-hours of training ({len(known)} runs with resources.hours), evals extra"
    )


def _visible_gpus() -> int:
    devices = os.environ.get("CUDA_VISIBLE_DEVICES")
    if devices is not None:
        return len([d for d in devices.split(",") if d.strip()])
    try:
        import torch

        return torch.cuda.device_count()
    except ImportError:
        return 0


def status_command(console: Console, out: Path, as_json: bool) -> list[dict[str, Any]]:
    """Print each job's status (a table, or a JSON list of {cell, status, ...})."""
    sweep, _ = open_sweep(out)
    rows = sweep_status(out, sweep)
    if as_json:
        console.out(json.dumps(rows, indent=2), highlight=False)
        return rows
    table = Table("cell", "status", "attempts", "host", "error", title=f"sweep {sweep.name} ({out})")
    table.columns[0].overflow = "fold"  # full cell names, never "…"
    for row in rows:
        table.add_row(
            row["cell"], row["status"], str(row["attempts"]), row["host"] or "-", row.get("error") or ""
        )
    console.print(table)
    counts = {s: sum(r["status"] == s for r in rows) for s in STATUSES}
    console.print(", ".join(f"{n} {s}" for s, n in counts.items()), highlight=False, soft_wrap=True)
    return rows
