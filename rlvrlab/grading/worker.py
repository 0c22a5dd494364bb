"""A persistent, killable worker process for the slow (sympy) part of grading.

Why a process: sympy `simplify` and big-integer arithmetic can run for minutes inside C-level loops
that no signal or thread can interrupt, and `signal.alarm` only works on the main thread (TRL calls
rewards from wherever it likes).

Layout: one *zygote* per grading process, `python -m rlvrlab.grading.worker --zygote FD` (a plain
subprocess, not multiprocessing, which re-imports the caller's `__main__` and breaks unguarded
scripts). The zygote imports sympy and Math-Verify once, then forks a worker whenever the parent
asks, over a Unix socket, handing the worker one end of a fresh socket pair (SCM_RIGHTS). A fork
of the already-imported zygote is ready in milliseconds, so a call right after a kill does not
wait for a ~1-2 s sympy import: back-to-back timeouts each return within their limit. The worker
talks pickled `(function name, args)` frames over its socket.

The parent waits at most `timeout` seconds for a reply; on expiry it SIGKILLs the worker (the
zygote, its parent, reaps it) and reports a timeout. Each worker also runs under an address-space
limit (RLIMIT_AS, `memory_limit_mb`, default `DEFAULT_MEMORY_LIMIT_MB` or the environment variable
`RLVR_GRADING_MEMORY_MB`): an answer that makes sympy allocate past it (e.g. the paper grader's
`parse_expr` evaluating `x+([1]*300000000)[0]`) ends in a MemoryError, reported as status
"memory" and a fresh worker, never a swapping or OOM-killed host. Only functions in `symbolic.WORKER_FUNCTIONS`
can be called. One zygote and one worker per grading process; calls are serialised with a lock.
If the zygote itself dies it is restarted (that one call pays the import).
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Literal

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 120.0  # sympy import on a loaded machine; not counted against a comparison
FORK_TIMEOUT_S = 30.0  # a fork of the zygote; normally milliseconds
# Address-space limit of each worker (the zygote with sympy and Math-Verify imported is ~70 MB).
DEFAULT_MEMORY_LIMIT_MB = 1024
MEMORY_LIMIT_ENV = "RLVR_GRADING_MEMORY_MB"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def memory_limit_from_env() -> int:
    """`RLVR_GRADING_MEMORY_MB` if set (a positive integer), else `DEFAULT_MEMORY_LIMIT_MB`."""
    raw = os.environ.get(MEMORY_LIMIT_ENV, "").strip()
    if not raw:
        return DEFAULT_MEMORY_LIMIT_MB
    if not raw.isdigit() or int(raw) < 64:
        raise ValueError(f"{MEMORY_LIMIT_ENV}={raw!r}: expected an integer number of MB >= 64")
    return int(raw)


@dataclass(frozen=True)
class WorkerReply:
    """Outcome of one worker call: status 'ok' carries `value`; the others carry `detail`.

    'memory': the call ran out of the worker's address-space limit (the worker is replaced).
    """

    status: Literal["ok", "error", "timeout", "memory"]
    value: Any = None
    detail: str = ""


def vm_peak_bytes(pid: int | str = "self") -> int:
    """Peak virtual memory (VmPeak) of `pid` from /proc, 0 where unavailable."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _serve(connection: Connection) -> None:
    """Worker loop (in a fork of the zygote): answer requests until EOF, or exit after a MemoryError."""
    from rlvrlab.grading.symbolic import WORKER_FUNCTIONS

    while True:
        try:
            name, args = connection.recv()
        except (EOFError, OSError):
            return
        try:
            connection.send(("ok", WORKER_FUNCTIONS[name](*args)))
        except MemoryError:
            connection.send(
                ("memory", (f"{name} ran out of the worker's address-space limit", vm_peak_bytes()))
            )
            return  # a heap that hit the limit is not reused
        except Exception as error:  # reported to the parent as a verdict reason, never raised there
            connection.send(("error", f"{type(error).__name__}: {str(error)[:200]}"))


def _zygote(control_fd: int) -> None:
    """Import the slow modules once, then fork one worker per request on the control socket."""
    from rlvrlab.grading.symbolic import warm_up  # imports sympy, latex2sympy, math_verify

    warm_up()  # sympy's lazy first-use set-up, once here instead of in every forked worker

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # killed workers are reaped automatically
    control = socket.socket(fileno=control_fd)
    control.sendall(b"R")
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 16, 1)
        except OSError:
            return
        if not message or not fds:
            return  # parent gone
        limit = int.from_bytes(message[1:9], "little")
        pid = os.fork()
        if pid == 0:  # the worker
            control.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            if limit:
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            _serve(Connection(fds[0]))
            os._exit(0)
        os.close(fds[0])
        control.sendall(pid.to_bytes(8, "little"))


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise OSError("zygote closed its control socket")
        data += chunk
    return data


