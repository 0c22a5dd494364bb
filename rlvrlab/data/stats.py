"""Summary statistics of a problem set (what `rlvr data stats` prints)."""

from __future__ import annotations

import re
from collections import Counter

from rlvrlab.data.load import Problem

_INT = re.compile(r"^-?\d+$")
_DECIMAL = re.compile(r"^-?\d*\.\d+$")
_FRACTION = re.compile(r"^-?(\\[dt]?frac\{-?\d+\}\{\d+\}|\d+/\d+)$")


def answer_type(answer: str | None) -> str:
    """Coarse answer kind: integer, decimal, fraction, tuple/interval, text, expression or missing."""
    if answer is None or not answer.strip():
        return "missing"
    a = answer.strip().replace(" ", "").strip("$")
    if _INT.match(a):
        return "integer"
    if _DECIMAL.match(a):
        return "decimal"
    if _FRACTION.match(a):
        return "fraction"
    if a.startswith(("(", "[", "\\left(", "\\left[")) and "," in a:
        return "tuple/interval"
    if a.startswith("\\text"):
        return "text"
    return "expression"


def answer_stats(problems: list[Problem]) -> dict:
    """Counts by source and by answer type, most common first."""
    return {
        "rows": len(problems),
        "sources": dict(Counter(p.source for p in problems).most_common()),
        "answer_types": dict(Counter(answer_type(p.answer) for p in problems).most_common()),
    }
