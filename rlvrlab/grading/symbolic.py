"""The slow comparisons, run only inside the killable worker (see worker.py).

Everything here may hang (sympy simplify, huge powers); the parent enforces the time limit.
`paper_sympy_equal` is the paper grader's sympy step; `robust_equal` is Math-Verify minus its
rounding false positives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import sympy
from sympy.parsing.sympy_parser import (
    implicit_multiplication_application,
    parse_expr,
    standard_transformations,
)

from rlvrlab.grading.numeric import decimal_rounds

logger = logging.getLogger(__name__)

NUMERIC_REL_TOL_ROBUST = 1e-12  # robust mode: only rounding noise of a 60-digit evaluation
_HIGH_PRECISION_DIGITS = 60
# The paper's parser settings: sympy's standard transformations plus implicit multiplication ("2x").
_PAPER_TRANSFORMATIONS = (*standard_transformations, implicit_multiplication_application)


def _try(check: Callable[[], Any]) -> bool:
    try:
        return bool(check())
    except MemoryError:
        raise  # the worker reports it: a "memory limit" verdict and a fresh worker
    except Exception:
        return False


def paper_sympy_equal(gold: str, pred: str) -> bool:
    """The paper's `are_equal_under_sympy` on two PRM800K-normalised elements (see paper.py).

    `parse_expr` evaluates Python syntax: as in the paper, it only sees text that passed the paper's
    guard (at most 2 distinct letters, no risky powers), and here it runs in the killable worker.
    """
    expr = f"({gold})-({pred})".replace("^", "**")
    return _try(lambda: sympy.simplify(parse_expr(expr, transformations=_PAPER_TRANSFORMATIONS)) == 0)


def _math_verify_parse(text: str) -> list:
    from math_verify import parse

    return parse(f"${text}$", parsing_timeout=None)  # the worker's kill is the time limit


def _is_plain_number(value: Any) -> bool:
    return isinstance(value, sympy.Expr) and not value.free_symbols and value.is_number


def _numbers_really_equal(gold: sympy.Expr, pred: sympy.Expr, gold_text: str, pred_text: str) -> bool:
    """Exact check of two closed-form numbers at 60 digits (Math-Verify rounds to 6 decimals), or one
    written as a decimal that rounds the other (`numeric.decimal_rounds`: "1.41421356" is sqrt(2))."""
    g = sympy.N(gold, _HIGH_PRECISION_DIGITS)
    p = sympy.N(pred, _HIGH_PRECISION_DIGITS)
    scale = max(abs(g), abs(p))
    if scale == 0 or abs(g - p) <= NUMERIC_REL_TOL_ROBUST * scale:
        return True
    if not (g.is_real and p.is_real):
        return False
    g_value, p_value = Fraction(str(g)), Fraction(str(p))
    return decimal_rounds(pred_text, g_value) or decimal_rounds(gold_text, p_value)


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
        if _is_plain_number(g) and _is_plain_number(p) and not _numbers_really_equal(g, p, gold, pred):
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


_WARM_UP_PAPER_PAIRS = (("x^2+2x+1", "(x+1)^2"), ("3sqrt(2)/4", "1.06"), ("pi/2", "2pi"))


def warm_up() -> None:
    """Exercise latex2sympy, simplify, equals and evalf once (see `_WARM_UP_PAIRS`)."""
    for pred, gold in _WARM_UP_PAIRS:
        _try(lambda pred=pred, gold=gold: robust_equal(gold, pred))
    for gold, pred in _WARM_UP_PAPER_PAIRS:
        paper_sympy_equal(gold, pred)


WORKER_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "paper_sympy_equal": paper_sympy_equal,
    "robust_equal": robust_equal,
}
