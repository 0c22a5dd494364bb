"""Unicode in answers: vulgar fractions, root signs, fullwidth digits, superscripts, symbols, NUL bytes."""

from tests.grading_cases import BARE_ANSWER_WHY, Case

SETTINGS = ("full_text", "boxed")
FULL_TEXT_WHY = BARE_ANSWER_WHY
U = "robust rewrites unicode math as LaTeX (unicode_math.py); Math-Verify's parser reads none of it"

CASES = [
    Case("\\frac{1}{2}", "½", True, why=U),
    Case("\\frac{3}{4}", "¾", True, why=U),
    Case("\\frac{1}{2}", "⅓", False),
    Case("\\frac{7}{2}", "3½", True, why=U),
    Case("\\sqrt{2}", "√2", True, why=U),
    Case("2\\sqrt{3}", "2√3", True, why=U),
    Case("\\sqrt{2}", "√3", False),
    Case("12", "１２", True, why=U),
    Case("12", "１３", False),
    Case("x^2", "x²", True, why=U),
    Case("x^{3}+1", "x³+1", True, why=U),
    Case("x^2", "x³", False),
    Case("-3", "−3", True, why=U),
    Case("\\pi", "π", True, why=U),
    Case("2\\pi", "2π", True, why=U),
    Case("(2, \\infty)", "(2, ∞)", True, why=U),
    Case("x \\geq 5", "x ≥ 5", True, why=U),
    Case("x \\neq 1", "x ≠ 1", True, why=U),
    Case("90^\\circ", "90°", True, why=U),
    Case("6", "2×3", True, why=U),
    Case(
        "12",
        "12\x00",
        True,
        why="robust: a NUL byte is no character of the answer; Math-Verify's LaTeX parser fails on it",
    ),
    Case(
        "5",
        "5\x005",
        False,
        why="robust: without the NUL byte the answer is 55; Math-Verify's text extractor stops at it and takes 5",
    ),
    Case("55", "5\x005", True, why="as above: robust reads 55, Math-Verify 5 or nothing"),
    Case("12", "\x00", False),
    Case("0", "\x00", False),
]
