"""In-process "cannot be equal" rules for clustering with the ROBUST grader, beyond structural shapes.

Why: after hashing by canonical key, clustering's remaining grader calls are mostly pairs of unlike
answers (a polynomial against a number, a tuple against an expression) that the robust grader
settles only in its sympy/Math-Verify worker, ~10-150 ms each (parse + verify + simplify), against
microseconds for a string rule. Each rule below states why Math-Verify cannot call the pair equal
whatever its exact reading of the strings, and tests/test_labels_never_equal.py checks every rule
on real answers against the worker. The rules read light-normalised keys (what the grader sees).

- constant vs variable: a letter-free answer ("2\\frac{2}{5}", "10^{", "\\frac{16\\pi}{9}") can only
  be read as a number (or a set of numbers), or not at all; an expression in letters whose values
  at the probe points differ ("x^8+x+1", "6r^2-4r-24") or a trig function of one letter ("\\cot x")
  is not constant, and neither is "y=2x+3" (Math-Verify compares "y=..." by its right side: "-2x"
  equals "y=-2x"; an equation is no number), so no reading makes the two equal. The letters e, E, i
  and I are excluded (Euler's number and the imaginary unit are constants to latex2sympy).
- scalar vs collection: a number, a tiny-grammar expression (no comma, no bracket list), a choice
  letter, or an equation of such (whichever side Math-Verify compares) is a single value; a tuple, an interval, a union of intervals or a pmatrix/bmatrix is not
  (a closed "[a,a]" is the one point a to Math-Verify, so `cluster._shape` keeps only closed
  intervals whose end points are clearly apart).
- choice letter vs exact number: "\\textbf{(E)}", "(B)", "D" read as a symbol, or at worst as Euler's
  number or the imaginary unit, none of which is a rational number.
- real number vs complex number ("43" vs "6+4\\sqrt{2}+i(-1+2\\sqrt{2})", "106^\\circ" vs "-2+7i"): with
  i the imaginary unit the second is not real; with i a symbol (latex2sympy's reading) not constant.
- bare list vs tuple of 3+ exact numbers ("-1,2" vs "(6,31,-1)"): Math-Verify reads the list as a
  set; with different sets of values the two differ whether compared as sets or in order (a tuple
  of 2 could be an interval, so it is left to the grader).
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

from rlvrlab.grading.numeric import evaluate_number, probe

Key = tuple[str, str]  # a canonical key, as in rlvrlab.labels.cluster

_LETTER_FREE = re.compile(r"(?:[0-9.+\-*/^{}()]|\\(?:frac|sqrt|pi|cdot|times))+")
_TRIG_OF_A_LETTER = re.compile(r"\\(?:sin|cos|tan|cot)(?:[a-dfghj-zA-DF-HJ-Z]|\{[a-dfghj-zA-DF-HJ-Z]\})")
_CONSTANT_LETTERS = frozenset("eEiI")
_CHOICE = re.compile(r"(?:\\text(?:bf)?\{)?\(?[A-Z]\)?\}?")
_COLLECTION_SHAPES = ("collection", "matrix", "union")  # cluster._shape: never a single point
_DEGREES = re.compile(r"\^\{?\\circ\}?$")
_LETTER_EQUATION = re.compile(r"[a-dfghj-zA-DF-HJ-Z]=([^=]+)")


def _is_constant(key: Key) -> bool:
    kind, text = key
    return kind == "num" or (_LETTER_FREE.fullmatch(text) is not None and "," not in text)


@lru_cache(maxsize=65536)
def _is_variable(text: str) -> bool:
    """An expression that is not constant however Math-Verify reads its letters (see module doc)."""
    if _TRIG_OF_A_LETTER.fullmatch(text):
        return True
    equation = _LETTER_EQUATION.fullmatch(text)
    if equation:  # "y=2x+3": Math-Verify compares its right side, and an equation is no number
        return _is_variable(equation.group(1))
    if _CONSTANT_LETTERS.intersection(text) or "\\" in text.replace("\\frac", "").replace("\\sqrt", ""):
        return False  # \\pi, \\cdot etc. are fine for probe, but keep the rule to plain letters
    found = probe(text, shorthand=True)
    return found is not None and found.has_letters and len(set(found.values)) > 1


@lru_cache(maxsize=65536)
def _is_scalar(text: str) -> bool:
    """A single value: the tiny grammar of rlvrlab.grading.numeric (numbers, letters, + - * / ^, \\frac,
    \\sqrt, \\pi, parentheses for grouping) never builds a tuple, set, interval or matrix."""
    if text.count("=") == 1:  # "5x-7y+4=0": an equation of scalars, or either side of it
        return all(_is_scalar(side) for side in text.split("="))
    text = _DEGREES.sub("", text)  # "180^\\circ" is 180 (or pi) to Math-Verify: a number either way
    return _CHOICE.fullmatch(text) is not None or (
        "," not in text and probe(text, shorthand=True) is not None
    )


def _is_real(key: Key) -> bool:
    """A real closed-form number: exact, or in the evaluator's grammar ("\\sqrt{2}", "30^\\circ")."""
    return key[0] == "num" or evaluate_number(_DEGREES.sub("", key[1]), shorthand=True) is not None


