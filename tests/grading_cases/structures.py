"""Sets, lists, tuples, intervals, matrices and vectors."""

from tests.grading_cases import BARE_ANSWER_WHY, Case

SETTINGS = ("full_text", "boxed")
FULL_TEXT_WHY = BARE_ANSWER_WHY

_P = "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}"

CASES = [
    Case("\\{1, 2\\}", "\\{2, 1\\}", True),
    Case("1, 2", "2, 1", True),
    Case("1,-2", "-2, 1", True),
    Case("3, 5, 7", "3, 5", False),
    Case("3, 5, 7", "3", False),
    Case("(1, 2)", "(2, 1)", False),
    Case("(1, 2)", "\\left(1, 2\\right)", True),
    Case("\\left( 3, \\frac{\\pi}{2} \\right)", "(3, \\pi/2)", True),
    Case("(15,-29)", "(15, -29)", True),
    Case("(15,-29)", "(-29, 15)", False),
    Case("[1, 2)", "[1,2)", True),
    Case("(2,\\infty)", "[2,\\infty)", False),
    Case("(2,\\infty)", "(2, \\infty)", True),
    Case("[-2, 7]", "[-2,7]", True),
    Case("(-\\infty, 0) \\cup (1, \\infty)", "(-\\infty,0)\\cup(1,\\infty)", True),
    Case("(-\\infty, 0) \\cup (1, \\infty)", "(-\\infty,0)\\cup[1,\\infty)", False),
    Case(_P, "\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}", True),
    Case(_P, "\\left[\\begin{array}{cc}1&2\\\\3&4\\end{array}\\right]", True),
    Case(_P, "\\begin{pmatrix}1&2\\\\3&5\\end{pmatrix}", False),
    Case(_P, "\\begin{pmatrix}1&3\\\\2&4\\end{pmatrix}", False),
    Case(
        "\\begin{pmatrix} 1/5 \\\\ -18/5 \\end{pmatrix}",
        "\\begin{pmatrix} \\frac{1}{5} \\\\ -\\frac{18}{5} \\end{pmatrix}",
        True,
    ),
    Case(
        "\\begin{pmatrix} -7 \\\\ 16 \\\\ 5 \\end{pmatrix}",
        "\\begin{pmatrix} -7 \\\\ 16 \\\\ 5 \\end{pmatrix}",
        True,
    ),
    Case(
        "\\begin{pmatrix} -7 \\\\ 16 \\\\ 5 \\end{pmatrix}",
        "\\begin{pmatrix} -7 \\\\ 16 \\end{pmatrix}",
        False,
    ),
    Case("\\begin{pmatrix} 2 \\\\ 3 \\end{pmatrix}", "\\begin{bmatrix} 2 \\\\ 3 \\end{bmatrix}", True),
    Case("\\begin{pmatrix} 2 \\\\ 3 \\end{pmatrix}", "\\begin{pmatrix} 2 & 3 \\end{pmatrix}", False),
    Case("\\emptyset", "\\{\\}", True),
    Case("\\{3\\}", "3", True),
]
