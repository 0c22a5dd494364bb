"""In-process verdicts for the paper grader's sympy step, when they are certain.

The paper's grader hands sympy `parse_expr("(gold)-(pred)")` (Python syntax, "^" read as "**", implicit
multiplication: "2x", "3sqrt(2)", ")(") and calls the pair equal when `simplify(...) == 0`. Running that
in the killable worker costs ~10-30 ms a pair, and most pairs are plain numbers. This module reads a
small, strict subset of that syntax itself (numbers, + - * / **, parentheses, `sqrt(...)`, `pi`, single
letters) and refuses (None) anything else, so sympy in the worker still decides every unusual case:

- no letters, sqrt, pi or decimal points: the values are exact rationals and sympy's arithmetic on them
  is exact, so "difference == 0" is the verdict itself;
- otherwise letters are bound to fixed rationals (two points) and sqrt/pi/powers evaluated with mpmath
  at 30 and 60 digits. A clear relative gap (> 1e-12) at both precisions, with each side stable across
  precisions, means the difference is not identically zero: sympy's simplify cannot return 0, so the
  verdict is "different". A zero or tiny gap is left to sympy (an identity, or float noise that sympy
  keeps as a nonzero Float).
"""

from __future__ import annotations

import re
from fractions import Fraction

import mpmath

Value = Fraction | mpmath.mpc
_TOKEN = re.compile(r"\d+\.?\d*|\.\d+|\*\*|[-+*/()]|sqrt|pi|[a-z]")
# Python reads "2e5", "2j" and "2_0" as one literal, and sympy reads "07" as 0: leave those to sympy.
_LITERAL_TRAP = re.compile(r"\d[ej_]|(?<![\d.])0\d")
_CLEAR_GAP = 1e-12
_MAX_EXACT_BITS = 20_000  # exact powers whose result would be bigger are left to sympy (and its time limit)
_MAX_INEXACT_EXPONENT = 10**15  # mpmath's integer power works at ~4 bits of precision per bit of the exponent
_CONTEXTS = []
for _dps in (30, 60):
    _context = mpmath.MPContext()
    _context.dps = _dps
    _CONTEXTS.append(_context)


class _Refused(Exception):
    """The text is outside the subset read here (or misbehaves numerically): let sympy decide."""


def _is_number(token: str) -> bool:
    return token[0].isdigit() or token[0] == "."


def _is_operand_end(token: str) -> bool:
    return token == ")" or token == "pi" or _is_number(token) or (len(token) == 1 and token.isalpha())


def _is_operand_start(token: str) -> bool:
    return token in ("(", "sqrt", "pi") or _is_number(token) or (len(token) == 1 and token.isalpha())


def tokens(text: str) -> list[str]:
    """Tokens of `text` with sympy's implicit '*' inserted; raises _Refused outside the subset.

    A letter run must be exactly "sqrt", "pi" or one letter ("ab", "ln", "re" are sympy splits or
    names not modelled here); nothing alphabetic may touch a number ("x2", "pi2"), and two numbers
    may not touch ("1.2.3").
    """
    text = text.replace("^", "**")
    if _LITERAL_TRAP.search(text):
        raise _Refused
    out: list[str] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise _Refused
        token, position = match.group(), match.end()
        previous = out[-1] if out else ""
        if previous.isalpha() and (token.isalpha() or _is_number(token)):
            raise _Refused
        if previous and _is_number(previous) and _is_number(token):
            raise _Refused
        if out and _is_operand_end(previous) and _is_operand_start(token):
            out.append("*")
        out.append(token)
    return out


def _mp(context: mpmath.MPContext, value: Value) -> mpmath.mpc:
    if isinstance(value, Fraction):
        return context.mpc(context.mpf(value.numerator) / value.denominator)
    return value


def _letter_value(letter: str, point: int) -> Fraction:
    """A fixed rational per (letter, point): distinct letters get distinct values."""
    return Fraction(ord(letter) - 90, 7 + 4 * point) + point


