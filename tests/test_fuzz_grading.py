"""Adversarial answers: every grading call returns within its limit + 0.5 s, the worker stays under its
address-space limit, and extraction of a response of any size runs in <= 0.1 s per 100 kB.

Rows (>= 1,000, built deterministically): the defects of issue 13 (a 1M-digit boxed number, a
100,000-digit response, `x+([1]*300000000)[0]` that made the paper grader's sympy allocate 2.2 GB),
long digit runs, huge and nested exponents, nested braces, fractions and roots, unbalanced brackets,
NUL bytes and control characters, unicode digits and fractions, and random LaTeX soup; each graded in
paper and robust mode against a few golds.
"""

from __future__ import annotations

import logging
import random
import time

import pytest

from rlvrlab.grading import extract_answer, verify
from rlvrlab.grading.verify import MAX_ANSWER_CHARS
from rlvrlab.grading.worker import default_worker

LIMIT_S = 0.5
SLACK_S = 0.5
EXTRACT_S_PER_100KB = 0.1
_TOKENS = (
    "\\frac{", "\\sqrt{", "{", "}", "^", "^{", "_", "(", ")", "[", "]", "\\left(", "\\right)", "1", "9", "0",
    "x", "e", "i", "\\pi", "+", "-", "*", "/", ",", "=", "\\le", "!", "$", "\\boxed{", "\\infty", ".", " ",
    "\\cdot", "\\text{cm}", "%", "\x00", "½", "１", "²", "√", "\\begin{pmatrix}", "&", "\\\\", "\\end{pmatrix}",
)  # fmt: skip


def _structured_answers() -> list[str]:
    answers = [
        "x+([1]*300000000)[0]",  # passes the paper grader's guard; parse_expr allocates a huge list
        "x+([0]*10**9)[0]",
        "x+len('a'*10**10)",
    ]
    for n in (10, 100, 999, 1000, 1001, 10_000):
        answers += ["7" * n, "1" + "0" * n, "-" + "9" * n + ".5", "0." + "3" * n]
    for depth in (5, 20, 60, 200, 400):
        answers += [
            "{" * depth + "1" + "}" * depth,
            "{" * depth + "1",
            "1" + "}" * depth,
            "\\frac{1}{" * depth + "2" + "}" * depth,
            "\\sqrt{" * depth + "2" + "}" * depth,
            "(" * depth + "x" + ")" * depth,
            "2^{" * depth + "2" + "}" * depth,
            "\\left(" * depth + "1",
        ]
    answers += [
        "10^{10^{10^{10}}}", "9^9^9^9", "(((((9^9)^9)^9)^9)^9)^9", "2^{2^{2^{2^{2^{2}}}}}", "10^{-10^{10}}",
        "\\frac{1}{10^{10^{10}}}", "10^{10^{10}}-10^{10^{10}}", "x^{10^{100}}", "(1+x)^{1000}", "e^{e^{e^{e^{10}}}}",
        "100000!", "(10^{100})!", "\\binom{10^9}{10^4}", "2^{2^{100}} \\bmod 7", "1/2004!", "1/2^{99}",
        "\\sin(10^{100})", "\\sum_{k=1}^{10^{12}} k", "\\prod_{k=1}^{10^6} k", "0^0", "1/0", "\\infty-\\infty",
    ]  # fmt: skip
    answers += ["1\x002", "\x00", "\x00" * 50, "5\x005", "\x01\x02\x03", "1\x1b[31m2"]
    answers += [
        "１２３",
        "٣",
        "½" * 50,
        "³√8",
        "²" * 200,
        "√" * 300 + "2",
        "⅞⅞⅞",
        "−" * 100 + "1",
        "１" * 5000,
    ]
    return answers


def _random_soup(rng: random.Random, count: int) -> list[str]:
    return ["".join(rng.choice(_TOKENS) for _ in range(rng.randint(1, 300))) for _ in range(count)]


