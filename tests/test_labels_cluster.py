"""Answer clustering and label choice on hand-made answer sets (real grader, no model)."""

from __future__ import annotations

import pytest

from rlvrlab.labels.cluster import (
    Cluster,
    Grader,
    choose_label,
    cluster_answers,
    cluster_answers_naive,
    exact_number,
)

ROBUST = Grader(mode="robust")


def sizes(clusters: list[Cluster]) -> list[int]:
    return [c.count for c in clusters]


# (answers, expected cluster sizes in creation order, expected majority label)
CASES = [
    (["1/2", "0.5", "\\frac{1}{2}", "2"], [3, 1], "1/2"),
    (["2", "1/2", "0.5", "\\frac12", "\\dfrac{1}{2}"], [1, 4], "1/2"),
    (["12", "12.0", "$12$", " 12 ", "13"], [4, 1], "12"),
    (["x+1", "1+x", "x+2", "x + 1"], [3, 1], "x+1"),
    (["\\sqrt{2}/2", "\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}", "\\sqrt{3}"], [3, 1], "\\sqrt{2}/2"),
    (["(1,2)", "(2,1)", "(1, 2)"], [2, 1], "(1,2)"),
    (["5", "6", "7"], [1, 1, 1], "5"),
]


@pytest.mark.parametrize(("answers", "expected_sizes", "expected_label"), CASES)
def test_clusters_by_equivalence_not_strings(answers, expected_sizes, expected_label):
    clusters = cluster_answers(answers, ROBUST)
    assert sizes(clusters) == expected_sizes
    assert choose_label(clusters).label == expected_label


@pytest.mark.parametrize(("answers", "expected_sizes", "expected_label"), CASES)
def test_fast_and_naive_clustering_agree(answers, expected_sizes, expected_label):
    fast, naive = cluster_answers(answers, ROBUST), cluster_answers_naive(answers, ROBUST)
    assert [c.answers for c in fast] == [c.answers for c in naive]


def test_vote_share_and_counts():
    choice = choose_label(cluster_answers(["1/2", "0.5", "\\frac{1}{2}", "2"], ROBUST))
    assert choice.vote_share == pytest.approx(0.75)
    assert choice.n_answers == 4
    assert choice.clusters == (("1/2", 3), ("2", 1))


def test_empty_answers_are_not_votes():
    choice = choose_label(cluster_answers([None, "", "   ", "3", None], ROBUST))
    assert (choice.label, choice.n_answers, choice.vote_share) == ("3", 1, 1.0)
    nothing = choose_label(cluster_answers([None, " ", ""], ROBUST))
    assert (nothing.label, nothing.n_answers, nothing.vote_share, nothing.clusters) == ("", 0, 0.0, ())


@pytest.mark.parametrize(
    ("answers", "mode", "expected"),
    [
        (["3", "5", "5", "3"], "majority", "3"),  # tie: the cluster seen first wins
        (["5", "3", "3", "5"], "majority", "5"),
        (["3", "5", "5", "7"], "majority", "5"),  # a real majority beats an earlier answer
        (["3", "3", "5", "7"], "minority", "5"),  # smallest clusters tie: the earliest wins
        (["7", "3", "3", "5"], "minority", "7"),
        (["4", "4", "4"], "minority", "4"),  # one cluster: minority is the majority
    ],
)
def test_tie_break_is_first_appearance(answers, mode, expected):
    assert choose_label(cluster_answers(answers, ROBUST), mode).label == expected


def test_label_is_the_most_common_surface_form():
    assert choose_label(cluster_answers(["0.5", "1/2", "1/2", "3"], ROBUST)).label == "1/2"
    assert choose_label(cluster_answers(["0.5", "1/2", "3"], ROBUST)).label == "0.5"


def test_random_label_is_seeded_and_covers_all_clusters():
    clusters = cluster_answers(["1", "1", "1", "2", "3"], ROBUST)
    draws = {choose_label(clusters, "random", seed=0, key=f"p{i}").label for i in range(60)}
    assert draws == {"1", "2", "3"}  # uniform over distinct answers, not over votes
    again = [choose_label(clusters, "random", seed=0, key=f"p{i}").label for i in range(20)]
    assert again == [choose_label(clusters, "random", seed=0, key=f"p{i}").label for i in range(20)]
    other_seed = [choose_label(clusters, "random", seed=1, key=f"p{i}").label for i in range(20)]
    assert other_seed != again


