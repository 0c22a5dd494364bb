"""`paper` equivalence: the grader the paper's code ran (TTRL's `grade_answer`, PRM800K lineage).

The paper's rewards and its evaluation script (`eval_checkpoint.py`) call TTRL's `qwen_reward_fn`: the
Qwen2.5-Math answer extractor, whose `strip_string` normalises the prediction (extract.py +
normalize.py), then `grade_answer(pred, gold)` with the raw gold answer:
1. Hendrycks MATH normalisation of both (`mathd_normalize`); equal strings are correct;
2. PRM800K normalisation (`prm_normalize`: units, `\\text{}`, LaTeX -> text with pylatexenc, lower
   case, integers without ".0"); equal strings are correct, an empty prediction is wrong;
3. a tuple or interval gold needs the same brackets and length, then element by element:
   two plain fractions "a/b" must be equal strings (an unreduced fraction stays wrong); an integer
   against a non-integer is wrong; otherwise `simplify(gold - pred) == 0` in sympy, skipped (wrong)
   when the difference has more than 2 distinct letters or a power sympy might hang on.
Quirks kept because the paper's numbers were computed with them: pylatexenc writes
`\\frac{a+b}{c}` as "a+b/c", so `\\frac{9a+11}{20}` vs `\\frac{11+9a}{20}` is wrong, as in the
reference grades; there is no numeric tolerance and no percentage leniency.
Step 3's sympy call runs in the killable worker unless pyexpr.py can decide it with certainty.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text

from rlvrlab.grading.normalize import fix_fracs
from rlvrlab.grading.pyexpr import sympy_difference_verdict

SympyCheck = Callable[[str, str], bool]  # (gold element, pred element) -> sympy says equal

_TEXT_WRAPPER = re.compile(r"^\\text\{(?P<text>.+?)\}$")
_LATEX_TO_TEXT = LatexNodes2Text()
_UNIT_WORDS = (
    "degree", "cm", "centimeter", "meter", "mile", "second", "minute", "hour", "day", "week", "month",
    "year", "foot", "feet", "inch", "yard",
)  # fmt: skip
_UNITS = tuple(re.compile(unit + r"(es)?(s)? *(\^[0-9]+)?") for unit in _UNIT_WORDS)
_DEGREE_SIGN = re.compile(r"\^ *\\circ")
_THIN_SPACE = re.compile(r",\\! *")
_MINUS_SPACE = re.compile(r"- *")
_MIXED_NUMBER = re.compile(r"([0-9]) +([0-9])")
_THOUSANDS = re.compile(r"(\d)(,)(\d\d\d)($|\D)")
_PLAIN_FRACTION = re.compile(r"^-?[0-9]+.?/0*[1-9][0-9]*.?$")
_BAD_SUBSTRINGS = ("^{", "^(")  # sympy might hang on these; the paper's grader gives up (wrong)
_BAD_POWERS = (re.compile(r"\^[0-9]+\^"), re.compile(r"\^[0-9][0-9]+"))
_TUPLE_CHARS = "()[]"


# ---- Hendrycks MATH normalisation (`mathd`): the first, string-only comparison -------------------


def _fix_fracs(string: str) -> str:
    """`normalize.fix_fracs`, plus the original's quirk: a "\\frac" with nothing after it raises
    IndexError (so `mathd_normalize` returns its input), unless a one-character tail before it ended
    the rewrite first (then the input comes back unchanged, as from `fix_fracs`)."""
    for tail in string.split("\\frac")[1:]:
        if not tail:
            raise IndexError("\\frac with nothing after it")
        if len(tail) == 1 and tail != "{":
            break
    return fix_fracs(string)


def _fix_a_slash_b(string: str) -> str:
    """'3/4' -> '\\frac{3}{4}' for two plain integers; anything else is returned as is."""
    parts = string.split("/")
    if len(parts) != 2:
        return string
    try:
        a, b = int(parts[0]), int(parts[1])
    except ValueError:
        return string
    return f"\\frac{{{a}}}{{{b}}}" if string == f"{a}/{b}" else string


def _fix_sqrt(string: str) -> str:
    """'\\sqrt2' -> '\\sqrt{2}' (one character); an empty tail raises IndexError, as the original."""
    head, *rest = string.split("\\sqrt")
    return head + "".join("\\sqrt" + p if p[0] == "{" else "\\sqrt{" + p[0] + "}" + p[1:] for p in rest)


def _hendrycks_strip(string: str) -> str:
    for old, new in (("\n", ""), ("\\!", ""), ("\\\\", "\\"), ("tfrac", "frac"), ("dfrac", "frac")):
        string = string.replace(old, new)
    for old in ("\\left", "\\right", "^{\\circ}", "^\\circ", "\\$"):
        string = string.replace(old, "")
    if "\\text{ " in string:  # units after the number; more than one raises, as the original
        before, _after = string.split("\\text{ ")
        string = before
    string = string.replace("\\%", "")  # the original's second pattern "\%" is the same string
    string = string.replace(" .", " 0.").replace("{.", "{0.")
    if not string:
        return string
    if string[0] == ".":
        string = "0" + string
    halves = string.split("=")
    if len(halves) == 2 and len(halves[0]) <= 2:  # "x=5" -> "5"
        string = halves[1]
    string = _fix_sqrt(string).replace(" ", "")
    string = _fix_fracs(string)
    if string == "0.5":
        string = "\\frac{1}{2}"
    return _fix_a_slash_b(string)


@lru_cache(maxsize=65536)
def mathd_normalize(answer: str) -> str:
    """Hendrycks MATH `_strip_string` of the answer, after removing an enclosing `\\text{}`."""
    answer = answer.strip()
    match = _TEXT_WRAPPER.search(answer)
    if match is not None:
        answer = match.group("text").strip()
    try:
        return _hendrycks_strip(answer)
    except (IndexError, ValueError):  # the original returns its input on any failure
        return answer


# ---- PRM800K normalisation: LaTeX to plain text, for sympy -----------------------------------------


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _without_thousands_commas(expr: str) -> str:
    """'10,080' -> '10080' but '(1,234)' keeps a tuple comma only when not followed by 3 digits."""
    while True:
        following = _THOUSANDS.sub(r"\1\3\4", expr)
        if following == expr:
            return expr
        expr = following


def is_integer_text(text: str) -> bool:
    """PRM800K `_str_is_int`: parses as a float within 1e-7 of an integer."""
    try:
        value = float(_without_thousands_commas(text))
        return abs(value - round(value)) <= 1e-7
    except (ValueError, OverflowError):
        return False


def _latex_to_text(expr: str) -> str:
    expr = expr.replace("\\tfrac", "\\frac").replace("\\dfrac", "\\frac").replace("\\frac", " \\frac")
    expr = _LATEX_TO_TEXT.latex_to_text(expr)
    for old, new in (("√", "sqrt"), ("π", "pi"), ("∞", "inf"), ("∪", "U"), ("·", "*"), ("×", "*")):
        expr = expr.replace(old, new)
    return expr.strip()


@lru_cache(maxsize=65536)
def prm_normalize(expr: str) -> str:
    """PRM800K `_normalize`: the string the paper's grader compares and hands to sympy."""
    match = _TEXT_WRAPPER.search(expr)
    if match is not None:
        expr = match.group("text")
    for old, new in (("\\%", "%"), ("\\$", "$"), ("$", ""), ("%", ""), (" or ", " , "), (" and ", " , ")):
        expr = expr.replace(old, new)
    for word, power in (("million", "*10^6"), ("billion", "*10^9"), ("trillion", "*10^12")):
        expr = expr.replace(word, power)
    for unit in _UNITS:
        expr = unit.sub("", expr)
    expr = _DEGREE_SIGN.sub("", expr)
    if expr.startswith("{") and expr.endswith("}"):
        expr = expr[1:-1]
    expr = _THIN_SPACE.sub("", expr)
    if _is_float(expr) and is_integer_text(expr):
        expr = str(int(round(float(expr))))
    if "\\" in expr:
        with contextlib.suppress(Exception):  # as the original: keep the LaTeX
            expr = _latex_to_text(expr)
    expr = _MINUS_SPACE.sub("-", expr)
    expr = _MIXED_NUMBER.sub(r"\1+\2", expr)  # "7 3/4" -> "7+3/4"
    expr = expr.replace(" ", "").replace("{", "").replace("}", "").lower()
    if is_integer_text(expr):
        expr = str(int(float(expr.replace(",", ""))))
    return expr