def _top_level_sign(text: str) -> int:
    """Position of the last + or - outside braces and parentheses (not a leading sign), else 0."""
    depth, position = 0, 0
    for i, char in enumerate(text):
        depth += char in "({"
        depth -= char in ")}"
        if char in "+-" and depth == 0 and i > 0 and text[i - 1] not in "^_":
            position = i
    return position


@lru_cache(maxsize=65536)
def _is_complex(text: str) -> bool:
    """ "a+bi", "bi" or "a+i(b)" with real closed-form a and b, b clearly not 0, and no other i: a
    non-real number if i is the imaginary unit, not constant if i is a symbol (latex2sympy's reading)."""
    if text.count("i") != 1:
        return False  # also rules out \pi, \sin, \infty, \text{...}
    if text.endswith("i"):
        head = text[:-1]
        split = _top_level_sign(head)
        real, imaginary = head[:split] or "0", head[split:]
        imaginary = imaginary + "1" if imaginary in ("", "+", "-") else imaginary
    elif "i(" in text and text.endswith(")"):
        head, imaginary = text.split("i(")
        if head[-1:] not in ("+", "-") or not imaginary[:-1]:
            return False
        real, imaginary = head[:-1] or "0", f"{head[-1]}({imaginary}"
    else:
        return False
    if "^" in imaginary:
        return False  # "2^-3i" may be 2^(-3i)
    a, b = evaluate_number(real, shorthand=True), evaluate_number(imaginary, shorthand=True)
    return a is not None and b is not None and abs(float(b)) > 1e-6


def _exact_set(text: str) -> frozenset[Fraction] | None:
    """The set of entries of a comma list when every entry is an exact rational number, else None."""
    values = [evaluate_number(part, shorthand=True) for part in text.split(",")]
    if not all(isinstance(v, Fraction) for v in values):
        return None
    return frozenset(values)  # type: ignore[arg-type]


def robust_never_equal(a: Key, b: Key, shape_a: str, shape_b: str) -> bool:
    """True when the robust grader cannot call the answers with keys `a` and `b` equivalent (either
    order); `shape_a`/`shape_b` are their `cluster._shape`s."""
    for x, y, shape_x, shape_y in ((a, b, shape_a, shape_b), (b, a, shape_b, shape_a)):
        if _is_constant(x) and y[0] == "str" and _is_variable(y[1]):
            return True
        if shape_y.split(":")[0] in _COLLECTION_SHAPES and (x[0] == "num" or _is_scalar(x[1])):
            return True
        if x[0] == "num" and y[0] == "str" and _CHOICE.fullmatch(y[1]):
            return True
        if _is_real(x) and y[0] == "str" and _is_complex(y[1]):
            return True
        if shape_x == "list" and shape_y.startswith("collection:") and shape_y != "collection:2":
            list_set, tuple_set = _exact_set(x[1]), _exact_set(y[1][1:-1])
            if list_set is not None and tuple_set is not None and list_set != tuple_set:
                return True
    return False
