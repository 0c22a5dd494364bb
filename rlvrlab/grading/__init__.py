"""Answer extraction and grading: `extract_answer`, `verify`, `grade`, `normalize_answer`.

Two grading modes: `paper` reproduces the grader the paper's code ran (the Qwen2.5-Math extractor, then
TTRL's `grade_answer`: Hendrycks/PRM800K normalisation, pylatexenc, sympy), quirks included; `robust`
finds the answer in responses that need not use `\\boxed{}` (forms.py: answer tags, boxes, "answer"
anchors, a final math environment, a bare answer, the last number; `forms=` picks which to trust) and
builds on Math-Verify without its rounding false positives (robust.py, unicode_math.py).
Slow comparisons run in a killable worker process with a hard time limit per comparison and an
address-space limit (worker.py); answers over `MAX_ANSWER_CHARS` are never normalised (verify.py).
"""

from rlvrlab.grading.extract import ExtractMode, extract_answer, last_boxed_content
from rlvrlab.grading.forms import ROBUST_FORMS, AnswerForm
from rlvrlab.grading.normalize import normalize_answer
from rlvrlab.grading.verify import (
    DEFAULT_CACHE,
    GRADING_MODES,
    Grade,
    GradingMode,
    Verdict,
    VerdictCache,
    grade,
    verify,
)

__all__ = [
    "DEFAULT_CACHE",
    "ROBUST_FORMS",
    "AnswerForm",
    "GRADING_MODES",
    "ExtractMode",
    "Grade",
    "GradingMode",
    "Verdict",
    "VerdictCache",
    "extract_answer",
    "grade",
    "last_boxed_content",
    "normalize_answer",
    "verify",
]