class _Zygote:
    def __init__(self) -> None:
        parent_end, child_end = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rlvrlab.grading.worker", "--zygote", str(child_end.fileno())],
            pass_fds=(child_end.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        child_end.close()
        self.control = parent_end
        self.ready = False

    def wait_ready(self) -> None:
        if self.ready:
            return
        self.control.settimeout(STARTUP_TIMEOUT_S)
        try:
            if _recv_exact(self.control, 1) != b"R":
                raise OSError("bad handshake")
        except OSError as error:
            self.close()
            raise RuntimeError("grading worker zygote did not start") from error
        self.ready = True

    def alive(self) -> bool:
        return self.process.poll() is None

    def fork_worker(self, memory_limit_bytes: int) -> _Child:
        self.wait_ready()
        ours, theirs = socket.socketpair()
        try:
            self.control.settimeout(FORK_TIMEOUT_S)
            message = b"F" + memory_limit_bytes.to_bytes(8, "little")
            socket.send_fds(self.control, [message], [theirs.fileno()])
            pid = int.from_bytes(_recv_exact(self.control, 8), "little")
        finally:
            theirs.close()
        return _Child(pid, Connection(ours.detach()))

    def close(self) -> None:
        self.control.close()
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)


@dataclass
class _Child:
    pid: int
    connection: Connection


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` from /proc (0.0 where unavailable)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


class KillableWorker:
    """Runs named functions in a child process with a hard wall-clock limit per call and an
    address-space limit per worker (`memory_limit_mb`; None: `memory_limit_from_env()`)."""

    def __init__(self, memory_limit_mb: int | None = None) -> None:
        self._lock = threading.Lock()
        self._zygote: _Zygote | None = None
        self._child: _Child | None = None
        self.restarts = 0
        self._spent_cpu = 0.0  # CPU seconds of workers already killed
        self._peak_vm = 0  # largest VmPeak seen of workers already gone
        self.memory_limit_mb = memory_limit_from_env() if memory_limit_mb is None else memory_limit_mb

    def set_memory_limit(self, memory_limit_mb: int) -> None:
        """Change the limit; the current worker is replaced so the next call runs under it."""
        if memory_limit_mb < 64:
            raise ValueError(
                f"memory_limit_mb must be >= 64 (the worker needs ~70 MB), got {memory_limit_mb}"
            )
        with self._lock:
            self.memory_limit_mb = memory_limit_mb
            if self._child is not None:
                self._discard_current()

    def _fork(self) -> _Child:
        return self._live_zygote().fork_worker(self.memory_limit_mb * 1024 * 1024)

    def _live_zygote(self) -> _Zygote:
        if self._zygote is None or not self._zygote.alive():
            if self._zygote is not None:
                self._zygote.close()
            self._zygote = _Zygote()
        return self._zygote

    def _ready_child(self) -> _Child:
        if self._child is None:
            try:
                self._child = self._fork()
            except OSError:
                if self._zygote is not None:
                    self._zygote.close()
                self._zygote = None
                self._child = self._fork()
        return self._child

    def _discard_current(self) -> None:
        if self._child is not None:
            self._spent_cpu += _cpu_seconds(self._child.pid)
            self._peak_vm = max(self._peak_vm, vm_peak_bytes(self._child.pid))
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._child.pid, signal.SIGKILL)
            self._child.connection.close()
        self._child = None
        self.restarts += 1

    def warm_up(self) -> None:
        """Start the zygote and a worker now, so no timed comparison pays for the sympy import."""
        with self._lock:
            self._ready_child()

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by this grading process's workers and zygote (forks included).

        Take differences: the zygote's one-off import is in every reading.
        """
        with self._lock:
            live = _cpu_seconds(self._child.pid) if self._child is not None else 0.0
            zygote = _cpu_seconds(self._zygote.process.pid) if self._zygote is not None else 0.0
            return self._spent_cpu + live + zygote

    def peak_memory_bytes(self) -> int:
        """Largest peak virtual memory (VmPeak) of any worker so far: bounded by the limit."""
        with self._lock:
            live = vm_peak_bytes(self._child.pid) if self._child is not None else 0
            return max(self._peak_vm, live)

    def call(self, name: str, args: tuple, timeout: float) -> WorkerReply:
        """Run WORKER_FUNCTIONS[name](*args) in the worker; kill it if no reply within `timeout` s."""
        with self._lock:
            child = self._ready_child()
            try:
                child.connection.send((name, args))
                if child.connection.poll(max(timeout, 0.0)):
                    status, payload = child.connection.recv()
                    if status == "ok":
                        return WorkerReply("ok", value=payload)
                    if status == "memory":
                        detail, peak = payload
                        self._peak_vm = max(self._peak_vm, peak)
                        self._discard_current()
                        return WorkerReply("memory", detail=f"{detail} ({self.memory_limit_mb} MB)")
                    return WorkerReply("error", detail=payload)
            except (EOFError, OSError) as error:
                self._discard_current()
                return WorkerReply("error", detail=f"worker died: {error!r}")
            self._discard_current()
            logger.debug("grading worker killed after %.2fs in %s", timeout, name)
            return WorkerReply("timeout", detail=f"{name} exceeded {timeout:.2f}s")

    def close(self) -> None:
        with self._lock:
            if self._child is not None:
                self._discard_current()
            if self._zygote is not None:
                self._zygote.close()
            self._zygote = None


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
    # python -m rlvrlab.grading.worker --zygote FD; anything printed by sympy goes to stderr.
    os.dup2(2, 1)
    _zygote(int(sys.argv[2]))
