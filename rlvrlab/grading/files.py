"""Grading a JSONL file of responses (the library side of `rlvr grade`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rlvrlab.grading.extract import ExtractMode
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


def grade_jsonl(
    input_path: Path,
    output_path: Path,
    mode: GradingMode = "paper",
    extract_mode: ExtractMode = "paper",
    timeout: float = 5.0,
) -> GradeSummary:
    """Read rows with `response` and `answer`; write them back with `extracted`, `correct`, `reason`.

    Raises ValueError naming the file and line for malformed rows.
    """
    rows = correct = timeouts = 0
    with input_path.open(encoding="utf-8") as source, output_path.open("w", encoding="utf-8") as sink:
        for line_number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{input_path}:{line_number}: not valid JSON ({error.msg})") from None
            missing = [k for k in ("response", "answer") if not isinstance(row, dict) or k not in row]
            if missing:
                raise ValueError(f"{input_path}:{line_number}: missing field(s) {missing}")
            result = grade(str(row["response"]), str(row["answer"]), mode, extract_mode, timeout)
            row.update(extracted=result.extracted, correct=result.correct, reason=result.reason)
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
            rows, correct, timeouts = rows + 1, correct + result.correct, timeouts + result.timed_out
    return GradeSummary(rows, correct, timeouts)
