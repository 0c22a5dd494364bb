"""In-process evaluation of simple numeric LaTeX ("\\frac{3}{4}", "2\\sqrt{2}", "1/2^{99}", "-0.5").

Why: most graded answers are plain numbers; sending each to sympy in the worker would cost ~10 ms.
This evaluator accepts only a tiny grammar (numbers, + - * / ^, \\frac, \\sqrt, \\pi, \\cdot,
\\times, braces and parentheses) and returns None for anything else, so the caller falls back to
sympy. Values are exact `Fraction`s when possible and floats otherwise (sqrt, pi, huge powers).
It never hangs: exact powers are bounded by `MAX_EXACT_POWER_BITS`, floats overflow to None.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

Number = Fraction | float
MAX_INPUT_CHARS = 200
MAX_EXACT_POWER_BITS = 4096
_TOKEN = re.compile(r"\s*(\d+\.\d*|\.\d+|\d+|\\[a-zA-Z]+|[-+*/^{}()\[\]])")
_ATOM_START = {"{", "(", "\\frac", "\\sqrt", "\\pi"}


class _Unsupported(Exception):
    """The text is outside the grammar or the value is not a finite real number."""


def _tokenize(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise _Unsupported(text[position:])
        tokens.append(match.group(1))
        position = match.end()
        while position < len(text) and text[position].isspace():
            position += 1
    return tokens


def _power(base: Number, exponent: Number) -> Number:
    if isinstance(base, Fraction) and isinstance(exponent, Fraction) and exponent.denominator == 1:
        size = max(base.numerator.bit_length(), base.denominator.bit_length())
        if abs(exponent.numerator) * size <= MAX_EXACT_POWER_BITS:
            if base == 0 and exponent < 0:
                raise _Unsupported("division by zero")
            return base**exponent.numerator
    try:
        value = math.pow(float(base), float(exponent))
    except (OverflowError, ValueError) as error:
        raise _Unsupported(str(error)) from error
    return value


def _sqrt(value: Number, degree: Number = Fraction(2)) -> Number:
    if value < 0:
        raise _Unsupported("root of a negative number")
    if isinstance(value, Fraction) and degree == 2:
        num, den = math.isqrt(value.numerator), math.isqrt(value.denominator)
        if num * num == value.numerator and den * den == value.denominator:
            return Fraction(num, den)
    return _power(float(value), 1.0 / float(degree))


class _Parser:
    """Recursive descent over the token list; each method consumes one grammar rule."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens, self.index = tokens, 0

    def peek(self) -> str | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise _Unsupported(f"expected {expected!r}, got {token!r}")
        self.index += 1
        return token

    def expression(self) -> Number:
        value = self.term()
        while self.peek() in ("+", "-"):
            value = value + self.term() if self.take() == "+" else value - self.term()
        return value

    def term(self) -> Number:
        value = self.unary()
        while True:
            token = self.peek()
            if token in ("*", "\\cdot", "\\times"):
                self.take()
                value = value * self.unary()
            elif token == "/":
                self.take()
                divisor = self.unary()
                if divisor == 0:
                    raise _Unsupported("division by zero")
                value = value / divisor
            elif token in _ATOM_START and not (token == "\\frac" and self._after_number()):
                value = value * self.power()
            else:
                return value

    def _after_number(self) -> bool:
        """'2\\frac{1}{3}' is a mixed number to latex2sympy, not a product: leave it to sympy."""
        previous = self.tokens[self.index - 1]
        return previous[0].isdigit() or previous[0] == "."

    def unary(self) -> Number:
        if self.peek() in ("+", "-"):
            sign = self.take()
            value = self.unary()
            return -value if sign == "-" else value
        return self.power()

    def power(self) -> Number:
        base = self.atom()
        if self.peek() == "^":
            self.take()
            return _power(base, self.unary() if self.peek() in ("+", "-") else self.atom())
        return base

    def group(self, opening: str, closing: str) -> Number:
        self.take(opening)
        value = self.expression()
        self.take(closing)
        return value

    def atom(self) -> Number:
        token = self.peek()
        if token == "{":
            return self.group("{", "}")
        if token == "(":
            return self.group("(", ")")
        if token == "\\frac":
            self.take()
            numerator, denominator = self.group("{", "}"), self.group("{", "}")
            if denominator == 0:
                raise _Unsupported("division by zero")
            return numerator / denominator
        if token == "\\sqrt":
            self.take()
            degree = self.group("[", "]") if self.peek() == "[" else Fraction(2)
            return _sqrt(self.group("{", "}"), degree)
        if token == "\\pi":
            self.take()
            return math.pi
        if token is not None and (token[0].isdigit() or token[0] == "."):
            self.take()
            return Fraction(token)
        raise _Unsupported(f"unexpected {token!r}")


def evaluate_number(text: str) -> Number | None:
    """The value of `text` if it is a simple closed-form real number, else None."""
    if not text or len(text) > MAX_INPUT_CHARS:
        return None
    try:
        parser = _Parser(_tokenize(text))
        value = parser.expression()
        if parser.peek() is not None:
            return None
    except (_Unsupported, ZeroDivisionError, OverflowError, ValueError, RecursionError):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
