"""Reward specs -> reward objects. Specs are parsed, never `eval`-ed.

Grammar: spec := term ('&' term)*; term := '!' term | name [':' argument].
Examples: "ground_truth", "label", "random:0.5", "format&!python", "!no_repetition".
A spec longer than `MAX_SPEC_CHARS` is refused (a typo or a pasted file, never a real reward).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rlvrlab.grading import GRADING_MODES
from rlvrlab.rewards.library import (
    AllReward,
    CorrectnessReward,
    FormatReward,
    NoRepetitionReward,
    NotReward,
    PythonReward,
    RandomReward,
    Reward,
)

MAX_SPEC_CHARS = 1000


@dataclass(frozen=True)
class BuildOptions:
    """Settings shared by every reward in a spec."""

    seed: int = 42
    grading_mode: str = "paper"


def _no_argument(name: str, argument: str | None) -> None:
    if argument is not None:
        raise ValueError(f"reward {name!r} takes no argument, got {name}:{argument}")


def _ground_truth(argument: str | None, options: BuildOptions) -> Reward:
    _no_argument("ground_truth", argument)
    return CorrectnessReward("answer", options.grading_mode)  # type: ignore[arg-type]


def _label(argument: str | None, options: BuildOptions) -> Reward:
    _no_argument("label", argument)
    return CorrectnessReward("label", options.grading_mode)  # type: ignore[arg-type]


def _random(argument: str | None, options: BuildOptions) -> Reward:
    if argument is None:
        return RandomReward(0.5, options.seed)
    try:
        gamma = float(argument)
    except ValueError:
        raise ValueError(
            f"random reward needs a number in [0, 1], e.g. random:0.5; got {argument!r}"
        ) from None
    return RandomReward(gamma, options.seed)


def _simple(cls: type[Reward]) -> Callable[[str | None, BuildOptions], Reward]:
    def construct(argument: str | None, options: BuildOptions) -> Reward:
        _no_argument(cls.__name__, argument)
        return cls()

    return construct


REWARDS: dict[str, Callable[[str | None, BuildOptions], Reward]] = {
    "ground_truth": _ground_truth,
    "label": _label,
    "format": _simple(FormatReward),
    "random": _random,
    "python": _simple(PythonReward),
    "no_repetition": _simple(NoRepetitionReward),
}


def _valid_specs_message() -> str:
    return (
        "valid rewards: " + ", ".join(sorted(REWARDS)) + "; 'random' takes an optional gamma (random:0.5); "
        "combine with '!' (not) and '&' (and), e.g. 'format&!python'"
    )


def _parse_term(term: str, options: BuildOptions) -> Reward:
    """`!!x` is x: negations are counted, not nested (a long run of '!' never recurses)."""
    prefix = term[: len(term) - len(term.lstrip("! \t\n"))]
    term = term[len(prefix) :].strip()
    if prefix.count("!") % 2:
        return NotReward(_parse_term(term, options))
    name, _, argument = term.partition(":")
    name = name.strip()
    if name not in REWARDS:
        raise ValueError(f"unknown reward {name!r} in spec; {_valid_specs_message()}")
    return REWARDS[name](argument.strip() if ":" in term else None, options)


def parse_reward_spec(spec: str, *, seed: int = 42, grading_mode: str = "paper") -> Reward:
    """Parse a spec like "format&!python" into a reward object (ValueError naming the fix if bad)."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"empty reward spec; {_valid_specs_message()}")
    if len(spec) > MAX_SPEC_CHARS:
        raise ValueError(
            f"reward spec of {len(spec):,} characters (at most {MAX_SPEC_CHARS}): specs are short, "
            "e.g. 'format&!python'"
        )
    if grading_mode not in GRADING_MODES:
        raise ValueError(f"unknown grading mode {grading_mode!r}; use one of {GRADING_MODES}")
    options = BuildOptions(seed=seed, grading_mode=grading_mode)
    terms = spec.split("&")
    if any(not t.strip() for t in terms):
        raise ValueError(f"empty term in reward spec {spec!r}; {_valid_specs_message()}")
    rewards = [_parse_term(t, options) for t in terms]
    return rewards[0] if len(rewards) == 1 else AllReward(rewards)


def build_reward(spec: str, *, seed: int = 42, grading_mode: str = "paper") -> Reward:
    """A TRL reward function for `spec`, with a `__name__` usable as the metric name."""
    return parse_reward_spec(spec, seed=seed, grading_mode=grading_mode)