class _Evaluator:
    """Recursive descent with Python's precedence: + - < * / < unary +- < ** (right-associative)."""

    def __init__(self, tokens: list[str], point: int, context: mpmath.MPContext) -> None:
        self.tokens, self.position, self.point, self.context = tokens, 0, point, context
        self.exact = True  # no letter, sqrt, pi, decimal point or irrational power was met

    def evaluate(self) -> Value:
        value = self.sum()
        if self.position != len(self.tokens):
            raise _Refused
        return value

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise _Refused
        self.position += 1
        return token

    def combine(self, op: str, a: Value, b: Value) -> Value:
        if not (isinstance(a, Fraction) and isinstance(b, Fraction)):
            a, b = _mp(self.context, a), _mp(self.context, b)
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if b == 0:
            raise _Refused
        return a / b

    def sum(self) -> Value:
        value = self.product()
        while self.peek() in ("+", "-"):
            op = self.take()
            value = self.combine(op, value, self.product())
        return value

    def product(self) -> Value:
        value = self.unary()
        while self.peek() in ("*", "/"):
            op = self.take()
            value = self.combine(op, value, self.unary())
        return value

    def unary(self) -> Value:
        if self.peek() in ("+", "-"):
            sign = self.take()
            value = self.unary()
            return -value if sign == "-" else value
        return self.power()

    def power(self) -> Value:
        base = self.atom()
        if self.peek() != "**":
            return base
        self.take()
        exponent = self.unary()  # Python: 2**-1 is allowed, and ** binds to the right
        if base == 0:
            raise _Refused
        if isinstance(base, Fraction) and isinstance(exponent, Fraction) and exponent.denominator == 1:
            bits = max(base.numerator.bit_length(), base.denominator.bit_length())
            if bits * abs(exponent.numerator) > _MAX_EXACT_BITS:
                raise _Refused  # "((9^9)^9)^9..." passes the paper's guard and grows without bound
            return base**exponent.numerator
        self.exact = False
        exponent = _mp(self.context, exponent)
        if abs(exponent) > _MAX_INEXACT_EXPONENT:
            raise _Refused  # "(1+sqrt(2))**(sqrt(4)**(10**5))": an exponent of 10**5 bits never finishes
        return _mp(self.context, base) ** exponent

    def atom(self) -> Value:
        token = self.take()
        if token == "(":
            value = self.sum()
            self.take(")")
            return value
        if token == "sqrt":
            self.take("(")
            argument = self.sum()
            self.take(")")
            self.exact = False
            return self.context.sqrt(_mp(self.context, argument))
        if token == "pi":
            self.exact = False
            return self.context.mpc(self.context.pi)
        if token.isalpha():
            self.exact = False  # a value at one point, not the expression
            return _letter_value(token, self.point)
        if "." in token:
            self.exact = False  # sympy makes a Float of it
        return Fraction(token)


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += (char == "(") - (char == ")")
        if depth < 0:
            return False
    return depth == 0


def _apart(context: mpmath.MPContext, a: Value, b: Value) -> bool:
    a, b = _mp(context, a), _mp(context, b)
    return bool(abs(a - b) > _CLEAR_GAP * max(abs(a), abs(b)))


def sympy_difference_verdict(gold: str, pred: str) -> bool | None:
    """`simplify(parse_expr(f"({gold})-({pred})")) == 0` when certain without sympy, else None.

    Each side must be balanced on its own, so that the joined text parses as gold minus pred.
    """
    if not (_balanced(gold) and _balanced(pred)):
        return None
    try:
        gold_tokens, pred_tokens = tokens(gold), tokens(pred)
        for point in (0, 1):
            results = []
            for context in _CONTEXTS:
                left = _Evaluator(gold_tokens, point, context)
                right = _Evaluator(pred_tokens, point, context)
                a, b = left.evaluate(), right.evaluate()
                if left.exact and right.exact:
                    return a == b
                results.append((a, b))
            (a30, b30), (a60, b60) = results
            fine = _CONTEXTS[1]
            stable = not _apart(fine, a30, a60) and not _apart(fine, b30, b60)
            if stable and _apart(fine, a60, b60) and _apart(fine, a30, b30):
                return False
    except (_Refused, ZeroDivisionError, OverflowError, ValueError, TypeError, RecursionError):
        return None  # deep nesting ("((((...))))") included: sympy in the worker decides, under its limits
    return None
