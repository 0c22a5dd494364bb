"""Code-reasoning detection.

`uses_code` is the paper's rule: the response mentions "python" anywhere (case-insensitive). It is what
every reported code rate uses, so numbers compare with the paper's. `uses_code_strict` is a stricter
detector reported beside it: a fenced ```python block, or at least `min_lines` consecutive lines that
look like Python statements (blank lines in between allowed; prose that merely says "python" does not
count, unfenced code does). Lines are split on "\\n" only.

The strict rule is one multiline regex anchored on a literal newline, so the regex engine scans with a
fast literal search instead of trying every position; `code_flags` runs both detectors over many
responses (the analysis of 100k responses spends most of its time here).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_FENCE = re.compile(r"```(?:python|py)\s*\n", re.IGNORECASE)
# One code-like line, without its leading "\n": a keyword statement, an assignment (a, b = / x += ...),
# or a whole-line call like `print(x)` / `math.sqrt(2)`.
_CODE_LINE = (
    r"[^\S\n]*(?:"
    r"(?:def|class|for|while|if|elif|else|return|import|from|print|try|except|with)\b"
    r"|[A-Za-z_][A-Za-z_0-9]*(?:[^\S\n]*,[^\S\n]*[A-Za-z_][A-Za-z_0-9]*)*[^\S\n]*[-+*/]?=(?!=)"
    r"|[A-Za-z_][A-Za-z_0-9.]*\([^\n]*\)[^\S\n]*(?=\n|\Z)"
    r")[^\n]*"
)
_BLANK_LINES = r"(?:\n[^\S\n]*(?=\n))*"
_strict_cache: dict[int, re.Pattern[str]] = {}


def _strict_pattern(min_lines: int) -> re.Pattern[str]:
    """`\\n LINE (blank* \\n LINE){min_lines-1}`; callers prepend "\\n" so the first line can match."""
    if min_lines < 1:
        raise ValueError(f"uses_code_strict: min_lines must be >= 1, got {min_lines}")
    if min_lines not in _strict_cache:
        _strict_cache[min_lines] = re.compile(
            rf"\n{_CODE_LINE}(?:{_BLANK_LINES}\n{_CODE_LINE}){{{min_lines - 1}}}"
        )
    return _strict_cache[min_lines]


def uses_code(text: str) -> bool:
    """The paper's code-reasoning rule: "python" appears anywhere, case-insensitive."""
    return "python" in text.lower()


def uses_code_strict(text: str, min_lines: int = 3) -> bool:
    """A fenced python block, or >= `min_lines` consecutive code-like lines (assignments, calls, def...)."""
    if _FENCE.search(text):
        return True
    return _strict_pattern(min_lines).search("\n" + text) is not None


def code_flags(texts: Sequence[str], min_lines: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """(paper rule, strict rule) as two bool arrays over many responses."""
    paper = np.fromiter(("python" in t.lower() for t in texts), dtype=bool, count=len(texts))
    pattern = _strict_pattern(min_lines)
    fence = _FENCE.search
    strict = np.fromiter(
        (fence(t) is not None or pattern.search("\n" + t) is not None for t in texts),
        dtype=bool,
        count=len(texts),
    )
    return paper, strict
