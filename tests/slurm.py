"""A real single-node SLURM cluster in a temp folder, for the sweep test: munged + slurmctld + slurmd from
Debian's packages (scripts/ensure-slurm.sh installs them; CI runs it), all state, sockets and logs under the
folder, started as the current (root) user, stopped by pid at the end. Starts in a few seconds."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "sinfo")


def available() -> bool:
    return all(shutil.which(b) for b in BINARIES) and os.geteuid() == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("", 0))
        return probe.getsockname()[1]


def _conf(root: Path, host: str) -> str:
    return f"""ClusterName=rlvrtest
SlurmctldHost={host}
AuthType=auth/munge
AuthInfo=socket={root}/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
NodeName={host} CPUs={os.cpu_count() or 1} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


@contextlib.contextmanager
def local_slurm(root: Path, timeout: float = 60.0) -> Iterator[dict[str, str]]:
    """Start the cluster; yields the environment (SLURM_CONF) under which sbatch/squeue talk to it."""
    root = Path(root)
    for sub in ("state", "spool"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o700)  # munged refuses a key or socket in a folder others can write
    key = root / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    host = socket.gethostname().split(".")[0]
    (root / "slurm.conf").write_text(_conf(root, host), encoding="utf-8")
    env = {**os.environ, "SLURM_CONF": str(root / "slurm.conf")}
    munge = [
        "munged", f"--socket={root}/munge.sock", f"--key-file={key}", f"--pid-file={root}/munged.pid",
        f"--log-file={root}/munged.log", f"--seed-file={root}/munge.seed", "--force",
    ]  # fmt: skip
    subprocess.run(munge, check=True, env=env)
    daemons = [
        subprocess.Popen(
            [name, "-D"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # logs: *.log
        )
        for name in ("slurmctld", "slurmd")
    ]
    try:
        _wait_idle(env, timeout, root)
        yield env
    finally:  # cancel what is left (this private cluster's jobs only), then stop the daemons
        subprocess.run(["scancel", "--full", "--user", str(os.geteuid())], env=env, capture_output=True)
        time.sleep(2)
        for daemon in daemons:
            daemon.send_signal(signal.SIGTERM)
        for daemon in daemons:
            try:
                daemon.wait(timeout=15)
            except subprocess.TimeoutExpired:
                daemon.kill()
        with contextlib.suppress(OSError, ValueError):
            os.kill(int((root / "munged.pid").read_text().strip()), signal.SIGTERM)


def _wait_idle(env: dict[str, str], timeout: float, root: Path) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = subprocess.run(["sinfo", "-h", "-o", "%T"], env=env, capture_output=True, text=True)
        if state.returncode == 0 and "idle" in state.stdout:
            return
        time.sleep(0.5)
    logs = "".join(
        (root / n).read_text()[-1500:] for n in ("slurmctld.log", "slurmd.log") if (root / n).exists()
    )
    raise RuntimeError(f"local SLURM did not come up in {timeout} s:\n{logs}")


def wait_for_jobs(env: dict[str, str], timeout: float) -> None:
    """Until the queue is empty (every submitted array task ended)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        queue = subprocess.run(["squeue", "-h"], env=env, capture_output=True, text=True)
        if queue.returncode == 0 and not queue.stdout.strip():
            return
        time.sleep(1)
    raise TimeoutError(f"SLURM jobs still queued after {timeout} s")
