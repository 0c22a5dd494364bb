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
from dataclasses import dataclass
from fractions import Fraction

Number = Fraction | float
MAX_INPUT_CHARS = 200
MAX_EXACT_POWER_BITS = 4096
_TOKEN = re.compile(r"\s*(\d+\.\d*|\.\d+|\d+|\\[a-zA-Z]+|[a-zA-Z]|[-+*/^{}()\[\]])")
_ATOM_START = {"{", "(", "\\frac", "\\sqrt", "\\pi"}
# Points at which `probe` evaluates letters (exact rationals, positive so roots stay real).
PROBE_POINTS: tuple[dict[str, Fraction], ...] = tuple(
    {letter: Fraction(7 + 13 * ((i * 31 + k * 17) % 29), 3 + (i * 7 + k * 5) % 11)
     for i, letter in enumerate("abcdfghijklmnopqrstuvwxyzE")}
    for k in range(3)
)  # fmt: skip


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
    """Recursive descent over the token list; each method consumes one grammar rule.

    `variables` maps lower-case letters to values (None: letters are outside the grammar).
    `shorthand` allows "\\frac12" and "\\sqrt2" (Math-Verify reads them; the paper's parser fails).
    Forms whose reading by latex2sympy differs from the obvious one are declined: a number right
    before "\\frac" (mixed number), anything right before "(" ("2(3)" is 5, "x(3)" a function
    call), implicit products after "/" in one term ("2x/3y" is (2x)/(3y)) and the letter I.
    """

    def __init__(
        self,
        tokens: list[str],
        variables: dict[str, Fraction] | None = None,
        shorthand: bool = False,
    ) -> None:
        self.tokens, self.index = tokens, 0
        self.variables, self.shorthand = variables, shorthand
        self.used_shorthand = self.used_float = False

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

    def _starts_implicit_factor(self, token: str | None) -> bool:
        if token is None:
            return False
        if token == "(":
            raise _Unsupported("implicit product before '(' (latex2sympy reads it differently)")
        if token == "\\frac" and self._after_number():
            raise _Unsupported("mixed number")
        if token in _ATOM_START:
            return True
        return self.variables is not None and len(token) == 1 and token.isalpha()

    def term(self) -> Number:
        value = self.unary()
        divided = False
        while True:
            token = self.peek()
            if token in ("*", "\\cdot", "\\times"):
                self.take()
                value = value * self.unary()
            elif token == "/":
                self.take()
                divided = True
                divisor = self.unary()
                if divisor == 0:
                    raise _Unsupported("division by zero")
                value = value / divisor
            elif self._starts_implicit_factor(token):
                if divided:
                    raise _Unsupported("implicit product after '/'")
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
            exponent = self.unary() if self.peek() in ("+", "-") else self.atom()
            value = _power(base, exponent)
            self.used_float |= isinstance(value, float)
            return value
        return base

    def group(self, opening: str, closing: str) -> Number:
        self.take(opening)
        value = self.expression()
        self.take(closing)
        return value

    def argument(self) -> Number:
        """A braced group, or (shorthand) one digit or letter: "\\frac12", "\\sqrt2"."""
        token = self.peek()
        if token == "{" or not self.shorthand or token is None:
            return self.group("{", "}")
        if token.isdigit():
            self.used_shorthand = True
            if len(token) > 1:
                self.tokens[self.index] = token[1:]
            else:
                self.index += 1
            return Fraction(token[0])
        if len(token) == 1 and token.isalpha() and self.variables is not None:
            self.used_shorthand = True
            return self.atom()
        raise _Unsupported(f"unexpected argument {token!r}")

    def atom(self) -> Number:
        token = self.peek()
        if token == "{":
            return self.group("{", "}")
        if token == "(":
            return self.group("(", ")")
        if token == "\\frac":
            self.take()
            numerator, denominator = self.argument(), self.argument()
            if denominator == 0:
                raise _Unsupported("division by zero")
            return numerator / denominator
        if token == "\\sqrt":
            self.take()
            degree = self.group("[", "]") if self.peek() == "[" else Fraction(2)
            value = _sqrt(self.argument(), degree)
            self.used_float |= isinstance(value, float)
            return value
        if token == "\\pi":
            self.take()
            self.used_float = True
            return math.pi
        if token is not None and (token[0].isdigit() or token[0] == "."):
            self.take()
            return Fraction(token)
        if self.variables is not None and token is not None and len(token) == 1 and token.isalpha():
            # latex2sympy (also inside Math-Verify): e is Euler's number, I the imaginary unit,
            # E the symbol e, every other letter the symbol of its lower-case form.
            if token == "e":
                self.take()
                self.used_float = True
                return math.e
            key = token if token == "E" else token.lower()
            if key in self.variables:
                self.take()
                return self.variables[key]
        raise _Unsupported(f"unexpected {token!r}")


