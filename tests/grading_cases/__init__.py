"""Case tables for robust grading: (gold, pred, expected) rows, one module per kind of answer.

Built from reading how graders differ (Math-Verify 0.9.0, the paper's grader, Qwen's `math_equal`,
the Hendrycks/PRM800K normalisations) on answer forms that models and gold files really use; no row
is copied from another grader's test suite. Each module has `CASES` and `SETTINGS`:
- "boxed": the grader sees the response `\\boxed{pred}`;
- "full_text": the grader sees `pred` as the whole response (extraction included).
A row's `why` says, wherever robust mode and Math-Verify 0.9.0 disagree on it, which one is right and
why (tests/test_grading_cases.py checks that it is filled in). In the tables of answers (all but
extraction) a full-text disagreement where robust mode is right may instead be explained by the
module's `FULL_TEXT_WHY` (`BARE_ANSWER_WHY`): the whole response is a bare answer, which robust mode
reads whole while Math-Verify reads LaTeX only inside `$...$` and otherwise takes a plain number. `robust_miss` marks a row robust mode
still gets wrong (in the settings named), with the reason: the test expects the miss, so a fix or a
new miss both show up. benchmarks/grading.py reports the agreement of both graders with `expected`.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

BARE_ANSWER_WHY = (
    "robust: the response is a bare answer, read whole; Math-Verify reads LaTeX only between $...$ and"
    " otherwise extracts a plain number or expression from the text (or nothing)"
)
KINDS = ("extraction", "numbers", "expressions", "relations", "structures", "unicode_text", "text_units")


@dataclass(frozen=True)
class Case:
    """One row: is `pred` (an answer, or a whole response in the full-text setting) equal to `gold`?"""

    gold: str
    pred: str
    expected: bool
    why: str = ""
    robust_miss: tuple[str, ...] = ()  # settings in which robust mode is known to get this row wrong


def response(case: Case, setting: str) -> str:
    """What the grader sees in `setting`: the boxed prediction or the full text."""
    return "\\boxed{" + case.pred + "}" if setting == "boxed" else case.pred


@dataclass(frozen=True)
class Table:
    """One module's rows, the settings they are graded in, and its shared full-text explanation."""

    kind: str
    settings: tuple[str, ...]
    cases: list[Case]
    full_text_why: str = ""

    def explained(self, case: Case, setting: str, robust_right: bool) -> bool:
        """Does the table say why robust mode and Math-Verify disagree on `case` in `setting`?"""
        return bool(case.why) or (setting == "full_text" and robust_right and bool(self.full_text_why))


def tables(kinds: tuple[str, ...] = KINDS) -> list[Table]:
    """The tables of `kinds`, in order."""
    found = []
    for kind in kinds:
        module = import_module(f"tests.grading_cases.{kind}")
        found.append(Table(kind, module.SETTINGS, module.CASES, getattr(module, "FULL_TEXT_WHY", "")))
    return found


def math_verify_verdict(gold: str, text: str) -> bool:
    """Math-Verify 0.9.0 used directly, as benchmarks/grading.py does: parse("$gold$") vs parse(text)."""
    from math_verify import parse, verify

    try:
        return bool(verify(parse(f"${gold}$"), parse(text)))
    except Exception:  # its own timeouts and errors count as "not equivalent"
        return False


TABLE_TIMEOUT_S = 30.0  # per comparison: a table row's verdict must not depend on how busy the machine is


def robust_verdict(gold: str, text: str) -> bool:
    """rlvrlab's robust mode on the same input (its own extraction)."""
    from rlvrlab.grading import grade

    return grade(text, gold, mode="robust", timeout=TABLE_TIMEOUT_S).correct
