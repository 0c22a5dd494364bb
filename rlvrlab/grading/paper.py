"""`paper` equivalence: the paper's `math_equal` (Qwen2.5-Math grader, Hendrycks/PRM800K lineage).

Inputs are already normalised with `strip_string`. Steps, in the paper's order:
1. case-insensitive string equality; multiple-choice letters;
2. both plain numbers: equal within rel. 1e-4, also against gold/100 and gold*100 (the paper's
   percentage leniency - the reason "3" matches "300" here; `robust` mode drops it);
3. strings equal once brackets are dropped; tuples/intervals and matrices element-wise;
4. equations ("x=1" vs "1", "y=2x" vs "y-2x=0");
5. sympy (`symbolic`), which the caller runs in the killable worker. Before that, closed-form
   numbers are compared in-process (numeric.py): the paper's sympy check ends in the same
   rel. 1e-4 numeric test, so the verdict is identical and 100x cheaper.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from rlvrlab.grading.numeric import Probe, clearly_different, evaluate_number, probe

SymbolicCheck = Callable[[str, str], bool]
PAPER_REL_TOL = 1e-4
_CHOICES = ("A", "B", "C", "D", "E")
_LATEX_COMMAND = re.compile(r"\\[a-zA-Z]+")
_LIST_FORMAT = re.compile(r"(\(|\[).+(\)|\])")
_MATRIX_BEGINS = ("\\begin{pmatrix}", "\\begin{bmatrix}")
_MATRIX_ENDS = ("\\end{pmatrix}", "\\end{bmatrix}")


def parse_digits(text: str) -> float | None:
    """float(text) with thousands separators removed; 'x%' -> x/100; None if not a number."""
    text = str(text).replace(",", "")
    try:
        return float(text)
    except ValueError:
        pass
    if text.endswith("%"):
        text = text[:-1].removesuffix("\\")
        try:
            return float(text) / 100
        except ValueError:
            return None
    return None


def _close(pred: float, gold: float) -> bool:
    return math.isclose(gold, pred, rel_tol=PAPER_REL_TOL)


def numbers_equal(pred: str, gold: str) -> bool | None:
    """None unless both are plain numbers; else equal within 1e-4 of gold, gold/100 or gold*100."""
    p, g = parse_digits(pred), parse_digits(gold)
    if p is None or g is None:
        return None
    return any(_close(p, candidate) for candidate in (g / 100, g, g * 100))


def _choice_letter(pred: str) -> str:
    pred = pred.strip("\n").rstrip(".").rstrip("/").strip(" ").lstrip(":")
    letters = re.findall(r"\b(A|B|C|D|E)\b", pred.upper())
    return (letters[-1] if letters else pred.strip().strip(".")).rstrip(".").rstrip("/")


def _gold_as_pmatrix(gold: str) -> str:
    rows = [m.strip("{}") for m in re.findall(r"\{.*,.*\}", gold.strip())]
    return ", ".join("\\begin{pmatrix}" + r.replace(",", "\\") + "\\end{pmatrix}" for r in rows)


def _without_brackets(pred: str, gold: str) -> tuple[str, str]:
    p, g = pred, gold
    if (p.startswith("[") and p.endswith("]") and not (g.startswith("(") and g.endswith(")"))) or (
        p.startswith("(") and p.endswith(")") and not (g.startswith("[") and g.endswith("]"))
    ):
        p, g = p.strip("[]()"), g.strip("[]()")
    for bracket in "{}()":
        p, g = p.replace(bracket, ""), g.replace(bracket, "")
    return p, g


def _is_matrix(text: str) -> bool:
    return text.startswith(_MATRIX_BEGINS) and text.endswith(_MATRIX_ENDS)


def _matrix_rows(text: str) -> list[list[str]]:
    body = text[len("\\begin{pmatrix}") : -len("\\end{pmatrix}")]
    return [line.strip().split("&") for line in body.split("\\\\") if line.strip()]


def _elementwise(pred_parts: list[str], gold_parts: list[str], symbolic: SymbolicCheck) -> bool:
    if len(pred_parts) != len(gold_parts):
        return False
    return all(paper_equal(p, g, symbolic) for p, g in zip(pred_parts, gold_parts, strict=True))


def _matrices_equal(pred: str, gold: str, symbolic: SymbolicCheck) -> bool:
    pred_rows, gold_rows = _matrix_rows(pred), _matrix_rows(gold)
    if len(pred_rows) != len(gold_rows):
        return False
    return all(_elementwise(p, g, symbolic) for p, g in zip(pred_rows, gold_rows, strict=True))


def _equations_equal(pred: str, gold: str, symbolic: SymbolicCheck) -> bool | None:
    """The paper's equation rules; None when neither side is an equation it handles."""
    if pred.count("=") == 1 and gold.count("=") == 1:
        p = "{} - ({})".format(*(side.strip() for side in pred.split("=")))
        g = "{} - ({})".format(*(side.strip() for side in gold.split("=")))
        return symbolic_or_numeric(p, g, symbolic) or symbolic_or_numeric(f"-({p})", g, symbolic)
    if pred.count("=") == 1 and len(pred.split("=")[0].strip()) <= 2 and "=" not in gold:
        return paper_equal(pred.split("=")[1], gold, symbolic)
    if gold.count("=") == 1 and len(gold.split("=")[0].strip()) <= 2 and "=" not in pred:
        return paper_equal(pred, gold.split("=")[1], symbolic)
    return None


