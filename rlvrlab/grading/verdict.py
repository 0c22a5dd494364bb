"""The result types of grading: a `Verdict` (gold vs answer) and a `Grade` (gold vs response)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """Whether `pred` is equivalent to `gold`, and why (e.g. "string match", "timeout: ...")."""

    correct: bool
    reason: str

    @property
    def timed_out(self) -> bool:
        return self.reason.startswith("timeout")


@dataclass(frozen=True)
class Grade:
    """A graded response: the extracted answer (None if none), the verdict and whether it timed out."""

    extracted: str | None
    correct: bool
    reason: str
    timed_out: bool
