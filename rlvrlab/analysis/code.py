"""Code-reasoning detection.

`uses_code` is the paper's rule: the response mentions "python" anywhere (case-insensitive). It is what
every reported code rate uses. `uses_code_strict` is a stricter detector reported beside it: a fenced
```python block, or at least `min_lines` consecutive lines that look like Python statements (so prose
that merely says "python" does not count, and unfenced code does).
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"```(?:python|py)\s*\n", re.IGNORECASE)
_CODE_LINE = re.compile(
    r"^\s*(?:"
    r"(?:def|class|for|while|if|elif|else|return|import|from|print|try|except|with)\b"
    r"|[A-Za-z_][A-Za-z_0-9]*(?:\s*,\s*[A-Za-z_][A-Za-z_0-9]*)*\s*[-+*/]?=(?!=)"
    r"|[A-Za-z_][A-Za-z_0-9.]*\(.*\)\s*$"
    r")"
)


def uses_code(text: str) -> bool:
    """The paper's code-reasoning rule: "python" appears anywhere, case-insensitive."""
    return "python" in text.lower()


def uses_code_strict(text: str, min_lines: int = 3) -> bool:
    """A fenced python block, or >= `min_lines` consecutive code-like lines (assignments, calls, def...)."""
    if _FENCE.search(text):
        return True
    run = 0
    for line in text.splitlines():
        if _CODE_LINE.match(line):
            run += 1
            if run >= min_lines:
                return True
        elif line.strip():
            run = 0
    return False
