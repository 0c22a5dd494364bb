"""The slow comparisons, run only inside the killable worker (see worker.py).

Everything here may hang (sympy simplify, huge powers); the parent enforces the time limit.
Departures from the paper's grader, on purpose:
- LaTeX is parsed with latex2sympy2_extended only. The paper's grader first tried sympy's
  `parse_latex` (needs antlr4 4.11, which conflicts with the version math-verify needs) and
  `parse_expr` (which `eval`s model output; rewards never execute model output).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import sympy
from latex2sympy2_extended import latex2sympy

logger = logging.getLogger(__name__)

NUMERIC_REL_TOL_PAPER = 1e-4  # the paper's `numeric_equal` tolerance
NUMERIC_REL_TOL_ROBUST = 1e-12  # robust mode: only rounding noise of a 60-digit evaluation
_HIGH_PRECISION_DIGITS = 60


def _split_top_level_commas(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    return [*parts, "".join(current)]


def _paper_parse(text: str) -> Any:
    """latex2sympy of the text (with '\\\\' collapsed first, as the paper tries); the text if both fail.

    A top-level comma list becomes an ordered Tuple: the paper's parser (sympy `parse_expr`) read
    "1,-2" as a tuple, so "-2,1" is a different answer; latex2sympy alone would build a set.
    """
    parts = _split_top_level_commas(text)
    if len(parts) > 1:
        parsed = [_paper_parse(part) for part in parts]
        return sympy.Tuple(*parsed) if all(isinstance(p, sympy.Basic) for p in parsed) else text
    for candidate in (text.replace("\\\\", "\\"), text):
        try:
            return latex2sympy(candidate)
        except Exception:
            continue
    return text


def _try(check: Callable[[], Any]) -> bool:
    try:
        return bool(check())
    except Exception:
        return False


def paper_symbolic_equal(pred: str, gold: str) -> bool:
    """The paper's `symbolic_equal`: string/structural, simplify(a-b)==0, equations, numeric, matrices."""
    a, b = _paper_parse(pred), _paper_parse(gold)
    if _try(lambda: str(a) == str(b) or a == b):
        return True
    if _try(lambda: a.equals(b) or sympy.simplify(a - b) == 0):
        return True
    if _try(lambda: abs(a.lhs - a.rhs).equals(abs(b.lhs - b.rhs))):
        return True
    if _try(lambda: math.isclose(float(sympy.N(b)), float(sympy.N(a)), rel_tol=NUMERIC_REL_TOL_PAPER)):
        return True
    return _try(
        lambda: (
            a.shape == b.shape
            and a.applyfunc(lambda x: round(x, 3)).equals(b.applyfunc(lambda x: round(x, 3)))
        )
    )


def _math_verify_parse(text: str) -> list:
    from math_verify import parse

    return parse(f"${text}$", parsing_timeout=None)  # the worker's kill is the time limit


def _is_plain_number(value: Any) -> bool:
    return isinstance(value, sympy.Expr) and not value.free_symbols and value.is_number


def _numbers_really_equal(gold: sympy.Expr, pred: sympy.Expr) -> bool:
    """Exact check of two closed-form numbers at 60 digits (Math-Verify rounds to 6 decimals)."""
    g = sympy.N(gold, _HIGH_PRECISION_DIGITS)
    p = sympy.N(pred, _HIGH_PRECISION_DIGITS)
    scale = max(abs(g), abs(p))
    if scale == 0:
        return True
    return bool(abs(g - p) <= NUMERIC_REL_TOL_ROBUST * scale)


def _equal_for_positive_symbols(gold: Any, pred: Any) -> bool:
    """sqrt(1/n) == 1/sqrt(n) once n > 0: answers' free variables are taken as positive reals."""
    if not (isinstance(gold, sympy.Expr) and isinstance(pred, sympy.Expr)):
        return False
    symbols = gold.free_symbols | pred.free_symbols
    if not symbols:
        return False
    positive = {s: sympy.Symbol(s.name, positive=True) for s in symbols}
    return sympy.simplify(gold.subs(positive) - pred.subs(positive)) == 0


def robust_equal(gold: str, pred: str) -> tuple[bool, str]:
    """Math-Verify's parse+verify on the two answers, minus its rounding false positives."""
    from math_verify import verify

    gold_parsed, pred_parsed = _math_verify_parse(gold), _math_verify_parse(pred)
    if not gold_parsed:
        return False, "gold not parseable"
    if not pred_parsed:
        return False, "pred not parseable"
    g, p = gold_parsed[0], pred_parsed[0]
    if verify(gold_parsed, pred_parsed, timeout_seconds=None):
        if _is_plain_number(g) and _is_plain_number(p) and not _numbers_really_equal(g, p):
            return False, "numerically different at 60 digits (math-verify rounding)"
        return True, "math-verify equivalent"
    if _try(lambda: _equal_for_positive_symbols(g, p)):
        return True, "equal for positive symbols"
    return False, "not equivalent"


# Generic comparisons (none from any benchmark) run once in the zygote before it forks workers:
# sympy initialises much of its machinery lazily on first use (~1 s of CPU for the first
# simplify/equals/evalf/latex2sympy of each kind), and without this every fresh worker paid it
# again, in the middle of a timed comparison. Forks inherit the initialised state.
_WARM_UP_PAIRS = (
    ("x^2+1", "(y+1)^2"),
    ("\\frac{\\sqrt{3}}{7}+\\pi", "0.5"),
    ("[1,5)", "y\\in(0,2]"),
    ("a\\le b", "\\textbf{(C)}"),
    ("7,8", "z-3i"),
    ("2\\frac{1}{3}", "\\begin{pmatrix}1\\\\2\\end{pmatrix}"),
    ("x=2", "y-2x=0"),
    ("\\sin(x)\\cdot q", "w"),
)


def warm_up() -> None:
    """Exercise latex2sympy, simplify, equals and evalf once (see `_WARM_UP_PAIRS`)."""
    for pred, gold in _WARM_UP_PAIRS:
        _try(lambda pred=pred, gold=gold: paper_symbolic_equal(pred, gold))


WORKER_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "paper_symbolic_equal": paper_symbolic_equal,
    "robust_equal": robust_equal,
}
