"""The one definition of every per-response metric the project reports: the bottom layer (numpy only).

summary.json (`rlvrlab.evaluate.metrics.summarize`), `rlvr analyze` and the report
(`rlvrlab.analysis.evals`), `rlvr sim info`, the demo's FINDINGS.md (it reads summary.json), the format
reward and the trainer's `train/code_rate` all call these functions; tests/test_metrics.py checks that
they agree on one eval.

Definitions, stated once:
- **uses code** (`uses_code`): the paper's rule, "python" anywhere in the response, case-insensitive.
  `uses_code_strict` is a stricter detector reported beside it: a fenced ```python block, or at least
  `min_lines` consecutive lines that look like Python statements (blank lines in between allowed).
- **has a boxed answer** (`has_boxed_answer`): the paper's format reward condition: the LAST `\\boxed{`
  opens a brace-matched (closed) body that is non-empty after stripping whitespace. `\\fbox{3}`, an
  unclosed `\\boxed{3` and an empty `\\boxed{ }` do not count. (Answer *extraction* is more lenient,
  as the paper's extractor is: `rlvrlab.grading.last_boxed_content` also reads `\\fbox` and unclosed
  boxes. The format rate is about the format the reward pays for, so it uses the strict form.)
- **accuracy** (avg@k, `problem_accuracy`): the mean over problems of each problem's fraction of correct
  samples (the paper's avg@8; the sample mean when every problem has the same number of samples).
- **code rate** / **boxed rate** (= **format rate**: the format reward's mean): fractions of samples.
- **accuracy with code / without code**: pooled over samples, i.e. P(correct | the sample uses code)
  = correct code samples / code samples. Why pooled and not the mean over problems of each problem's
  code-sample accuracy: the code rate is a fraction of samples, and only the pooled definition makes
  the three numbers consistent, accuracy = code_rate x acc_with + (1 - code_rate) x acc_without
  (avg@k equals the sample mean when every problem has k samples); it is also what the paper's
  "60.9% with code" means (a fraction of responses). A problem with one code sample out of 8 then weighs
  1/8 as much as one with 8 code samples, which is the point: it is a statement about code responses.
  With one sample per problem (MATH-500 greedy) both definitions agree. Intervals resample problems
  (the sampled unit) and recompute the pooled ratio: `rlvrlab.stats.bootstrap_ratio_ci`.
A rate over nothing (no samples, or no code sample) is None, never 0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

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
BOX_OPEN = "\\boxed{"


def _strict_pattern(min_lines: int) -> re.Pattern[str]:
    """`\\n LINE (blank* \\n LINE){min_lines-1}`; callers prepend "\\n" so the first line can match.
    One multiline regex anchored on a literal newline, so the engine scans with a fast literal search."""
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
    """(paper rule, strict rule) as two bool arrays over many responses (the analysis of 100k responses
    spends most of its time here)."""
    paper = np.fromiter((uses_code(t) for t in texts), dtype=bool, count=len(texts))
    pattern = _strict_pattern(min_lines)
    fence = _FENCE.search
    strict = np.fromiter(
        (fence(t) is not None or pattern.search("\n" + t) is not None for t in texts),
        dtype=bool,
        count=len(texts),
    )
    return paper, strict


def has_boxed_answer(text: str) -> bool:
    """The last `\\boxed{` has a closed, brace-matched, non-empty body (the paper's format reward).
    Written with str.find so 100k responses stay fast."""
    start = text.rfind(BOX_OPEN)
    if start < 0:
        return False
    body_start = position = start + len(BOX_OPEN)
    depth = 1
    while depth:
        opening, closing = text.find("{", position), text.find("}", position)
        if closing < 0:
            return False  # unclosed: not the format the reward pays for
        if 0 <= opening < closing:
            depth, position = depth + 1, opening + 1
        else:
            depth, position = depth - 1, closing + 1
    return bool(text[body_start : position - 1].strip())


def rate(flags: Iterable[bool] | np.ndarray) -> float | None:
    """Fraction of True among `flags`; None when there are none (a rate over nothing is not 0)."""
    values = np.fromiter((bool(f) for f in flags), dtype=bool) if not isinstance(flags, np.ndarray) else flags
    return float(values.mean()) if values.size else None


def boxed_rate(texts: Sequence[str]) -> float | None:
    """Fraction of responses with a boxed answer = the format rate (the format reward's mean)."""
    return rate([has_boxed_answer(t) for t in texts])


def accuracy_where(correct: Sequence[bool] | np.ndarray, mask: Sequence[bool] | np.ndarray) -> float | None:
    """Pooled accuracy of the samples selected by `mask` (correct ones / selected ones); None if none."""
    correct, mask = np.asarray(correct, dtype=bool), np.asarray(mask, dtype=bool)
    if correct.shape != mask.shape:
        raise ValueError(f"accuracy_where: {correct.size} verdicts but {mask.size} mask entries")
    selected = int(mask.sum())
    return float((correct & mask).sum() / selected) if selected else None


def accuracy_by_code(
    correct: Sequence[bool] | np.ndarray, code: Sequence[bool] | np.ndarray
) -> tuple[float | None, float | None]:
    """(accuracy with code, accuracy without code), each pooled over samples (see the module docstring)."""
    code = np.asarray(code, dtype=bool)
    return accuracy_where(correct, code), accuracy_where(correct, ~code)


def problem_accuracy(
    problem_ids: Sequence[str] | np.ndarray,
    correct: Sequence[bool] | np.ndarray,
    grouped: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(sorted unique problem ids, each problem's fraction of correct samples). `grouped` is
    `np.unique(problem_ids, return_inverse=True)` when the caller has it already (100k ids: ~0.2 s)."""
    ids, inverse = grouped or np.unique(np.asarray(problem_ids, dtype=str), return_inverse=True)
    counts = np.bincount(inverse, minlength=ids.size)
    hits = np.bincount(inverse, weights=np.asarray(correct, dtype=float), minlength=ids.size)
    return ids, hits / np.maximum(counts, 1)


def accuracy(problem_ids: Sequence[str] | np.ndarray, correct: Sequence[bool] | np.ndarray) -> float | None:
    """avg@k: the mean over problems of each problem's fraction of correct samples (None: no samples)."""
    _, values = problem_accuracy(problem_ids, correct)
    return float(values.mean()) if values.size else None