def _rows() -> list[tuple[str, str]]:
    """(response, gold) pairs: each answer boxed, bare and in a sentence, against a few golds."""
    rng = random.Random(13)
    answers = _structured_answers()
    answers += _random_soup(rng, max(0, 1000 - len(answers)) + 100)
    golds = ("1", "x+1", "\\frac{1}{2}", "10^{10}")
    rows = []
    for index, answer in enumerate(answers):
        gold = golds[index % len(golds)]
        wrapper = ("\\boxed{%s}", "The answer is %s.", "%s")[index % 3]
        rows.append((wrapper.replace("%s", answer), gold))
    rows += [
        ("\\boxed{" + "7" * 1_000_000 + "}", "7"),
        ("1" * 100_000, "1"),
        ("\\boxed{x+([1]*300000000)[0]}", "x"),
    ]
    return rows


def _big_responses() -> list[str]:
    size = 100_000
    patterns = (
        "7", "$", "$$x$$ ", "\\boxed{", "{", "}", "<answer>", "</answer>", "The answer is ", "answer: $1$ ",
        "\\(", "1,", "-.", "answer ", "xanswer", "Option", "\\)\\)", "\\frac{1}{", "(", "x^{", "\x00", "½", "１", "final answer is $", "I hope",
    )  # fmt: skip
    return [(pattern * (size // len(pattern) + 1))[:size] for pattern in patterns] + ["7" * 1_000_000]


@pytest.mark.slow
def test_fuzz_rows_are_bounded_in_time_and_memory() -> None:
    logging.getLogger("pylatexenc").setLevel(logging.ERROR)  # it warns on every malformed \\frac
    worker = default_worker()
    worker.warm_up()
    rows = _rows()
    assert len(rows) >= 1000
    slowest, memory_verdicts = (0.0, ""), []
    for response, gold in rows:
        for mode in ("paper", "robust"):
            started = time.monotonic()
            extracted = extract_answer(response, mode)  # type: ignore[arg-type]
            verdict = verify(gold, extracted, mode=mode, timeout=LIMIT_S, cache=None)  # type: ignore[arg-type]
            elapsed = time.monotonic() - started
            slowest = max(slowest, (elapsed, f"{mode} {response[:60]!r}"))
            assert elapsed <= LIMIT_S + SLACK_S, (mode, response[:80], verdict, elapsed)
            memory_verdicts += [verdict.reason] if verdict.reason.startswith("memory limit") else []
    limit_bytes = worker.memory_limit_mb * 1024 * 1024
    assert 0 < worker.peak_memory_bytes() <= limit_bytes
    assert memory_verdicts, "the huge-list answer should end in a 'memory limit' verdict"
    print(
        f"\n{len(rows)} rows x 2 modes; slowest {slowest[0]:.2f}s ({slowest[1]}); peak worker VM "
        f"{worker.peak_memory_bytes() / 2**20:.0f} MB of {worker.memory_limit_mb} MB"
    )


@pytest.mark.parametrize("mode", ["paper", "r1", "robust"])
def test_extraction_is_linear_in_the_response(mode: str) -> None:
    for text in _big_responses():
        started = time.process_time()  # CPU time: the shared machine's load does not count
        extract_answer(text, mode)  # type: ignore[arg-type]
        elapsed = time.process_time() - started
        assert elapsed <= EXTRACT_S_PER_100KB * len(text) / 100_000, (mode, text[:20], len(text), elapsed)


def test_oversize_answers_are_verdicts_with_a_reason() -> None:
    long = "7" * (MAX_ANSWER_CHARS + 1)
    for mode in ("paper", "robust"):
        verdict = verify("7", long, mode=mode, cache=None)  # type: ignore[arg-type]
        assert not verdict.correct and verdict.reason.startswith("too long: answer")
        assert verify(long, long, mode=mode, cache=None).correct  # type: ignore[arg-type]
        assert verify(long, "7", mode=mode, cache=None).reason.startswith("too long: gold")  # type: ignore[arg-type]
    assert verify("7", "7" * MAX_ANSWER_CHARS, mode="paper", cache=None).reason == "paper not equivalent"
