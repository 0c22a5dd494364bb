"""A persistent, killable worker process for the slow (sympy) part of grading.

Why a process: sympy `simplify` and big-integer arithmetic can run for minutes inside C-level loops
that no signal or thread can interrupt, and `signal.alarm` only works on the main thread (TRL calls
rewards from wherever it likes). The worker is `python -m rlvrlab.grading.worker`, a plain
subprocess (not multiprocessing, which re-imports the caller's `__main__` and breaks unguarded
scripts). It talks pickled `(function name, args)` frames over its stdin/stdout.

The parent waits at most `timeout` seconds for a reply; on expiry it SIGKILLs the worker and
reports a timeout. A spare worker is started in the background right away, so the next call does
not pay the ~1-2 s sympy import. Only functions in `symbolic.WORKER_FUNCTIONS` can be called.
One worker per grading process; calls are serialised with a lock.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Literal

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 120.0  # sympy import on a loaded machine; not counted against a comparison


@dataclass(frozen=True)
class WorkerReply:
    """Outcome of one worker call: status 'ok' carries `value`; 'error'/'timeout' carry `detail`."""

    status: Literal["ok", "error", "timeout"]
    value: Any = None
    detail: str = ""


def _serve(reader: Connection, writer: Connection) -> None:
    """Worker loop: import the function table, say ready, then answer requests until EOF."""
    from rlvrlab.grading.symbolic import WORKER_FUNCTIONS

    writer.send("ready")
    while True:
        try:
            name, args = reader.recv()
        except (EOFError, OSError):
            return
        try:
            writer.send(("ok", WORKER_FUNCTIONS[name](*args)))
        except Exception as error:  # reported to the parent as a verdict reason, never raised there
            writer.send(("error", f"{type(error).__name__}: {str(error)[:200]}"))


@dataclass
class _Child:
    process: subprocess.Popen
    to_child: Connection
    from_child: Connection
    ready: bool = False


def _spawn() -> _Child:
    process = subprocess.Popen(
        [sys.executable, "-m", "rlvrlab.grading.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdin is not None and process.stdout is not None
    to_child = Connection(os.dup(process.stdin.fileno()), readable=False)
    from_child = Connection(os.dup(process.stdout.fileno()), writable=False)
    process.stdin.close()
    process.stdout.close()
    return _Child(process, to_child, from_child)


def _wait_ready(child: _Child) -> None:
    if child.ready:
        return
    if not child.from_child.poll(STARTUP_TIMEOUT_S) or child.from_child.recv() != "ready":
        child.process.kill()
        raise RuntimeError("grading worker did not start")
    child.ready = True


def _kill(child: _Child) -> None:
    child.process.kill()
    child.process.wait(timeout=5)
    child.to_child.close()
    child.from_child.close()


class KillableWorker:
    """Runs named functions in a child process with a hard wall-clock limit per call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._child: _Child | None = None
        self._spare: _Child | None = None
        self.restarts = 0

    def _ready_child(self) -> _Child:
        if self._child is None or self._child.process.poll() is not None:
            self._child, self._spare = (self._spare or _spawn()), None
        _wait_ready(self._child)
        if self._spare is None:
            self._spare = _spawn()  # imports in the background while this one works
        return self._child

    def _discard_current(self) -> None:
        if self._child is not None:
            _kill(self._child)
        self._child = None
        self.restarts += 1

    def warm_up(self) -> None:
        """Start the worker and its spare now, so no timed comparison pays for a sympy import.

        Limitation: a comparison that follows a kill by less than the spare's start-up time
        (~1-2 s) waits for that start-up on top of its own limit.
        """
        with self._lock:
            self._ready_child()
            assert self._spare is not None
            _wait_ready(self._spare)

    def call(self, name: str, args: tuple, timeout: float) -> WorkerReply:
        """Run WORKER_FUNCTIONS[name](*args) in the worker; kill it if no reply within `timeout` s."""
        with self._lock:
            child = self._ready_child()
            try:
                child.to_child.send((name, args))
                if child.from_child.poll(max(timeout, 0.0)):
                    status, payload = child.from_child.recv()
                    if status == "ok":
                        return WorkerReply("ok", value=payload)
                    return WorkerReply("error", detail=payload)
            except (EOFError, OSError) as error:
                self._discard_current()
                return WorkerReply("error", detail=f"worker died: {error!r}")
            self._discard_current()
            logger.debug("grading worker killed after %.2fs in %s", timeout, name)
            return WorkerReply("timeout", detail=f"{name} exceeded {timeout:.2f}s")

    def close(self) -> None:
        with self._lock:
            for child in (self._child, self._spare):
                if child is not None:
                    _kill(child)
            self._child = self._spare = None


_DEFAULT_WORKER: KillableWorker | None = None
_DEFAULT_OWNER_PID = -1
_DEFAULT_LOCK = threading.Lock()


def default_worker() -> KillableWorker:
    """The process-wide worker (created lazily; importing this module starts nothing).

    A forked child (e.g. a data-loader process) gets its own worker instead of its parent's.
    """
    global _DEFAULT_WORKER, _DEFAULT_OWNER_PID
    with _DEFAULT_LOCK:
        if _DEFAULT_WORKER is None or os.getpid() != _DEFAULT_OWNER_PID:
            _DEFAULT_WORKER, _DEFAULT_OWNER_PID = KillableWorker(), os.getpid()
        return _DEFAULT_WORKER


if __name__ == "__main__":
    # Keep the protocol on private descriptors; anything printed by sympy goes to stderr.
    _reader = Connection(os.dup(0), writable=False)
    _writer = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    _serve(_reader, _writer)
