"""`rlvr runs [DIR]`: every run, eval, label and mechanism folder under DIR, its state and key numbers.

What kind a folder is, from the files each command writes (a small local rule; the out-dir safety checks
of the commands have their own):
  run        config.yaml + metrics.jsonl (or checkpoints/)     `rlvr train`
  eval       samples.jsonl or summary.json                      `rlvr eval`
  labels     answers.jsonl or stats.json + config.json          `rlvr label`
  mechanism  mechanism.json                                     `rlvr sim mechanism`
Status: finished (run: final/ saved; eval: every configured benchmark summarised; labels: stats.json
covers every sampled problem), failed (a run whose train.log ends with the error it stopped on), else
resumable (`--resume` continues it). Folders inside checkpoints/ and final/ are not searched.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from rlvrlab.analysis.cells import model_name

SKIP_DIRS = {"checkpoints", "final", ".git", ".venv", "__pycache__", "node_modules"}


@dataclass
class Entry:
    kind: str
    path: Path
    model: str
    what: str  # reward (runs), benchmarks (evals), data (labels), arms (mechanism)
    done: str  # steps / samples / problems done
    status: str
    numbers: str


def folder_kind(path: Path) -> str | None:
    """run | eval | labels | mechanism | None, from the files in `path`."""
    has = {
        name
        for name in (
            "config.yaml",
            "metrics.jsonl",
            "checkpoints",
            "samples.jsonl",
            "summary.json",
            "answers.jsonl",
            "stats.json",
            "config.json",
            "mechanism.json",
        )
        if (path / name).exists()
    }
    if "config.yaml" in has and has & {"metrics.jsonl", "checkpoints"}:
        return "run"
    if has & {"samples.jsonl", "summary.json"}:
        return "eval"
    if "answers.jsonl" in has or {"stats.json", "config.json"} <= has:
        return "labels"
    return "mechanism" if "mechanism.json" in has else None


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _last_line(path: Path) -> dict[str, Any]:
    """The last complete JSON line of a JSONL file (reads only its tail)."""
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - 65536))
        lines = handle.read().decode("utf-8", errors="replace").splitlines()
    for line in reversed(lines):
        try:
            row = json.loads(line)
            return row if isinstance(row, dict) else {}
        except ValueError:
            continue
    return {}


def _pct(value: Any) -> str:
    return f"{100 * value:.1f}%" if isinstance(value, int | float) else "-"


def _run(path: Path) -> Entry:
    from rlvrlab.train.run import FAILED_MARK, LOG_FILE

    try:
        config = yaml.safe_load((path / "config.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        config = {}
    last = _last_line(path / "metrics.jsonl")
    log = path / LOG_FILE
    tail = log.read_bytes()[-4096:].decode("utf-8", errors="replace") if log.is_file() else ""
    failed = FAILED_MARK in tail.strip().splitlines()[-1] if tail.strip() else False
    status = "finished" if (path / "final" / "config.json").is_file() else "failed" if failed else "resumable"
    clip = (last.get("clip/low_fraction") or 0) + (last.get("clip/high_fraction") or 0)
    numbers = (
        f"reward {last['reward/total/mean']:.3f}, acc {_pct(last.get('train/accuracy'))}, "
        f"code {_pct(last.get('train/code_rate'))}, clip {100 * clip:.2f}%"
        if isinstance(last.get("reward/total/mean"), int | float)
        else "-"
    )
    reward = str(config.get("reward", "?")) + ("" if config.get("clip", "on") == "on" else " (clip off)")
    return Entry(
        "run",
        path,
        model_name(config.get("model")),
        reward,
        f"{last.get('step', 0)}/{config.get('max_steps', '?')} steps",
        status,
        numbers,
    )


def _eval(path: Path) -> Entry:
    config = _json(path / "config.json") or {}
    summary = _json(path / "summary.json") or {}
    planned = list(config.get("benchmarks") or [])
    done = summary.get("benchmarks") or {}
    finished = bool(done) and all(b in done for b in planned)
    samples = sum(1 for _ in (path / "samples.jsonl").open("rb")) if (path / "samples.jsonl").is_file() else 0
    numbers = "; ".join(
        f"{b} acc {_pct(m.get('accuracy'))} code {_pct(m.get('code_rate'))}" for b, m in done.items()
    )
    return Entry(
        "eval",
        path,
        model_name(config.get("model") or summary.get("model")),
        ",".join(planned or done) or "-",
        f"{samples} samples",
        "finished" if finished else "resumable",
        numbers or "-",
    )


def _labels(path: Path) -> Entry:
    config = _json(path / "config.json") or {}
    stats = _json(path / "stats.json") or {}
    sampled = sum(1 for _ in (path / "answers.jsonl").open("rb")) if (path / "answers.jsonl").is_file() else 0
    finished = bool(stats) and stats.get("n_problems", -1) >= sampled
    accuracy, wrong = _pct(stats.get("label_accuracy")), stats.get("n_incorrect_set", "-")
    numbers = f"label accuracy {accuracy}, {wrong} in incorrect set"
    return Entry(
        "labels",
        path,
        model_name(config.get("model")),
        str(config.get("data", "-")),
        f"{sampled} problems",
        "finished" if finished else "resumable",
        numbers if stats else "-",
    )


def _mechanism(path: Path) -> Entry:
    arms = _json(path / "mechanism.json")
    names = [a.get("arm", "?") for a in arms if isinstance(a, dict)] if isinstance(arms, list) else []
    status = "finished" if names else "failed"
    return Entry("mechanism", path, "-", ", ".join(map(str, names)) or "-", f"{len(names)} arms", status, "-")


READERS = {"run": _run, "eval": _eval, "labels": _labels, "mechanism": _mechanism}


def list_folders(root: Path, max_depth: int = 6) -> list[Entry]:
    """Every run / eval / labels / mechanism folder under `root` (itself included), sorted by path."""
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{root}: not a directory")
    entries = []
    for current, dirs, _files in os.walk(root):
        here = Path(current)
        depth = len(here.relative_to(root).parts)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and depth < max_depth)
        kind = folder_kind(here)
        if kind is not None:
            entries.append(READERS[kind](here))
    return sorted(entries, key=lambda e: str(e.path))


def runs_table(root: Path) -> Any:
    from rich.markup import escape
    from rich.table import Table

    entries = list_folders(root)
    table = Table(title=escape(f"{root}: {len(entries)} folders"))
    for header in ("kind", "folder", "model", "reward / benchmarks / data", "done", "status", "key numbers"):
        table.add_column(header, overflow="fold")
    colours = {"finished": "green", "resumable": "yellow", "failed": "red"}
    for e in entries:
        folder = "." if e.path == Path(root) else str(e.path.relative_to(root))
        status = f"[{colours[e.status]}]{e.status}[/]"
        table.add_row(
            e.kind, *(escape(x) for x in (folder, e.model, e.what, e.done)), status, escape(e.numbers)
        )
    return table
