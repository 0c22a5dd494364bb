"""Where a sweep's jobs stand, read from the sweep folder alone (any backend, any machine that mounts it).

SWEEP_DIR layout:
    sweep.json               the expanded grid (jobs with their configs, eval plans, resources), workdir
    cells/<cell>.yaml        each cell's resolved TrainConfig (`rlvr train --config` reads it)
    runs/<cell>/             a normal run folder (config.yaml, metrics.jsonl, final/, ...) + eval/
    base/<name>/             the base model's eval folder (samples.jsonl, summary.json)
    state/<job>.json, .lock  the last attempt: status, host, pid, attempt count, error; the lock is held
                             while a job runs
    logs/<job>.log           stdout/stderr of every attempt, appended

A job's status:
- finished: its outputs are complete (`run_finished` and `eval_finished`), whatever the state file says;
- running: its lock is held (flock: a killed process releases it at once), or, where the file system has
  no working flock, its heartbeat (state file rewritten every HEARTBEAT_S) is fresh;
- failed: an attempt started and ended without finishing (exception, non-zero exit, killed);
- pending: never started.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rlvrlab.sweep.spec import Job, Sweep

STATUSES = ("finished", "running", "failed", "pending")
HEARTBEAT_S = 30.0


def run_dir(sweep_dir: Path, job: Job) -> Path:
    return Path(sweep_dir) / "runs" / job.name


def eval_dir(sweep_dir: Path, job: Job) -> Path:
    """A cell's eval sits inside its run folder (the report finds it there); a base eval under base/."""
    if job.kind == "base":
        return Path(sweep_dir) / "base" / job.name.split("=", 1)[1]
    return run_dir(sweep_dir, job) / "eval"


def run_finished(folder: Path) -> bool:
    """A training run is finished when its final model is saved (`rlvr train` writes final/ last)."""
    return (Path(folder) / "final" / "config.json").is_file()


def eval_finished(folder: Path, benchmarks: tuple[str, ...]) -> bool:
    """An eval is finished when summary.json holds every benchmark of the plan (it is rewritten after each)."""
    path = Path(folder) / "summary.json"
    if not path.is_file():
        return False
    try:
        done = json.loads(path.read_text(encoding="utf-8")).get("benchmarks", {})
    except (OSError, json.JSONDecodeError):
        return False
    return all(b in done for b in benchmarks)


def job_finished(sweep_dir: Path, job: Job) -> bool:
    trained = job.kind == "base" or run_finished(run_dir(sweep_dir, job))
    return trained and eval_finished(eval_dir(sweep_dir, job), job.eval.benchmarks)


def _state_path(sweep_dir: Path, job: Job) -> Path:
    return Path(sweep_dir) / "state" / f"{job.name}.json"


def read_state(sweep_dir: Path, job: Job) -> dict[str, Any]:
    path = _state_path(sweep_dir, job)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def write_state(sweep_dir: Path, job: Job, **fields: Any) -> dict[str, Any]:
    """Update the job's state file atomically (a reader never sees half a file)."""
    path = _state_path(sweep_dir, job)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {**read_state(sweep_dir, job), **fields, "updated": time.time()}
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return state


@contextlib.contextmanager
def job_lock(sweep_dir: Path, job: Job) -> Iterator[bool]:
    """Hold the job's lock for the duration; yields False when another process holds it. On a file system
    without flock, yields True (the heartbeat then tells others the job runs)."""
    path = _state_path(sweep_dir, job).with_suffix(".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        except OSError:  # no flock here (some network file systems)
            yield True
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _lock_held(sweep_dir: Path, job: Job) -> bool | None:
    """True/False when flock can tell, None when the file system cannot."""
    path = _state_path(sweep_dir, job).with_suffix(".lock")
    if not path.exists():
        return False
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return None
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def job_status(sweep_dir: Path, job: Job) -> dict[str, Any]:
    """{cell, kind, status, attempts, host, error} for `rlvr sweep status`."""
    state = read_state(sweep_dir, job)
    row = {"cell": job.name, "kind": job.kind, "attempts": state.get("attempt", 0), "host": state.get("host")}
    if job_finished(sweep_dir, job):
        return {**row, "status": "finished"}
    held = _lock_held(sweep_dir, job)
    fresh = time.time() - state.get("updated", 0) < 3 * HEARTBEAT_S
    if held or (held is None and state.get("status") == "running" and fresh):
        return {**row, "status": "running"}
    if state:
        error = state.get("error") or (
            "killed or lost while running" if state.get("status") == "running" else None
        )
        return {**row, "status": "failed", "error": error}
    return {**row, "status": "pending"}


def sweep_status(sweep_dir: Path, sweep: Sweep) -> list[dict[str, Any]]:
    return [job_status(sweep_dir, job) for job in sweep.jobs]


@contextlib.contextmanager
def heartbeat(sweep_dir: Path, job: Job) -> Iterator[None]:
    """Mark the job running (host, pid, attempt) and refresh its state file every HEARTBEAT_S seconds."""
    attempt = int(read_state(sweep_dir, job).get("attempt", 0)) + 1
    write_state(
        sweep_dir, job, status="running", host=socket.gethostname(), pid=os.getpid(), attempt=attempt,
        started=time.time(), error=None,
    )  # fmt: skip
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_S):
            write_state(sweep_dir, job)

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def save_sweep(sweep_dir: Path, sweep: Sweep, workdir: Path) -> None:
    """Write sweep.json and cells/<cell>.yaml. A folder made from another grid keeps its finished cells:
    a cell may be added, but an existing cell whose config changed is refused."""
    import yaml

    from rlvrlab.sweep.spec import sweep_to_dict

    sweep_dir = Path(sweep_dir)
    previous = open_sweep(sweep_dir)[0] if (sweep_dir / "sweep.json").exists() else None
    if previous is not None:
        old = {job.name: job for job in previous.jobs}
        changed = [j.name for j in sweep.jobs if j.name in old and old[j.name] != j]
        if changed:
            raise ValueError(
                f"{sweep_dir}: cells {changed[:3]} were made with other settings; resume with the same spec "
                "or use a new --out"
            )
    (sweep_dir / "cells").mkdir(parents=True, exist_ok=True)
    for cell in sweep.cells:
        config = {**cell.train, "output_dir": str(run_dir(sweep_dir, cell).resolve())}
        (sweep_dir / "cells" / f"{cell.name}.yaml").write_text(
            yaml.safe_dump(config, sort_keys=False), encoding="utf-8"
        )
    data = {**sweep_to_dict(sweep), "workdir": str(Path(workdir).resolve())}
    tmp = sweep_dir / "sweep.json.tmp"
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(sweep_dir / "sweep.json")


def open_sweep(sweep_dir: Path) -> tuple[Sweep, Path]:
    """(the grid, the directory relative data paths are resolved from) of a sweep folder."""
    from rlvrlab.sweep.spec import sweep_from_dict

    path = Path(sweep_dir) / "sweep.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(
            f"{path}: not a sweep folder ({err}); start one with `rlvr sweep SPEC --out DIR`"
        ) from None
    return sweep_from_dict(data), Path(data["workdir"])
