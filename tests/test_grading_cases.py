"""The grading case tables (tests/grading_cases/): robust mode's verdicts, and every disagreement with
Math-Verify 0.9.0 explained; the agreement figures themselves are printed by benchmarks/grading.py."""

from __future__ import annotations

import logging

import pytest

from rlvrlab.grading.worker import default_worker
from tests.grading_cases import Case, Table, math_verify_verdict, response, robust_verdict, tables

TABLES = tables()
ROWS = [
    pytest.param(table, case, setting, id=f"{table.kind}-{index}-{setting}")
    for table in TABLES
    for index, case in enumerate(table.cases)
    for setting in table.settings
]


@pytest.fixture(scope="module", autouse=True)
def warm_worker() -> None:
    default_worker().warm_up()


@pytest.mark.parametrize(("table", "case", "setting"), ROWS)
def test_robust_mode_on_case_tables(table: Table, case: Case, setting: str) -> None:
    verdict = robust_verdict(case.gold, response(case, setting))
    if setting in case.robust_miss:
        assert verdict is not case.expected, f"fixed: remove robust_miss from {case}"
    else:
        assert verdict is case.expected, case


def test_case_tables_are_well_formed() -> None:
    for table in TABLES:
        assert table.cases and set(table.settings) <= {"full_text", "boxed"}
        for case in table.cases:
            assert set(case.robust_miss) <= set(table.settings), case
            assert not case.robust_miss or case.why, f"a known miss needs its reason: {case}"
    assert sum(len(t.cases) for t in TABLES) >= 250


@pytest.mark.slow
def test_every_disagreement_with_math_verify_is_explained_and_robust_agrees_more() -> None:
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    unexplained, agree = [], {"full_text": [0, 0, 0], "boxed": [0, 0, 0]}  # robust, math-verify, rows
    for table in TABLES:
        for case in table.cases:
            for setting in table.settings:
                text = response(case, setting)
                robust, mv = robust_verdict(case.gold, text), math_verify_verdict(case.gold, text)
                counts = agree[setting]
                counts[0], counts[1], counts[2] = (
                    counts[0] + (robust == case.expected),
                    counts[1] + (mv == case.expected),
                    counts[2] + 1,
                )
                if robust != mv and not table.explained(case, setting, robust == case.expected):
                    unexplained.append((table.kind, setting, case))
    assert unexplained == []
    for setting, (robust, mv, _) in agree.items():
        assert robust >= mv, (setting, agree)
