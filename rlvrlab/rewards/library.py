"""Reward functions with TRL's signature, as picklable callable classes.

Every reward is `reward(prompts, completions, **columns) -> list[float]` where `columns` holds the
dataset columns (answer, label, id, ...) as lists plus TRL's `trainer_state` and `completion_ids`.
Completions may be plain strings or chat lists [{"role": "assistant", "content": ...}].
A reward that raises is re-raised as `RewardError` naming the reward and the row: never a silent 0.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from rlvrlab.grading import GradingMode, extract_answer, verify
from rlvrlab.metrics import has_boxed_answer, uses_code

REPEAT_MIN_CHARS = 10
REPEAT_MAX_CHARS = 256
REPEAT_MIN_TIMES = 10


class RewardError(RuntimeError):
    """A reward failed on one row; the message names the reward and the row."""


def completion_text(completion: Any) -> str:
    """The text of a TRL completion: a string, or the content of a chat message list."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Sequence) and all(isinstance(m, dict) for m in completion):
        return "".join(
            str(m.get("content", "")) for m in completion if m.get("role", "assistant") == "assistant"
        )
    raise TypeError(
        f"completion must be a string or a list of chat messages, got {type(completion).__name__}"
    )


class Reward:
    """Base class: subclasses implement `score(text, row_index, context) -> float`. `columns` names the
    dataset columns the reward reads, so a trainer can refuse a data set without them before it starts."""

    __name__ = "reward"
    columns: tuple[str, ...] = ()

    def __call__(self, prompts: list, completions: list, **kwargs: Any) -> list[float]:
        context = RewardContext.from_kwargs(completions, kwargs)
        scores = []
        for index, completion in enumerate(completions):
            try:
                scores.append(float(self.score(completion_text(completion), index, context)))
            except RewardError:
                raise
            except Exception as error:
                row = {k: v[index] for k, v in kwargs.items() if isinstance(v, list) and len(v) > index}
                raise RewardError(
                    f"reward {self.__name__!r} failed on row {index} ({row!r}): {error!r}"
                ) from error
        return scores

    def score(self, text: str, index: int, context: RewardContext) -> float:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<reward {self.__name__}>"


class RewardContext:
    """Per-call data a reward may need: columns, training step, sample index within each prompt's group.

    The sample index is the `sample_index` column when the caller passes one (`RLVRTrainer` does: it is
    the completion's place in its group of the whole rollout, the same whatever the process layout).
    Otherwise completions are counted per id within this call, which is right only when the call holds
    whole groups (a single process, verl, direct calls)."""

    def __init__(self, columns: dict[str, Any], step: int, sample_index: list[int]) -> None:
        self.columns, self.step, self.sample_index = columns, step, sample_index

    @classmethod
    def from_kwargs(cls, completions: list, kwargs: dict[str, Any]) -> RewardContext:
        state = kwargs.get("trainer_state")
        step = int(getattr(state, "global_step", 0) or 0)
        if kwargs.get("sample_index") is not None:
            return cls(kwargs, step, [int(i) for i in kwargs["sample_index"]])
        ids = kwargs.get("id")
        seen: dict[Any, int] = {}
        sample_index = []
        for index in range(len(completions)):
            key = ids[index] if ids is not None else None
            sample_index.append(seen.get(key, 0))
            seen[key] = seen.get(key, 0) + 1
        return cls(kwargs, step, sample_index)

    def column(self, name: str, index: int, reward_name: str) -> Any:
        values = self.columns.get(name)
        if values is None:
            raise RewardError(
                f"reward {reward_name!r} (row {index}) needs a dataset column {name!r}; columns passed: "
                f"{sorted(k for k, v in self.columns.items() if isinstance(v, list))}"
            )
        return values[index]


