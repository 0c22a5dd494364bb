"""Robust mode's in-process part: lossless normalisation and the fast verdicts that need no sympy.

Robust mode builds on Math-Verify (run in the killable worker, see symbolic.py) without its rounding
false positives. What can be decided exactly here (plain numbers, lists, tuples, intervals and
matrices of numbers, expressions that differ at a probe point) never reaches the worker.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from rlvrlab.grading.normalize import words_to_number
from rlvrlab.grading.numeric import Number, clearly_different, decimal_rounds, evaluate_number, probe
from rlvrlab.grading.unicode_math import unicode_to_latex
from rlvrlab.grading.verdict import Verdict

ROBUST_FAST_REL_GAP = 1e-6  # robust fast path says "different" only beyond this relative gap
_LIGHT_REPLACEMENTS = (
    ("\\left", ""), ("\\right", ""), ("\\dfrac", "\\frac"), ("\\tfrac", "\\frac"), ("\\!", ""),
    ("\\,", ""), ("\\;", ""), ("\\displaystyle", ""), ("\\$", ""), ("$", ""),
)  # fmt: skip
_WHITESPACE = re.compile(r"\s+")
_ELEMENT_OF = re.compile(r"^[A-Za-z]\\in(?=[\[(])")
_NUMBER_WORDS = re.compile(r"\s*[A-Za-z]+(?:[\s-]+[A-Za-z]+){0,5}\s*")
_E_NOTATION = re.compile(r"(-?\d+\.\d+|-?\d+(?=[eE][-+]))[eE]([-+]?\d{1,4})")
_PERCENT_WORD = re.compile(r"(?<=[\d.}])\s*(?:percent(?:age)?|pct)\b\.?", re.IGNORECASE)
_RELATIONS = (
    (re.compile(r">=|\\geqslant(?![A-Za-z])|\\geq?(?![A-Za-z])"), r"\\geq "),
    (re.compile(r"<=|=<|\\leqslant(?![A-Za-z])|\\leq?(?![A-Za-z])"), r"\\leq "),
    (re.compile(r"!=|\\neq?(?![A-Za-z])"), r"\\neq "),
    (re.compile(r"\\lt(?![A-Za-z])"), "<"),
    (re.compile(r"\\gt(?![A-Za-z])"), ">"),
)  # one spelling per relation: "x >= 5", "x \\ge 5", "x ≥ 5" are all "x\\geq5"


_BRACE_SHORTHAND = (
    (re.compile(r"\\frac(\d)(\d)(?!\d)"), r"\\frac{\1}{\2}"),
    (re.compile(r"\\frac\{([^{}]*)\}(\d)(?!\d)"), r"\\frac{\1}{\2}"),
    (re.compile(r"\\frac(\d)\{"), r"\\frac{\1}{"),
    (re.compile(r"\\sqrt(\d)"), r"\\sqrt{\1}"),
    (re.compile(r"(?<=\d)_(\d)"), r"_{\1}"),
)  # Math-Verify reads "\\frac43", "\\sqrt2", "2516_8" exactly as their braced forms


def light_normalize(text: str) -> str:
    """Robust mode's lossless clean-up (the paper's unit-word stripping would turn 'c+b' into '+b').

    Also: unicode math as LaTeX (unicode_math.py), number words ("twenty-one" -> "21"), percent words as "\\%" ("28 percent", "28 pct"),
    one spelling per relation (">=", "\\ge", "\\geqslant" -> "\\geq"; "\\lt" -> "<"), and a number in
    e-notation as a power of ten ("1.5e-30" -> "1.5\\times10^{-30}").
    """
    text = unicode_to_latex(text)
    if _NUMBER_WORDS.fullmatch(text):
        text = words_to_number(text)  # "twenty-one" -> "21"; other words are returned unchanged
    for old, new in _LIGHT_REPLACEMENTS:
        text = text.replace(old, new)
    if "pct" in text or "ercent" in text:
        text = _PERCENT_WORD.sub("\\%", text)
    if "=" in text or "\\" in text:
        for pattern, replacement in _RELATIONS:
            text = pattern.sub(replacement, text)
    text = _WHITESPACE.sub("", text).rstrip(".")
    text = _ELEMENT_OF.sub("", text, count=1)  # "x\\in[-2,7]" is the interval to Math-Verify
    if "e" in text or "E" in text:
        text = _E_NOTATION.sub(r"\1\\times10^{\2}", text) if _E_NOTATION.fullmatch(text) else text
    if "\\" in text or "_" in text:
        for pattern, replacement in _BRACE_SHORTHAND:
            text = pattern.sub(replacement, text)
    return text


def _leading_assignment_removed(text: str) -> str:
    """'x=5' -> '5' for a single short left-hand side (used only for the in-process numeric check)."""
    halves = text.split("=")
    return halves[1] if len(halves) == 2 and 0 < len(halves[0]) <= 2 else text


_DEGREES = re.compile(r"\^\{?\\circ\}?$")
_TRAILING_UNIT = re.compile(r"\\(?:text|mbox)\{[A-Za-z ]+\}(?:\^\{?[23]\}?)?$")
_THOUSANDS = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
ROBUST_PROBE_GAP = 1e-4  # letters: reject only beyond Math-Verify's 6-decimal rounding of constants


def _robust_number(text: str) -> tuple[Number | None, bool, bool]:
    """(value, unit word dropped, percent) for what Math-Verify reads as a number.

    Math-Verify reads "30^\\circ" as 30, "10,080" as 10080, "\\frac43" as 4/3 and "1\\frac{4}{5}"
    as the mixed number 9/5, and drops a `\\text{...}` after a number ("5\\text{ apples}" is 5). A
    trailing "\\%" is removed and flagged (its sympy comparison raised TypeError in the worker, so
    "10\\%" vs "10" used to be False).
    """
    text = _DEGREES.sub("", _leading_assignment_removed(text))
    unit_dropped = percent = False
    if _TRAILING_UNIT.search(text):
        text, unit_dropped = _TRAILING_UNIT.sub("", text), True
    if text.endswith("%"):
        text, percent = text[:-1].removesuffix("\\"), True
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    mixed = _MIXED_NUMBER.fullmatch(text)
    if mixed:
        value = int(mixed.group(2)) + Fraction(int(mixed.group(3)), int(mixed.group(4)) or 1)
        return (-value if mixed.group(1) else value), unit_dropped, percent
    return evaluate_number(text, shorthand=True), unit_dropped, percent


_MIXED_NUMBER = re.compile(r"(-?)(\d{1,9})\\frac\{(\d{1,9})\}\{([1-9]\d{0,8})\}")
_WORD = re.compile(r"\\(?:text|textbf|mathrm|mathbf|mbox)\{\(?([A-Za-z][A-Za-z ]*?)\)?\}|\(?([A-Z])\)?")


def _word(text: str) -> str | None:
    """The word of "\\text{Evelyn}", "\\textbf{(B)}", "(B)" or "B", lower-cased (Math-Verify lower-cases
    \\text and reads a capital as a symbol); None for anything else ("ab" is a product to it)."""
    match = _WORD.fullmatch(text)
    return None if match is None else (match.group(1) or match.group(2)).replace(" ", "").lower()


def _robust_words(pred: str, gold: str) -> Verdict | None:
    """Two words (names, choice letters) compare as words; a word of 2+ letters is no number."""
    p, g = _word(pred), _word(gold)
    if p is not None and g is not None:
        return Verdict(p == g, "same word" if p == g else "different words")
    word, other = (p, gold) if p is not None else (g, pred)
    if word is not None and len(word) > 1 and _robust_number(other)[0] is not None:
        return Verdict(False, "a word against a number")
    return None


def _robust_by_probes(pred: str, gold: str) -> Verdict | None:
    """Expressions in letters: clearly different values at a probe point mean "not equivalent"."""
    if "," in pred or "," in gold:
        return None  # lists are sets/tuples/intervals to Math-Verify
    p, g = probe(pred, shorthand=True), probe(gold, shorthand=True)
    if p is None or g is None or not (p.has_letters or g.has_letters):
        return None
    for a, b in zip(p.values, g.values, strict=True):
        if abs(float(a) - float(b)) > ROBUST_PROBE_GAP * max(1.0, abs(float(a)), abs(float(b))):
            return Verdict(False, "different values at a probe point")
    if p.exact and g.exact and p.values == g.values:
        return Verdict(True, "equal rational expressions")
    return None


_NUMBER_SUBSCRIPT = re.compile(r"(?<=\d)_(\d|\{\d+\})")
_MATRIX = re.compile(r"\\begin\{[pb]matrix\}(.*)\\end\{[pb]matrix\}")
_THREE_DIGITS = re.compile(r"\d{3}")


def _split_top_level(text: str, separator: str = ",") -> list[str]:
    parts, depth, start = [], 0, 0
    for position, char in enumerate(text):
        depth += char in "([{"
        depth -= char in ")]}"
        if char == separator and depth == 0:
            parts.append(text[start:position])
            start = position + 1
    return [*parts, text[start:]]


def _exact_numbers(parts: list[str]) -> list[Fraction] | None:
    values = [_robust_number(part) for part in parts]
    if any(not isinstance(v, Fraction) or unit or pct for v, unit, pct in values):
        return None
    return [v for v, _, _ in values]  # type: ignore[misc]


def _structure(text: str) -> tuple[str, list[Fraction], int] | None:
    """("matrix"|"bare"|"paren", exact entries, columns) for a list or matrix of plain numbers.

    Math-Verify reads "1,-2" as the set {1, -2}, "(a,b,c)" as an ordered tuple, "(a,b)" as an
    open interval (compared end-point by end-point, like a tuple) and a pmatrix entry by entry.
    A bare list with a 3-digit element ("1,234") could be a thousands separator: not decided here.
    """
    matrix = _MATRIX.fullmatch(text)
    if matrix:
        rows = [row.split("&") for row in matrix.group(1).split("\\\\")]
        entries = _exact_numbers([cell for row in rows for cell in row])
        if entries is None or len(entries) < 2 or len({len(row) for row in rows}) != 1:
            return None
        return "matrix", entries, len(rows[0])
    if text.startswith("(") and text.endswith(")") and "," in text:
        parts = _split_top_level(text[1:-1])
        entries = _exact_numbers(parts) if len(parts) >= 2 else None
        return None if entries is None else ("paren", entries, len(entries))
    if "," in text and not _THOUSANDS.fullmatch(text):
        parts = _split_top_level(text)
        if any(_THREE_DIGITS.fullmatch(part.strip().lstrip("+-")) for part in parts[1:]):
            return None
        entries = _exact_numbers(parts) if len(parts) >= 2 else None
        return None if entries is None else ("bare", entries, len(entries))
    return None


_INFINITY = {"\\infty": math.inf, "+\\infty": math.inf, "-\\infty": -math.inf, "\\infty)": math.inf}
_BRACKETED = re.compile(r"[(\[].*,.*[)\]]")
ROBUST_ENDPOINT_GAP = 1e-4  # beyond Math-Verify's 6-decimal rounding of floats


def _endpoints(text: str) -> list[Number] | None:
    """Entries of a bracketed comma list ("(2,\\infty)", "[\\frac{\\pi^2}{8},1]"), floats allowed."""
    if not _BRACKETED.fullmatch(text):
        return None
    values: list[Number] = []
    for part in _split_top_level(text[1:-1]):
        if part in _INFINITY:
            values.append(_INFINITY[part])
            continue
        value, unit, percent = _robust_number(part)
        if value is None or unit or percent:
            return None
        values.append(value)
    return values if len(values) >= 2 else None


def _endpoints_differ(pred: str, gold: str) -> bool:
    """Two bracketed lists (tuples or intervals, any brackets) with some entry clearly different.

    Math-Verify compares tuples entry by entry and intervals end-point by end-point (both after
    rounding floats to 6 decimals), so such a pair is never equivalent; equal entries are left to
    it (the brackets then decide).
    """
    p, g = _endpoints(pred), _endpoints(gold)
    if p is None or g is None:
        return False
    if len(p) != len(g):
        return True
    for a, b in zip(p, g, strict=True):
        if math.isinf(float(a)) or math.isinf(float(b)):
            if float(a) != float(b):
                return True
        elif abs(float(a) - float(b)) > ROBUST_ENDPOINT_GAP * max(1.0, abs(float(a)), abs(float(b))):
            return True
    return False


def _robust_structures(pred: str, gold: str) -> Verdict | None:
    """Lists, tuples, intervals and matrices of plain numbers, compared as Math-Verify does."""
    if _endpoints_differ(pred, gold):
        return Verdict(False, "tuples/intervals with different entries")
    p_ends, g_ends = _endpoints(pred), _endpoints(gold)
    if (p_ends is None) != (g_ends is None):
        ends, other = (p_ends, gold) if p_ends is not None else (g_ends, pred)
        if ends and len({float(end) for end in ends}) >= 2 and _robust_number(other)[0] is not None:
            return Verdict(False, "a number against a tuple or interval")
    p, g = _structure(pred), _structure(gold)
    if p is None and g is None:
        return None
    if p is None or g is None:
        single = _robust_number(gold if p is not None else pred)[0]
        if single is None:
            return None
        structure = p if p is not None else g
        assert structure is not None
        if len(set(structure[1])) >= 2:
            return Verdict(False, "a number against a list or matrix")
        return None
    (p_kind, p_entries, p_columns), (g_kind, g_entries, g_columns) = p, g
    if p_kind != g_kind:
        return None
    if p_kind == "bare":
        return Verdict(set(p_entries) == set(g_entries), "compared as sets of numbers")
    if len(p_entries) != len(g_entries) or p_columns != g_columns:
        return Verdict(False, f"{p_kind}: different shapes")
    return Verdict(p_entries == g_entries, f"{p_kind}: compared entry by entry")


_DECIMAL_COMMA = re.compile(r"-?\d+,\d+")
FLOAT_ROUNDING_MAX_DECIMALS = 12  # an irrational value (a float here) checks roundings this fine


def _decimal_comma(pred: str, gold: str) -> Verdict | None:
    """ "0,111" against 0.111 (one side a decimal with a point): the comma is a decimal comma."""
    for comma, other in ((pred, gold), (gold, pred)):
        if _DECIMAL_COMMA.fullmatch(comma) and "." in other and "," not in other:
            value = evaluate_number(other)
            if isinstance(value, Fraction) and Fraction(comma.replace(",", ".")) == value:
                return Verdict(True, "decimal comma")
    return None


def _rounding_of(text: str, value: Number) -> bool:
    """`numeric.decimal_rounds` for an exact value, or a float one at up to 12 decimals."""
    if isinstance(value, float):
        decimals = text.partition(".")[2]
        return 0 < len(decimals) <= FLOAT_ROUNDING_MAX_DECIMALS and decimal_rounds(text, Fraction(value))
    return decimal_rounds(text, value)


def robust_fast(pred: str, gold: str) -> Verdict | None:
    if pred == gold:
        return Verdict(True, "string match")
    comma = _decimal_comma(pred, gold) or _robust_words(pred, gold)
    if comma is not None:
        return comma
    structures = _robust_structures(pred, gold)
    if structures is not None:
        return structures
    p_sub, g_sub = _NUMBER_SUBSCRIPT.search(pred), _NUMBER_SUBSCRIPT.search(gold)
    if p_sub or g_sub:  # Math-Verify drops a base subscript ("2516_8" is 2516): only reject here
        stripped = robust_fast(_NUMBER_SUBSCRIPT.sub("", pred), _NUMBER_SUBSCRIPT.sub("", gold))
        return stripped if stripped is not None and not stripped.correct else None
    (p, p_unit, p_percent), (g, g_unit, g_percent) = _robust_number(pred), _robust_number(gold)
    if p is None or g is None:
        if p_percent or g_percent:
            return Verdict(False, "percentage of a non-number")
        return _robust_by_probes(pred, gold)
    # "10\\%" matches 10 and 0.1 (and "10\\%"); never 1000 or 0.001 (no paper-style x100 leniency).
    candidates = [(p, g)]
    if p_percent != g_percent:
        candidates.append((p / 100, g) if p_percent else (p, g / 100))
    for a, b in candidates:
        if not clearly_different(a, b, ROBUST_FAST_REL_GAP):
            if not (isinstance(a, Fraction) and isinstance(b, Fraction)) or (p_unit and g_unit):
                return None  # numerically close but not provably equal (or two units): let sympy decide
            return Verdict(
                True, "same number, unit text dropped" if p_unit or g_unit else "exact number match"
            )
    if not (p_unit or g_unit or p_percent or g_percent) and (_rounding_of(pred, g) or _rounding_of(gold, p)):
        return Verdict(True, "a decimal rounding of the exact value")
    return Verdict(False, "different numbers")