def test_unknown_mode_raises():
    with pytest.raises(ValueError, match="majority"):
        choose_label([], "plurality")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="robust"):
        Grader(mode="strict")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "value"),
    [("0.5", (1, 2)), ("-\\frac{3}{4}", (-3, 4)), ("\\frac34", (3, 4)), ("12", (12, 1)), ("2^{-1}", (1, 2))],
)
def test_exact_number(text, value):
    number = exact_number(text)
    assert number is not None and (number.numerator, number.denominator) == value


@pytest.mark.parametrize("text", ["\\sqrt{2}", "\\pi", "x", "1/0", "(1,2)", "\\frac{1}{0}"])
def test_exact_number_rejects_non_rationals(text):
    assert exact_number(text) is None


def test_a_rounded_decimal_is_not_its_fraction():
    assert exact_number("0.33333") != exact_number("1/3")


def test_robust_key_is_lossless():
    """The paper normaliser deletes unit words ('c' in 'c+b'); the robust key must not merge these."""
    assert ROBUST.key("c+b") != ROBUST.key("+b")
    assert Grader(mode="paper").key("c+b") == Grader(mode="paper").key("+b")


class CountingGrader(Grader):
    """The real grader, counting equivalence calls."""

    def equivalent(self, gold: str, pred: str) -> bool:
        object.__setattr__(self, "calls", getattr(self, "calls", 0) + 1)
        return super().equivalent(gold, pred)


def test_distinct_exact_numbers_need_no_grader_call_in_robust_mode():
    grader = CountingGrader(mode="robust")
    clusters = cluster_answers(["1", "2", "0.5", "1/2", "3", "1.0"] * 5, grader)
    assert sizes(clusters) == [10, 5, 10, 5]
    assert getattr(grader, "calls", 0) == 0
    naive = CountingGrader(mode="robust")
    cluster_answers_naive(["1", "2", "0.5", "1/2", "3", "1.0"] * 5, naive)
    assert naive.calls > 30


def test_paper_mode_keys_by_string_not_value():
    """The paper's grader keeps an unreduced fraction apart from its value; robust mode joins them."""
    answers = ["\\frac{1}{2}", "2/4", "0.5"]
    assert sizes(cluster_answers(answers, Grader(mode="paper"))) == [2, 1]
    assert sizes(cluster_answers_naive(answers, Grader(mode="paper"))) == [2, 1]
    assert sizes(cluster_answers(answers, ROBUST)) == [3]


STRUCTURAL = ["3", "-2.5", "\\frac{1}{2}", "[3,\\infty)", "(3,\\frac{\\pi}{2})", "-1,2", "(2,12)\\cup(12,102)",
              "\\text{east}", "\\text{Evelyn}", "(6,31,-1)", "(-1,2)", "2,-1,2", "(1,2,2)",
              "\\begin{pmatrix}1\\\\2\\end{pmatrix}", "\\begin{pmatrix}1&2\\end{pmatrix}"]  # fmt: skip
OTHER = ["1,000", "\\max(1,2)", "(5)(2)", "\\frac{f(1,2)}{3}", "1\\pm\\sqrt{19}", "x+1", "\\text{(C)}"]


@pytest.mark.parametrize("mode", ["robust", "paper"])
def test_structurally_different_pairs_are_never_equal_to_the_grader(mode: str) -> None:
    """The skip is only an optimisation: every pair it skips, the grader itself calls different."""
    from rlvrlab.grading import verify
    from rlvrlab.labels.cluster import canonical_key, structurally_different

    skipped = 0
    for a in STRUCTURAL + OTHER:
        for b in STRUCTURAL + OTHER:
            if structurally_different(canonical_key(a, mode), canonical_key(b, mode)):
                skipped += 1
                assert not verify(a, b, mode=mode).correct, (a, b)
    assert skipped >= 20  # numbers x collections (x words in robust mode, whose keys keep \\text)
    for a in OTHER:  # lists of forms that must reach the grader
        assert not any(
            structurally_different(canonical_key(a, mode), canonical_key(b, mode)) for b in STRUCTURAL
        )
