"""Grading a JSONL file of responses (the library side of `rlvr grade`).

Input rows need `response` (a string) and `answer` (a string or a finite number; JSON null, lists,
objects and true/false are refused with the file and line). Output rows are the input rows with
`extracted` (string or null), `correct` (a JSON boolean, replacing any `correct` the row had) and
`reason`. The output is written to a temporary file next to it and moved into place at the end, so
a failure (bad row, interrupt) leaves an existing output file as it was, and an output path that is
the input file itself is refused before anything is read or written.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlvrlab.grading.extract import ExtractMode
from rlvrlab.grading.forms import ROBUST_FORMS, AnswerForm
from rlvrlab.grading.verify import GradingMode, grade


@dataclass(frozen=True)
class GradeSummary:
    """Counts for one graded file."""

    rows: int
    correct: int
    timeouts: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.rows if self.rows else 0.0


def check_timeout(timeout: float) -> None:
    """A per-comparison time limit must be a positive finite number of seconds."""
    if not (isinstance(timeout, int | float) and math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")


def _gold_text(value: Any, where: str) -> str:
    """The gold answer as text: a string, or an int/float written as JSON writes it."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return json.dumps(value)
    raise ValueError(f"{where}: field 'answer' must be a string or a number, got {json.dumps(value)[:80]}")


def _parse_row(raw: bytes, where: str) -> dict[str, Any] | None:
    """The row on one line (None for a blank line); ValueError naming `where` for anything malformed."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{where}: not UTF-8 text (byte 0x{raw[error.start]:02x} at column {error.start + 1})"
        ) from None
    if not line.strip():
        return None
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"{where}: not valid JSON ({error.msg})") from None
    if not isinstance(row, dict):
        raise ValueError(f"{where}: expected a JSON object with 'response' and 'answer'")
    missing = [key for key in ("response", "answer") if key not in row]
    if missing:
        raise ValueError(f"{where}: missing field(s) {missing}")
    if not isinstance(row["response"], str):
        raise ValueError(
            f"{where}: field 'response' must be a string, got {json.dumps(row['response'])[:80]}"
        )
    return row


def _check_paths(input_path: Path, output_path: Path) -> None:
    if not input_path.is_file():
        raise ValueError(f"input file not found: {input_path}")
    if output_path.exists() and (output_path.is_dir() or output_path.samefile(input_path)):
        what = "is a folder" if output_path.is_dir() else "is the input file (it would be overwritten)"
        raise ValueError(f"--out {output_path} {what}; choose another output file")
    if output_path.parent.exists() and not output_path.parent.is_dir():
        raise ValueError(f"--out {output_path}: {output_path.parent} is not a folder")


def grade_jsonl(
    input_path: Path,
    output_path: Path,
    mode: GradingMode = "paper",
    extract_mode: ExtractMode | None = None,
    timeout: float = 5.0,
    forms: tuple[AnswerForm, ...] = ROBUST_FORMS,
) -> GradeSummary:
    """Read rows with `response` and `answer`; write them with `extracted`, `correct`, `reason`.

    `extract_mode` None is the grading mode's own extractor. Raises ValueError naming the file and
    line for malformed rows, and for an output path that is the input or not a writable file path.
    """
    check_timeout(timeout)
    _check_paths(input_path, output_path)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    rows = correct = timeouts = 0
    handle, temporary = tempfile.mkstemp(prefix=f".{output_path.name}.", dir=output_path.parent)
    try:
        with input_path.open("rb") as source, os.fdopen(handle, "w", encoding="utf-8") as sink:
            for line_number, raw in enumerate(source, start=1):
                where = f"{input_path}:{line_number}"
                row = _parse_row(raw, where)
                if row is None:
                    continue
                gold = _gold_text(row["answer"], where)
                result = grade(row["response"], gold, mode, extract_mode, timeout, forms)
                row.update(extracted=result.extracted, correct=bool(result.correct), reason=result.reason)
                sink.write(json.dumps(row, ensure_ascii=False) + "\n")
                rows, correct, timeouts = rows + 1, correct + result.correct, timeouts + result.timed_out
        os.replace(temporary, output_path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return GradeSummary(rows, correct, timeouts)
