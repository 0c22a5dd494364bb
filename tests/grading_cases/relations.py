"""Relations and equations: spellings of >=, <=, !=, <, >; x = 5 against 5; flipped sides."""

from tests.grading_cases import BARE_ANSWER_WHY, Case

SETTINGS = ("full_text", "boxed")
FULL_TEXT_WHY = BARE_ANSWER_WHY

CASES = [
    Case("x \\geq 5", "x >= 5", True),
    Case("x \\geq 5", "x \\ge 5", True),
    Case("x \\geq 5", "x \\geqslant 5", True),
    Case("x \\le 5", "x <= 5", True),
    Case("x \\le 5", "x \\leq 5", True),
    Case("x \\leq 5", "x \\leqslant 5", True),
    Case("x \\neq 5", "x != 5", True),
    Case("x \\neq 5", "x \\ne 5", True),
    Case("x < 5", "x \\lt 5", True),
    Case("x > 5", "x \\gt 5", True),
    Case("x \\geq 5", "5 \\leq x", True),
    Case("x > 5", "5 < x", True),
    Case("x \\geq 5", "x > 5", False),
    Case("x \\geq 5", "x \\leq 5", False),
    Case("x \\neq 5", "x = 5", False),
    Case("x < 5", "x \\le 5", False),
    Case("-2 < x < 3", "-2 < x < 3", True),
    Case("5", "x = 5", True),
    Case("x = 5", "5", True),
    Case("k = 4", "4", True),
    Case("x = 5", "x = 6", False),
    Case("y = 2x + 3", "y = 3 + 2x", True),
    Case("y = 2x + 3", "y = 2x - 3", False),
    Case("y = -\\frac{1}{2}x + 4", "y=-0.5x+4", True),
    Case("x + y = 5", "y = 5 - x", True),
]