def _has_free_letters(text: str) -> bool:
    """A Latin letter outside LaTeX commands, other than e/E (Euler's number): a variable or i."""
    return any(c.isascii() and c.isalpha() and c not in "eE" for c in _LATEX_COMMAND.sub("", text))


def number_vs_structure(number_side: str, other: str) -> bool:
    """True when sympy cannot find `number_side` (a closed-form real) equal to `other`.

    That holds when `other` is a list/tuple/interval (has a comma, is not "1,000"), or has a free
    variable or the imaginary unit: a real constant never simplifies to equal those.
    """
    if evaluate_number(number_side) is None or parse_digits(other) is not None:
        return False
    return "," in other or _has_free_letters(other)


def symbolic_or_numeric(pred: str, gold: str, symbolic: SymbolicCheck) -> bool:
    """Decide in-process when the verdict of the paper's sympy path is certain, else ask sympy.

    Two closed-form numbers: the paper's sympy check ends in the same rel. 1e-4 test. A number
    against a tuple or an expression with variables: sympy says "different" after ~100 ms.
    """
    p, g = evaluate_number(pred), evaluate_number(gold)
    if p is not None and g is not None:
        return _close(float(p), float(g))
    if number_vs_structure(pred, gold) or number_vs_structure(gold, pred):
        return False
    if never_parsed_equal(pred, gold):
        return False
    by_probes = probe_verdict(pred, gold)
    if by_probes is not None:
        return by_probes
    return symbolic(pred, gold)


_LEXER_ERROR = re.compile(r"(?<!\\)\\\d")  # "3\2": latex2sympy's lexer rejects a backslash-digit
_COMMAND = re.compile(r"\\[a-zA-Z]+")
# Commands that never make a sympy Symbol out of raw text (unlike \text, \mathrm, \textbf).
_MATH_COMMANDS = frozenset(
    ("\\frac", "\\dfrac", "\\sqrt", "\\pi", "\\cdot", "\\times", "\\le", "\\leq", "\\ge")
    + ("\\geq", "\\ne", "\\neq", "\\pm", "\\infty", "\\in", "\\left", "\\right")
)
_INTERVAL = re.compile(r"[(\[]([^,()\[\]]+),([^,()\[\]]+)[)\]]")
_MEMBERSHIP = re.compile(r"[a-df-zA-DF-HJ-Z]\\in(.+)")


def _only_math_commands(text: str) -> bool:
    return "%" not in text and all(c in _MATH_COMMANDS for c in _COMMAND.findall(text))


def _unparseable(text: str) -> bool:
    """latex2sympy fails on `text` (and on it with '\\\\' collapsed): a stray backslash-digit."""
    return _only_math_commands(text) and _LEXER_ERROR.search(text) is not None


def _number_interval(text: str) -> bool:
    """'[a,b]', '(a,b]', ...: latex2sympy makes an Interval of two plain numbers."""
    match = _INTERVAL.fullmatch(text)
    return match is not None and all(evaluate_number(end) is not None for end in match.groups())


def _membership(text: str) -> bool:
    """'x\\in[a,b]': latex2sympy makes Eq(x, Interval(a, b)), never an Interval or a number."""
    match = _MEMBERSHIP.fullmatch(text)
    return match is not None and _number_interval(match.group(1))


