"""Records shared by every generation backend."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class GenerationParams:
    """Sampling settings. temperature 0 means greedy. `stop` strings end a completion (not included in
    the text, as in the paper's vLLM runs with include_stop_str_in_output=False)."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_new_tokens: int = 3072
    stop: tuple[str, ...] = ()
    seed: int = 0

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0 (0 = greedy), got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")


@dataclass(frozen=True)
class Sample:
    """One completion: its text, how many tokens were generated, and why it ended ("stop" = EOS or a
    stop string, "length" = hit max_new_tokens, i.e. truncated)."""

    text: str
    n_tokens: int
    finish_reason: Literal["stop", "length"]


class Generator:
    """What every backend provides: `generate_batches` yields (input indices, samples) batch by batch
    (callers save results as they finish); `generate` collects them back into input order."""

    def generate_batches(
        self, prompts: list[str], params: GenerationParams
    ) -> Iterator[tuple[list[int], list[Sample]]]:
        raise NotImplementedError

    def generate(self, prompts: list[str], params: GenerationParams) -> list[Sample]:
        out: list[Sample | None] = [None] * len(prompts)
        for indices, samples in self.generate_batches(prompts, params):
            for i, s in zip(indices, samples, strict=True):
                out[i] = s
        return out  # type: ignore[return-value]
