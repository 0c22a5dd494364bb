"""robust_never_equal only skips grader calls: every pair it decides, the robust grader calls different."""

from __future__ import annotations

import pytest

from rlvrlab.labels.cluster import _shape, canonical_key
from rlvrlab.labels.never_equal import robust_never_equal

# Pairs seen in benchmarks/label_clustering.py (all reached the sympy worker before) plus generic ones.
DECIDED = [
    # constant vs variable
    ("1\\frac{4}{5}", "x^8+x^7+x^6+x^5+x^4+x^3+x^2+x+1"), ("2\\frac{2}{5}", "x^8+x+1"),
    ("1\\frac{\\sqrt{2}}{2}", "x^8+x^7+x^6+x^5+x^4+x^3+x^2+x+1"), ("6.0", "\\cot x"), ("12", "\\cotx"),
    ("\\frac{16\\pi}{9}", "6r^2-4r-24"), ("10^{", "-10x"), ("0", "\\cos t"), ("3", "\\tan{y}"),
    ("(5)(2)", "-13x+3"), ("\\frac{5}{36}", "8n^2+4n+1"), ("2", "Carla"), ("\\sqrt{2}", "\\frac{x}{2}"),
    # scalar vs tuple / interval / union / matrix
    ("(3,\\frac{\\pi}{2})", "x^8+x^7+x^6+x^5+x^4+x^3+x^2+x+1"), ("6r^2-4r-24", "(\\frac{3}{5},\\frac{8}{3}]"),
    ("-10x", "(-1,6)"), ("(-\\infty,0]", "p-q"), ("(5,\\infty)", "-12920-5778\\sqrt{5}"),
    ("\\sqrt{51}", "[3,\\infty)"), ("x", "(x,y)"), ("2", "[2,2)"),
    ("8n^2+4n+1", "\\begin{pmatrix}-1&0\\\\0&-1\\end{pmatrix}"), ("e", "(e,1)"), ("12", "[-2,7]"),
    ("21", "[\\frac{\\pi^2}{8},\\frac{\\pi^2}{4}]"), ("\\frac{7}{1}", "(-\\infty,2)\\cup(3,\\infty)"),
    ("180^\\circ", "(-\\sqrt{3},\\sqrt{3})"), ("x+1", "(0,9)\\cup(9,36)"), ("-1", "[-\\infty,-1]"),
    ("\\frac{-1}{1}", "y=2x+3"), ("9", "y=-2x"), ("\\textbf{(E)}", "(2,4)"), ("(B)", "(1,2,3)"),
    ("5x-7y+11z+4=0", "(-\\sqrt{3},\\sqrt{3})"), ("y=2", "(1,3)"), ("-1,2", "(6,31,-1)"), ("1,2", "(1,2,3)"),
    ("43", "6+4\\sqrt{2}+i(-1+2\\sqrt{2})"), ("\\frac{16}{3}", "6+4\\sqrt{2}+i(-1+2\\sqrt{2})"), ("6", "6-5i"),
    ("106^\\circ", "-2+7i"), ("0", "2i"), ("-1", "-i"), ("\\sqrt{2}", "\\sqrt{2}+\\frac{1}{2}i"), ("1", "3/2i"), ("x=1", "\\begin{pmatrix}1\\\\2\\end{pmatrix}"),
    # choice letter vs exact number
    ("\\textbf{(E)}", "3"), ("\\text{(B)}", "11"), ("(E)", "2.00"), ("I", "-1"), ("E", "\\frac{1940}{1}"),
]  # fmt: skip

# Pairs no rule may decide: some are equal to the grader, the others need sympy's reading.
UNDECIDED = [
    ("3", "3R^2+\\frac{1}{3}(^2+b^2+^2)"),  # Math-Verify falls back to reading "3"
    ("-1", "i^2"), ("1", "e^{0}"), ("x", "\\text{x}"), ("1", "x-x+1"), ("1", "x^0"), ("2", "\\sin e"),
    ("-2x", "y=-2x"), ("(a+5)(b+2)", "2.0"), ("\\text{Navin}", "Navin"), ("(1,2)", "1,2"),
    ("\\textbf{(E)}", "\\frac{16\\pi}{9}"), ("5", "\\begin{vmatrix}1&2\\\\3&11\\end{vmatrix}"),
    ("2", "[2,2.0000001]"), ("2", "[2,2]\\cup(3,4)"), ("2", "[a,b]"), ("5", "x=5"), ("1", "y=x-x+1"),
    ("2", "2x=4"), ("3", "y=x=3"), ("x=(1,2)", "(1,2)"), ("x=2", "[2,2]"), ("1,2,3", "(3,2,1)"), ("1,2", "(1,2,2)"), ("1,2", "(2,1)"), ("-1", "i^2"), ("0", "0i"), ("0", "2-2+0i"),
    ("\\sqrt{-1}", "i"), ("1", "i(1)"), ("2", "2^-3i"),
]  # fmt: skip


def decided(a: str, b: str) -> bool:
    key_a, key_b = canonical_key(a, "robust"), canonical_key(b, "robust")
    return robust_never_equal(key_a, key_b, _shape(key_a), _shape(key_b))


@pytest.mark.parametrize(("a", "b"), DECIDED)
def test_decided_pairs_are_different_to_the_robust_grader(a: str, b: str) -> None:
    from rlvrlab.grading import verify

    assert decided(a, b) and decided(b, a)
    assert not verify(a, b, mode="robust", cache=None).correct
    assert not verify(b, a, mode="robust", cache=None).correct


@pytest.mark.parametrize(("a", "b"), UNDECIDED)
def test_pairs_that_need_the_grader_are_left_to_it(a: str, b: str) -> None:
    assert not decided(a, b) and not decided(b, a)


def test_some_undecided_pairs_really_are_equal() -> None:
    """Why the rules stay narrow: each of these looks 'unlike' but the robust grader calls it equal."""
    from rlvrlab.grading import verify

    for a, b in [("3", "3R^2+\\frac{1}{3}(^2+b^2+^2)"), ("-2x", "y=-2x"), ("\\text{Navin}", "Navin")]:
        assert verify(a, b, mode="robust", cache=None).correct, (a, b)


def test_one_point_sets_are_left_to_the_grader() -> None:
    """Closed intervals, bare lists, unions and vmatrices can be one number (or one interval)."""
    from rlvrlab.grading import verify
    from rlvrlab.labels.cluster import structurally_different

    for a, b in [("2", "[2,2]"), ("x", "[x,x]"), ("2", "2,2"), ("2", "[2,2]\\cup[2,2]"),
                 ("5", "\\begin{vmatrix}1&2\\\\3&11\\end{vmatrix}"), ("(0,36)", "(0,9]\\cup(9,36)")]:  # fmt: skip
        assert verify(a, b, mode="robust", cache=None).correct, (a, b)
        key_a, key_b = canonical_key(a, "robust"), canonical_key(b, "robust")
        assert not structurally_different(key_a, key_b) and not decided(a, b), (a, b)