def never_parsed_equal(pred: str, gold: str) -> bool:
    """True when the worker's `paper_symbolic_equal(pred, gold)` is certainly False (texts differ).

    - One side fails latex2sympy (a stray "\\2"), so the worker keeps it as a string: a string
      has no .equals/.lhs/.shape, sympify of it fails (backslash), and the other side (math
      commands only, so no Symbol named by raw text) never prints as the same string.
    - An Interval of numbers against "x\\in[...]" (Eq(x, Interval)): a Set has no .equals, the
      two are not ==, neither side evaluates to a float, neither has a shape.
    """
    if pred == gold:
        return False
    if (_unparseable(pred) or _unparseable(gold)) and _only_math_commands(pred) and _only_math_commands(gold):
        return True
    return (_number_interval(pred) and _membership(gold)) or (_membership(pred) and _number_interval(gold))


def _split_top_level_commas(text: str) -> list[str]:
    """The same split as the worker's `_paper_parse` (a comma list becomes an ordered Tuple)."""
    parts, depth, start = [], 0, 0
    for position, char in enumerate(text):
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            parts.append(text[start:position])
            start = position + 1
    return [*parts, text[start:]]


_NUMBER_SUBSCRIPT = re.compile(r"(\d)_(?:\d|\{\d+\})")  # latex2sympy reads "2516_8" as 2516


# "\\textbf{(E)}", "\\text{B}": latex2sympy reads the letter's Symbol, as it reads "(E)" ("E" is the
# symbol e, other capitals lower-cased); not I (the imaginary unit when bare).
_WRAPPED_CAPITAL = re.compile(r"\\(?:textbf|mathbf|text)\{\(?([A-HJ-Z])\)?\}")


def _probes(text: str) -> list[Probe] | None:
    wrapped = _WRAPPED_CAPITAL.fullmatch(text)
    if wrapped:
        text = f"({wrapped.group(1)})"
    parts = _split_top_level_commas(_NUMBER_SUBSCRIPT.sub(r"\1", text))
    probes = [probe(part, shorthand=True) for part in parts]
    return None if any(p is None for p in probes) else probes  # type: ignore[return-value]


def _probe_lists_differ(pred: list[Probe], gold: list[Probe]) -> bool:
    if len(pred) != len(gold):
        return True  # sympy: a Tuple never equals a number or a Tuple of another length
    return any(
        clearly_different(a, b)
        for p, g in zip(pred, gold, strict=True)
        for a, b in zip(p.values, g.values, strict=True)
    )


def probe_verdict(pred: str, gold: str) -> bool | None:
    """The paper's sympy verdict when it is certain without sympy, else None.

    Both sides are evaluated with their letters bound to a few rational points (numeric.probe),
    in a grammar whose reading matches latex2sympy's. Clearly different values at any point mean
    simplify(a - b) != 0 and no equation/numeric/matrix rule applies (no '=', no free-symbol-free
    number: those were decided before), so sympy says "different". Exactly equal values at every
    point of two rational expressions in letters (no sqrt, pi or shorthand) mean equal rational
    functions, which sympy's simplify reduces to 0. An empty side never parses, so it is False.
    Shorthand ("\\frac{270}7") makes latex2sympy fail, so such a side is only used to reject.
    """
    if not pred.strip() or not gold.strip():
        return False
    pred_probes, gold_probes = _probes(pred), _probes(gold)
    if pred_probes is None or gold_probes is None:
        return None
    if _probe_lists_differ(pred_probes, gold_probes):
        return False
    if len(pred_probes) == 1 and all(
        p.exact and p.has_letters and not p.shorthand for p in (*pred_probes, *gold_probes)
    ):
        return True
    return None


def paper_equal(pred: str, gold: str, symbolic: SymbolicCheck) -> bool:
    """The paper's verdict for normalised `pred` against normalised `gold`."""
    if not pred.strip():
        return False  # e.g. "\\text{east}" normalises to "" (unit word); the paper grades it wrong
    if pred.strip().lower() == gold.strip().lower():
        return True
    if gold in _CHOICES and _choice_letter(pred) == gold:
        return True
    if numbers_equal(pred, gold):
        return True
    if not pred:
        return False
    gold, pred = gold.strip(), pred.strip()
    if "pmatrix" in pred and "pmatrix" not in gold:
        gold = _gold_as_pmatrix(gold)
    bare_pred, bare_gold = _without_brackets(pred, gold)
    if bare_pred.lower() == bare_gold.lower():
        return True
    if _LIST_FORMAT.match(pred) and _LIST_FORMAT.match(gold):
        return _elementwise(pred[1:-1].split(","), gold[1:-1].split(","), symbolic)
    if _is_matrix(pred) and _is_matrix(gold):
        return _matrices_equal(pred, gold, symbolic)
    by_equation = _equations_equal(pred, gold, symbolic)
    if by_equation is not None:
        return by_equation
    return symbolic_or_numeric(pred, gold, symbolic)
