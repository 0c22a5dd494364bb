"""Fresh problems (`rlvr data generate`): determinism, exact answers checked by an independent evaluator
(sympy), grader round-trips in every answer format, and use wherever a benchmark name is."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from typer.testing import CliRunner

from rlvrlab.cli import app
from rlvrlab.data import load_problems
from rlvrlab.data.generate import (
    families,
    format_fraction,
    generate_problems,
    generated_problems,
    parse_settings,
    write_problems,
)
from rlvrlab.grading import grade

FAMILIES = tuple(families())


def _latex_to_plain(expression: str) -> str:
    text = re.sub(r"\\frac\{(\d+)\}\{(\d+)\}", r"(\1/\2)", expression)
    return text.replace("\\times", "*").replace("\\div", "/")


def _sympy_value(expression: str) -> Fraction:
    """Evaluate with sympy's exact rationals: an evaluator independent of the generator's tree code."""
    value = sympy.sympify(_latex_to_plain(expression), rational=True)
    assert value.is_Rational, expression
    return Fraction(int(value.p), int(value.q))


@pytest.mark.parametrize("family", FAMILIES)
def test_rows_are_a_deterministic_function_of_family_seed_and_settings(family: str) -> None:
    rows = generate_problems(family, 40, seed=3)
    assert rows == generate_problems(family, 40, seed=3)
    assert rows != generate_problems(family, 40, seed=4)
    assert len({r["problem"] for r in rows}) == 40  # distinct problems
    assert [r["id"] for r in rows] == [f"{family}-s3/{i}" for i in range(40)]
    if family != "linear-equation":
        assert rows != generate_problems(family, 40, seed=3, settings=["max_operand=7"])


@pytest.mark.parametrize("notation", ["latex", "plain"])
def test_calculation_answers_are_exact(notation: str) -> None:
    rows = generate_problems("random-calculation", 150, seed=1, settings=[f"notation={notation}"])
    steps = {r["steps"] for r in rows}
    assert min(steps) == 1 and max(steps) >= 15  # 1-20 operations
    assert any("/" in r["answer_exact"] for r in rows)  # fractions really occur
    for row in rows:
        expression = row["problem"].removeprefix("Compute $").removesuffix("$.")
        assert _sympy_value(expression) == Fraction(row["answer_exact"]), row


def test_sim_calculation_looks_like_the_sim_world() -> None:
    sim500 = load_problems("sim500", limit=50)
    shape = re.compile(r"^(Compute|What is|Evaluate) \(\(\(\d [+-] \d\) [+-] \d\) [+-] \d\) [+-] \d[.?]$")
    assert all(shape.match(p.problem) for p in sim500)  # the pattern describes the shipped benchmark
    rows = generate_problems("sim-calculation", 200, seed=0)
    assert all(shape.match(r["problem"]) for r in rows)
    for row in rows:
        expression = re.sub(r"^(Compute|What is|Evaluate) |[.?]$", "", row["problem"])
        assert _sympy_value(expression) == Fraction(row["answer"])


def test_linear_equation_answers_solve_the_equation() -> None:
    x = sympy.Symbol("x")
    for row in generate_problems("linear-equation", 100, seed=2):
        equation = row["problem"].removeprefix("Solve for $x$: $").removesuffix("$.")
        left, right = (sympy.sympify(re.sub(r"(\d)x", r"\1*x", side)) for side in equation.split("="))
        (solution,) = sympy.solve(sympy.Eq(left, right), x)
        assert Fraction(int(solution.p), int(solution.q)) == Fraction(row["answer_exact"]), row


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("answer_format", ["latex", "plain"])
@pytest.mark.parametrize("mode", ["paper", "robust"])
def test_answers_round_trip_through_the_grader(family: str, answer_format: str, mode: str) -> None:
    rows = generate_problems(family, 30, seed=5, settings=[f"answer_format={answer_format}"])
    for row in rows:
        exact = Fraction(row["answer_exact"])
        assert row["answer"] == format_fraction(exact, answer_format)
        for written in (format_fraction(exact, "latex"), format_fraction(exact, "plain")):
            assert grade(f"so \\boxed{{{written}}}", row["answer"], mode=mode).correct, (written, row)
        wrong = format_fraction(exact + Fraction(1, 7), answer_format)
        assert not grade(f"\\boxed{{{wrong}}}", row["answer"], mode=mode).correct, (wrong, row)


def test_format_fraction() -> None:
    assert format_fraction(Fraction(-3, 4), "latex") == "-\\frac{3}{4}"
    assert format_fraction(Fraction(-3, 4), "plain") == "-3/4"
    assert format_fraction(Fraction(12), "latex") == "12"


def test_bad_settings_name_the_fix() -> None:
    defaults = families()["random-calculation"].defaults
    with pytest.raises(ValueError, match="KEY one of min_steps"):
        parse_settings(defaults, ["steps=3"])
    with pytest.raises(ValueError, match="max_steps expects int"):
        parse_settings(defaults, ["max_steps=many"])
    with pytest.raises(ValueError, match="shape expects tree | chain"):
        parse_settings(defaults, ["shape=spiral"])
    with pytest.raises(ValueError, match="min_steps <= max_steps"):
        parse_settings(defaults, ["min_steps=5", "max_steps=2"])
    with pytest.raises(ValueError, match="unknown problem family"):
        generate_problems("calculus", 3)
    with pytest.raises(ValueError, match="only 2 distinct problems"):
        generate_problems(
            "random-calculation", 5, settings=["max_steps=1", "max_operand=1", "ops=+-", "fraction_rate=0"]
        )
    assert parse_settings(defaults, ["templates=A {e}|B {e}"]).templates == ("A {e}", "B {e}")


def test_cli_writes_a_set_every_loader_reads_and_never_clobbers_one(tmp_path: Path) -> None:
    out = tmp_path / "fresh.jsonl"
    runner = CliRunner()
    args = ["data", "generate", "linear-equation", "--n", "20", "--seed", "9", "--out", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    problems = load_problems(str(out))
    assert [p.id for p in problems] == [f"linear-equation-s9/{i}" for i in range(20)]
    assert [p.answer for p in problems] == [
        r["answer"] for r in generate_problems("linear-equation", 20, seed=9)
    ]
    assert problems == generated_problems("linear-equation", 20, seed=9)
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "already there" in again.output
    other = runner.invoke(app, [*args[:-2], "--seed", "10", "--out", str(out)])
    assert other.exit_code == 2 and "exists with other content" in other.output
    assert load_problems(str(out))[0].id == "linear-equation-s9/0"  # the first set is intact
    with pytest.raises(ValueError, match="exists with other content"):
        write_problems(generate_problems("linear-equation", 3), out)
    assert json.loads(out.read_text().splitlines()[0])["source"] == "linear-equation"


def test_generated_set_is_a_benchmark_and_training_data(tiny_model_dir: Path, tmp_path: Path) -> None:
    from rlvrlab.evaluate import EvalConfig, run_eval
    from rlvrlab.train.config import PRESETS, TrainConfig
    from rlvrlab.train.run import build_dataset, load_policy

    path = tmp_path / "calc.jsonl"
    write_problems(generate_problems("random-calculation", 6, seed=0, settings=["max_steps=3"]), path)
    config = EvalConfig(
        model=str(tiny_model_dir),
        out=str(tmp_path / "eval"),
        benchmarks=(str(path),),
        overrides=("max_new_tokens=8",),
    )
    summary = run_eval(config)
    assert summary["benchmarks"][str(path)]["n_problems"] == 6
    train_config = TrainConfig(**{**PRESETS["cpu-small"], "model": str(tiny_model_dir), "data": str(path)})
    dataset = build_dataset(train_config, load_policy(train_config)[1])
    assert dataset["answer"] == [
        r["answer"] for r in generate_problems("random-calculation", 6, 0, ["max_steps=3"])
    ]