# ---- grade_answer ------------------------------------------------------------------------------------


def split_tuple(expr: str) -> list[str]:
    """Elements of a bracketed tuple/interval without nested brackets; else the whole string."""
    expr = _without_thousands_commas(expr)
    if not expr:
        return []
    inner = expr[1:-1]
    bracketed = len(expr) > 2 and expr[0] in _TUPLE_CHARS and expr[-1] in _TUPLE_CHARS
    if bracketed and all(char not in inner for char in _TUPLE_CHARS):
        return [element.strip() for element in inner.split(",")]
    return [expr]


def sympy_allowed(expr: str) -> bool:
    """The paper's guard: at most 2 distinct letters (besides sqrt/frac) and no risky powers."""
    letters = {char for char in expr.replace("sqrt", "").replace("frac", "") if char.isalpha()}
    if len(letters) > 2 or any(bad in expr for bad in _BAD_SUBSTRINGS):
        return False
    return not any(pattern.search(expr) for pattern in _BAD_POWERS)


def _elements_equal(gold: str, pred: str, sympy_check: SympyCheck) -> bool:
    if _PLAIN_FRACTION.search(gold) and _PLAIN_FRACTION.search(pred):
        return gold == pred
    if is_integer_text(gold) != is_integer_text(pred):
        return False
    if not sympy_allowed(f"({gold})-({pred})"):
        return False
    in_process = sympy_difference_verdict(gold, pred)
    return in_process if in_process is not None else sympy_check(gold, pred)


def paper_equal(pred: str, gold: str, sympy_check: SympyCheck) -> bool:
    """The paper's verdict for `pred` (extracted, strip_string-normalised) against the raw `gold`.

    `sympy_check(gold_element, pred_element)` runs the paper's sympy comparison (in the worker).
    """
    if mathd_normalize(gold) == mathd_normalize(pred):
        return True
    gold_norm, pred_norm = prm_normalize(gold), prm_normalize(pred)
    if gold_norm == pred_norm:
        return True
    if not pred_norm:
        return False
    gold_elements, pred_elements = split_tuple(gold_norm), split_tuple(pred_norm)
    if len(gold_elements) > 1 and (gold_norm[0] != pred_norm[0] or gold_norm[-1] != pred_norm[-1]):
        return False
    if len(gold_elements) != len(pred_elements):
        return False
    return all(_elements_equal(g, p, sympy_check) for g, p in zip(gold_elements, pred_elements, strict=True))
