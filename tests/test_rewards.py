"""Reward specs, TRL-signature callables, reproducible random rewards, verl adapter, `rlvr grade`."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from rlvrlab.cli import app
from rlvrlab.rewards import REWARDS, RewardError, build_reward, has_repetition, parse_reward_spec
from rlvrlab.rewards.verl import compute_score

NAME_CASES = [
    ("ground_truth", "ground_truth"),
    ("label", "label"),
    ("random:0.5", "random_0.5"),
    ("random", "random_0.5"),
    ("format&!python", "format_and_not_python"),
    ("!no_repetition", "not_no_repetition"),
]


@pytest.mark.parametrize(("spec", "name"), NAME_CASES)
def test_spec_names(spec: str, name: str) -> None:
    assert build_reward(spec).__name__ == name


@pytest.mark.parametrize("spec", ["", "foo", "random:2", "random:abc", "format&", "python:3", "eval(1)"])
def test_bad_specs_raise_value_error(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_reward_spec(spec)


def test_unknown_spec_lists_valid_ones() -> None:
    with pytest.raises(ValueError) as error:
        build_reward("majority")
    assert all(name in str(error.value) for name in REWARDS)


TEXT_CASES = [
    ("format", "so \\boxed{3}", 1.0),
    ("format", "so \\boxed{}", 0.0),
    ("format", "so \\boxed{3", 0.0),  # unclosed
    ("format", "so \\fbox{3}", 0.0),
    ("format", "so \\boxed{ }", 0.0),
    ("format", "no box", 0.0),
    ("python", "Let's use PYTHON code", 1.0),
    ("python", "plain reasoning", 0.0),
    ("!python", "plain reasoning", 1.0),
    ("format&!python", "```python\n```\n\\boxed{2}", 0.0),
    ("format&!python", "\\boxed{2}", 1.0),
    ("no_repetition", "abcdefghij" * 10, 0.0),
    ("no_repetition", "abcdefghij" * 9, 1.0),
    ("no_repetition", "ab" * 60, 0.0),
    ("no_repetition", "a normal answer \\boxed{1}", 1.0),
]


@pytest.mark.parametrize(("spec", "text", "expected"), TEXT_CASES)
def test_text_rewards(spec: str, text: str, expected: float) -> None:
    assert build_reward(spec)(["p"], [text]) == [expected]


def test_repetition_needs_a_long_enough_block() -> None:
    assert not has_repetition("abc" * 3)
    assert has_repetition("x" + "0123456789abcdef" * 10 + "y")


def test_ground_truth_and_label_columns() -> None:
    completions = ["\\boxed{070}", "\\boxed{5}", [{"role": "assistant", "content": "the answer is 142"}]]
    assert build_reward("ground_truth")(["p"] * 3, completions, answer=["70", "6", "142.0"]) == [
        1.0,
        0.0,
        1.0,
    ]
    assert build_reward("label")(["p"] * 3, completions, label=["1", "5", "0"]) == [0.0, 1.0, 0.0]


def test_missing_column_fails_loudly_with_name_and_row() -> None:
    with pytest.raises(RewardError, match=r"label.*row 0"):
        build_reward("label")(["p"], ["\\boxed{1}"], answer=["1"])


def test_bad_completion_type_fails_loudly() -> None:
    with pytest.raises(RewardError, match="format"):
        build_reward("format")(["p", "p"], ["ok", 5], id=[1, 2])


def _random_call(reward, step: int, ids: list[int]) -> list[float]:
    return reward(["p"] * len(ids), ["x"] * len(ids), id=ids, trainer_state=SimpleNamespace(global_step=step))


def test_random_reward_is_reproducible_and_seeded() -> None:
    ids = [i for i in range(64) for _ in range(16)]
    first = _random_call(build_reward("random:0.5", seed=1), 3, ids)
    resumed = _random_call(pickle.loads(pickle.dumps(build_reward("random:0.5", seed=1))), 3, ids)
    other_seed = _random_call(build_reward("random:0.5", seed=2), 3, ids)
    next_step = _random_call(build_reward("random:0.5", seed=1), 4, ids)
    assert first == resumed
    assert first != other_seed and first != next_step
    assert 0.45 < sum(first) / len(first) < 0.55
    assert len(set(first[:16])) == 2  # samples of one prompt get different draws


@pytest.mark.parametrize(("gamma", "expected"), [(0.0, 0.0), (1.0, 1.0)])
def test_random_reward_extremes(gamma: float, expected: float) -> None:
    assert set(_random_call(build_reward(f"random:{gamma}"), 0, list(range(50)))) == {expected}


def test_random_reward_default_step_is_zero() -> None:
    reward = build_reward("random:0.3")
    assert reward(["p"] * 4, ["x"] * 4, id=[7] * 4) == _random_call(reward, 0, [7] * 4)


def test_verl_adapter() -> None:
    assert compute_score("math", "so \\boxed{\\frac12}", "0.5") == 1.0
    assert compute_score("math", "so \\boxed{3}", "300", extra_info={"grading_mode": "robust"}) == 0.0


def test_cli_grade(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    rows = [{"response": "\\boxed{070}", "answer": "70"}, {"response": "the answer is 3", "answer": "300"}]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["grade", str(source), "--mode", "robust", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "accuracy 0.5000" in result.output and "timeouts 0" in result.output
    graded = [json.loads(line) for line in out.read_text().splitlines()]
    assert [g["correct"] for g in graded] == [True, False] and graded[0]["extracted"] == "070"


def test_cli_grade_bad_row(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"response": "x"}\n')
    result = CliRunner().invoke(app, ["grade", str(source), "--out", str(tmp_path / "o.jsonl")])
    assert (
        result.exit_code == 2
        and "answer" in result.output
        and "in.jsonl:1" in result.output.replace("\n", "")
    )
