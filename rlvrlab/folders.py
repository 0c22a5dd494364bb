"""What kind of output folder is this, and may a command write into it? (one check for every command)

Every command that writes a folder calls `check_out(out, kind, inputs=...)` before doing anything, so it
never overwrites its own input or a folder holding another kind of output (`rlvr train --out EVAL_DIR`,
`rlvr sim pretrain --out RUN_DIR`, `rlvr eval --from-generations F --out E` with F inside E, ...).
Whether the same kind may be continued (`--resume`), replaced (a report) or refused is the command's
own rule; it knows `folder_kind(out)`.

Kinds are recognised by the files the commands write (nothing else is trusted):
- run: config.yaml or metrics.jsonl (`rlvr train`); eval: samples.jsonl, summary.json, or an eval
  config.json (`rlvr eval`); comparison: compare.json (`rlvr eval --compare --out`); labels:
  answers.jsonl, stats.json or a labelling config.json (`rlvr label`); report: index.html / index.md
  (`rlvr report`); demo: plan.json / FINDINGS.md (`rlvr demo`); model: a transformers config.json
  (`rlvr sim pretrain`, RUN/final, any model folder).
A folder with none of these (missing, empty, or other files) has no kind and may be written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

FolderKind = Literal["run", "eval", "comparison", "labels", "report", "demo", "model"]

# (kind, marker files); the first kind with a marker present wins (a run folder may hold final/, eval/)
MARKERS: tuple[tuple[FolderKind, tuple[str, ...]], ...] = (
    ("demo", ("plan.json", "FINDINGS.md")),
    ("run", ("config.yaml", "metrics.jsonl")),
    ("eval", ("samples.jsonl", "summary.json")),
    ("comparison", ("compare.json",)),
    ("labels", ("answers.jsonl", "stats.json")),
    ("report", ("index.html", "index.md")),
)
DESCRIBE: dict[str, str] = {
    "run": "a training run",
    "eval": "an eval",
    "comparison": "an eval comparison",
    "labels": "a labelling run",
    "report": "a report",
    "demo": "a demo output",
    "model": "a model",
}


def _config_json_kind(path: Path) -> FolderKind | None:
    """config.json is written by three commands: tell them apart by their keys."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    if "model_type" in data or "architectures" in data:
        return "model"
    if "protocols" in data or "benchmarks" in data:
        return "eval"
    if "label_mode" in data:
        return "labels"
    return None


def folder_kind(path: str | Path) -> FolderKind | None:
    """The kind of output `path` holds, or None (missing, empty, or nothing this project writes)."""
    path = Path(path)
    if not path.is_dir():
        return None
    for kind, names in MARKERS:
        if any((path / name).exists() for name in names):
            return kind
    if (path / "config.json").is_file():
        return _config_json_kind(path / "config.json")
    return None


def _is_within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def check_out(out: str | Path, kind: FolderKind, *, inputs: Iterable[str | Path | None] = ()) -> None:
    """Refuse (ValueError naming the fix) an `out` folder that is a file, is or contains one of the
    command's `inputs` (existing paths only: names like `math500` are not files), or holds another kind
    of output. Writes nothing."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file, not a folder: choose a folder for --out")
    target = out.resolve()
    for given in inputs:
        if given is None or not str(given) or not Path(given).exists():
            continue
        if _is_within(Path(given).resolve(), target):
            raise ValueError(
                f"--out {out} would overwrite this command's input {given}: choose another --out"
            )
    found = folder_kind(out)
    if found is not None and found != kind:
        raise ValueError(
            f"--out {out} already holds {DESCRIBE[found]}, not {DESCRIBE[kind]}: choose another --out"
        )