def _evaluate(parser: _Parser) -> Number | None:
    try:
        value = parser.expression()
        if parser.peek() is not None:
            return None
    except (_Unsupported, ZeroDivisionError, OverflowError, ValueError, RecursionError):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _tokens_or_none(text: str) -> list[str] | None:
    """Tokens of `text`, or None when it is empty, too long or uses anything the evaluator cannot read."""
    if not text or len(text) > MAX_INPUT_CHARS:
        return None
    try:
        return _tokenize(text)
    except _Unsupported:
        return None


def evaluate_number(text: str, shorthand: bool = False) -> Number | None:
    """The value of `text` if it is a simple closed-form real number, else None.

    `shorthand=True` also reads "\\frac12" and "\\sqrt2" (Math-Verify does; the paper's parser fails).
    """
    tokens = _tokens_or_none(text)
    return None if tokens is None else _evaluate(_Parser(tokens, shorthand=shorthand))


@dataclass(frozen=True)
class Probe:
    """Values of an expression at `PROBE_POINTS` (letters as variables), and how they were got."""

    values: tuple[Number, ...]
    has_letters: bool
    exact: bool  # every value an exact Fraction (no sqrt/pi/float powers)
    shorthand: bool  # read "\\frac12"-style arguments


def probe(text: str, shorthand: bool = False) -> Probe | None:
    """Evaluate `text` with its letters (not e/E) bound to each of `PROBE_POINTS`; None if unsupported."""
    tokens = _tokens_or_none(text)
    if tokens is None:
        return None
    values, exact, used_shorthand = [], True, False
    for point in PROBE_POINTS:
        parser = _Parser(list(tokens), variables=point, shorthand=shorthand)
        value = _evaluate(parser)
        if value is None:
            return None
        values.append(value)
        exact &= isinstance(value, Fraction) and not parser.used_float
        used_shorthand |= parser.used_shorthand
    has_letters = any(len(t) == 1 and t.isalpha() for t in tokens)
    return Probe(tuple(values), has_letters, exact, used_shorthand)


ROUNDED_MIN_SIGNIFICANT_DIGITS = 5
_DECIMAL_LITERAL = re.compile(r"[-+]?(\d*)\.(\d+)(?:\\(?:times|cdot)10\^\{?([-+]?\d{1,4})\}?)?")


def may_be_rounded(text: str) -> bool:
    """A decimal with enough significant digits that `decimal_rounds` may equate it to another number."""
    match = _DECIMAL_LITERAL.fullmatch(text)
    return (
        match is not None
        and len((match.group(1) + match.group(2)).lstrip("0")) >= ROUNDED_MIN_SIGNIFICANT_DIGITS
    )


def decimal_rounds(text: str, value: Fraction) -> bool:
    """Is the decimal literal `text` the exact `value` rounded to nearest or truncated at its last digit,
    with at least `ROUNDED_MIN_SIGNIFICANT_DIGITS` significant digits?

    "0.0833333333333333" and "0.08333" are 1/12; "1.41421356" is sqrt(2); "1.57772181\\times10^{-30}" is
    2^-99 (but not 2^-98); "0.33" (two digits) is not 1/3, and "0.08334" (not a rounding) is not 1/12.
    Why: a model (or a gold file) that writes a fraction as the float its code printed gives the right
    answer, while a few digits can match a wrong one.
    """
    match = _DECIMAL_LITERAL.fullmatch(text)
    if match is None or not may_be_rounded(text):
        return False
    scale = Fraction(10) ** int(match.group(3) or 0)
    decimal = Fraction(text[: match.end(2)]) * scale
    unit = scale / 10 ** len(match.group(2))
    if 2 * abs(decimal - value) <= unit:
        return True
    return (decimal >= 0) == (value >= 0) and abs(decimal) <= abs(value) < abs(decimal) + unit


def clearly_different(a: Number, b: Number, rel_gap: float = 1e-6) -> bool:
    """True when a != b beyond float noise (exact comparison when both are Fractions)."""
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a != b
    gap = abs(float(a) - float(b))
    return gap > rel_gap * max(abs(float(a)), abs(float(b)), 1e-300)