class CorrectnessReward(Reward):
    """1.0 when the extracted answer is equivalent to `column` (answer: ground truth; label: MV/incorrect)."""

    def __init__(self, column: str = "answer", grading_mode: GradingMode = "paper", timeout: float = 5.0):
        self.column_name, self.grading_mode, self.timeout = column, grading_mode, timeout
        self.__name__ = "ground_truth" if column == "answer" else column
        self.columns = (column,)

    def score(self, text: str, index: int, context: RewardContext) -> float:
        gold = context.column(self.column_name, index, self.__name__)
        if gold is None:
            raise ValueError(f"column {self.column_name!r} is None")
        verdict = verify(str(gold), extract_answer(text), mode=self.grading_mode, timeout=self.timeout)
        return 1.0 if verdict.correct else 0.0


class FormatReward(Reward):
    """1.0 when the last \\boxed{...} is closed and non-empty (`rlvrlab.metrics.has_boxed_answer`, the
    same rule as every reported boxed/format rate)."""

    __name__ = "format"

    def score(self, text: str, index: int, context: RewardContext) -> float:
        return 1.0 if has_boxed_answer(text) else 0.0


class RandomReward(Reward):
    """Bernoulli(gamma), independent of the text; the draw is a hash of (seed, step, id, sample index).

    So a resumed run sees the same rewards, and different seeds give different rewards.
    """

    def __init__(self, gamma: float = 0.5, seed: int = 42):
        if not 0.0 <= gamma <= 1.0:
            raise ValueError(f"random reward gamma must be in [0, 1], got {gamma}")
        self.gamma, self.seed = gamma, seed
        self.__name__ = f"random_{gamma:g}"

    def uniform(self, step: int, prompt_id: Any, sample_index: int) -> float:
        key = f"{self.seed}|{step}|{prompt_id}|{sample_index}".encode()
        return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") / 2**64

    def score(self, text: str, index: int, context: RewardContext) -> float:
        ids = context.columns.get("id")
        prompt_id = ids[index] if ids is not None else f"row{index}"
        draw = self.uniform(context.step, prompt_id, context.sample_index[index])
        return 1.0 if draw < self.gamma else 0.0


class PythonReward(Reward):
    """1.0 when "python" appears in the lower-cased completion (the paper's code-reasoning proxy)."""

    __name__ = "python"

    def score(self, text: str, index: int, context: RewardContext) -> float:
        return 1.0 if uses_code(text) else 0.0


def has_repetition(text: str) -> bool:
    """A substring of 10-256 chars repeated >= 10 times back to back.

    Equivalent to the regex (.{10,256}?)\\1{9,} but linear per period: a block of length p repeats
    k times consecutively iff text[j] == text[j + p] for (k - 1) * p consecutive positions j.
    """
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    for period in range(REPEAT_MIN_CHARS, REPEAT_MAX_CHARS + 1):
        needed = (REPEAT_MIN_TIMES - 1) * period
        if len(codes) - period < needed:
            return False
        mismatches = np.flatnonzero(codes[:-period] != codes[period:])
        bounds = np.concatenate(([-1], mismatches, [len(codes) - period]))
        if int(np.diff(bounds).max()) - 1 >= needed:
            return True
    return False


class NoRepetitionReward(Reward):
    """1.0 unless a 10-256 char substring repeats >= 10 times consecutively."""

    __name__ = "no_repetition"

    def score(self, text: str, index: int, context: RewardContext) -> float:
        return 0.0 if has_repetition(text) else 1.0


class NotReward(Reward):
    """1 - inner."""

    def __init__(self, inner: Reward):
        self.inner = inner
        self.__name__ = f"not_{inner.__name__}"
        self.columns = inner.columns

    def score(self, text: str, index: int, context: RewardContext) -> float:
        return 1.0 - self.inner.score(text, index, context)


class AllReward(Reward):
    """1.0 only when every part gives 1.0 (the minimum of the parts)."""

    def __init__(self, parts: list[Reward]):
        if len(parts) < 2:
            raise ValueError("an '&' reward needs at least two parts")
        self.parts = parts
        self.__name__ = "_and_".join(p.__name__ for p in parts)
        self.columns = tuple(dict.fromkeys(c for p in parts for c in p.columns))

    def score(self, text: str, index: int, context: RewardContext) -> float:
        return min(part.score(text, index, context) for part in self.parts)
