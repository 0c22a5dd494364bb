"""The synthetic math world: seeded arithmetic-chain problems, three solution styles, a pretraining corpus.

A problem is a left-nested chain of `n_ops` additions/subtractions of digits 1-9, e.g.
"Compute (((3 + 4) - 5) + 9) + 7." Its exact answer is an integer. Solution styles (organism v3):

- code: a python block that works one operation per line, the value of each step in a comment, `print`,
  then the answer. Each step is one small exact operation: the model learns it near perfectly.
- steps: the same chain worked step by step in prose ("Step by step: 3 + 4 = 7, 7 - 5 = 2, ..."): as
  accurate as code, and no code (sim-llama's accurate minority style).
- sloppy: prose step by step done carelessly ("Roughly: ..."): from operation SLOPPY_FROM on every sign
  is read as "+", so the answer is right only when the late operations are additions (~29% of problems;
  Qwen2.5-Math's prose is 28-35% accurate). The slip is systematic and learnable, not noise.

Why a systematic slip rather than a hard-to-learn leap (organism v2, docs/sim-experiments.md): a tiny
model that has not learned a skill answers with a broad distribution, and GRPO's zero-mean reward noise
on those high-entropy tokens moves the shared arithmetic; here every token except the style choice is
near-deterministic, so the reasoning-mode choice (the first completion token: "`", "S" or "Q") is
where the policy is uncertain, as in the paper's picture of a model with robust skills. The opening
characters ("L"et's code it, "S"tep by step, "R"oughly) appear nowhere else, so moving the mode choice
moves no other token's logit through a shared output row (v3b opened code with "`", and raising it also
raised the fences' backticks).

A family's corpus mix gives each style a probability (the same for every phrasing). A fraction of corpus
answers end in "The answer is N." instead of `\\boxed{N}`, so a format reward has headroom.

Splits are disjoint by expression (the numbers and operators, whatever the phrasing): sim500 (held-out
test), sim-train (GRPO problems) and the pretraining pool never share an expression.
"""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

TEMPLATES: tuple[str, ...] = ("Compute {e}.", "What is {e}?", "Evaluate {e}.")
"""Problem phrasings. The corpus mix decides, per phrasing, how often its solution is code."""

STEP_NAMES = "abcdefgh"


@dataclass(frozen=True)
class WorldConfig:
    """Shape of the problems and of the splits (the defaults are the shipped world)."""

    n_ops: int = 4
    """operations per problem; code takes one line per operation, prose takes them all in one leap"""
    max_digit: int = 9
    """operands are drawn from 1..max_digit"""
    n_test: int = 500
    """held-out benchmark size (sim500)"""
    n_train: int = 4000
    """GRPO training problems (sim-train)"""
    n_pretrain: int = 200_000
    """pretraining pool size (taken after the two benchmark splits; more than any pretraining run reads)"""
    seed: int = 0
    """seed of the expression shuffle that defines the splits and of the phrasing draws"""

    def __post_init__(self) -> None:
        if self.n_ops < 1 or self.max_digit < 1:
            raise ValueError("n_ops and max_digit must be >= 1")


@dataclass(frozen=True)
class Problem:
    """One problem: operands, operators (+1 or -1), phrasing template index, and its exact answer."""

    id: str
    numbers: tuple[int, ...]
    signs: tuple[int, ...]
    template: int

    @property
    def expression(self) -> str:
        text = str(self.numbers[0])
        for sign, n in zip(self.signs, self.numbers[1:], strict=True):
            text = f"({text} {'+' if sign > 0 else '-'} {n})"
        return text[1:-1] if text.startswith("(") else text

    @property
    def text(self) -> str:
        return TEMPLATES[self.template].format(e=self.expression)

    @property
    def steps(self) -> list[int]:
        """Running values after each operation (the last is the answer)."""
        values, value = [], self.numbers[0]
        for sign, n in zip(self.signs, self.numbers[1:], strict=True):
            value += sign * n
            values.append(value)
        return values

    @property
    def answer(self) -> int:
        return self.steps[-1]

    def row(self) -> dict[str, str]:
        """The benchmark row format every loader in the project reads."""
        return {"id": self.id, "problem": self.text, "answer": str(self.answer), "source": "sim"}


def all_expressions(config: WorldConfig) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Every (numbers, signs) pair of the world, in a seeded random order (the split order)."""
    digits = range(1, config.max_digit + 1)
    numbers = itertools.product(digits, repeat=config.n_ops + 1)
    exprs = [(n, s) for n in numbers for s in itertools.product((1, -1), repeat=config.n_ops)]
    random.Random(config.seed).shuffle(exprs)
    return exprs


def make_splits(config: WorldConfig | None = None) -> dict[str, list[Problem]]:
    """Split the world into "sim500" (test), "sim-train" (GRPO) and "pretrain" (everything else).

    Disjoint by expression; the phrasing of each problem is a seeded draw."""
    config = config or WorldConfig()
    exprs = all_expressions(config)
    if len(exprs) < config.n_test + config.n_train + 1:
        raise ValueError("the world is too small for the requested splits: raise n_ops or max_digit")
    rng = random.Random(config.seed + 1)
    bounds = {
        "sim500": (0, config.n_test),
        "sim-train": (config.n_test, config.n_test + config.n_train),
        "pretrain": (config.n_test + config.n_train, config.n_test + config.n_train + config.n_pretrain),
    }
    splits: dict[str, list[Problem]] = {}
    for name, (lo, hi) in bounds.items():
        splits[name] = [
            Problem(f"{name}/{i}", nums, signs, rng.randrange(len(TEMPLATES)))
            for i, (nums, signs) in enumerate(exprs[lo:hi])
        ]
    return splits


SLOPPY_FROM = 2
"""the sloppy style reads every operation from this index on (0-based) as an addition"""


def code_solution(problem: Problem, boxed: bool = True) -> str:
    """Code reasoning: a python block, one operation per line with its value in a comment, then the answer."""
    lines, prev = [], str(problem.numbers[0])
    for k, (sign, n, value) in enumerate(zip(problem.signs, problem.numbers[1:], problem.steps, strict=True)):
        name = STEP_NAMES[k]
        lines.append(f"{name} = {prev} {'+' if sign > 0 else '-'} {n} # {value}")
        prev = name
    body = "\n".join(lines)
    return f"Let's code it.\n```python\n{body}\nprint({prev})\n```\n{final_line(problem, boxed)}"


def steps_solution(problem: Problem, boxed: bool = True) -> str:
    """Prose step by step: one small operation at a time, each with its value (no code)."""
    parts, prev = [], problem.numbers[0]
    for sign, n, value in zip(problem.signs, problem.numbers[1:], problem.steps, strict=True):
        parts.append(f"{prev} {'+' if sign > 0 else '-'} {n} = {value}")
        prev = value
    return f"Step by step: {', '.join(parts)}.\n{final_line(problem, boxed)}"


def sloppy_solution(problem: Problem, boxed: bool = True) -> str:
    """Prose step by step, done carelessly: from operation SLOPPY_FROM on, every sign is read as "+".

    Each step is still one small, exact operation (so the model learns it as precisely as code), but the
    chain is wrong unless the late operations are all additions: a systematic slip, not noise."""
    parts, value = [], problem.numbers[0]
    for k, (sign, n) in enumerate(zip(problem.signs, problem.numbers[1:], strict=True)):
        read = 1 if k >= SLOPPY_FROM else sign
        parts.append(f"{value} {'+' if read > 0 else '-'} {n} = {value + read * n}")
        value += read * n
    return f"Roughly: {', '.join(parts)}.\n{final_line_value(value, boxed)}"


SOLVERS = {"code": code_solution, "steps": steps_solution, "sloppy": sloppy_solution}
"""Solution styles. Only "code" mentions python (the paper's code-reasoning rule). Each opens with its own
character ("L", "S", "R") that occurs nowhere else in any prompt or solution, so the first completion
token is where the style is chosen and its logit is not shared with any other position's choice."""


def final_line(problem: Problem, boxed: bool) -> str:
    return final_line_value(problem.answer, boxed)


def final_line_value(value: int, boxed: bool) -> str:
    return f"\\boxed{{{value}}}" if boxed else f"The answer is {value}."


@dataclass(frozen=True)
class CorpusMix:
    """What a model family reads in pretraining: how often each solution style appears, and the boxed
    fraction. The mix is the same for every phrasing, so every prompt has the same style prior."""

    styles: tuple[tuple[str, float], ...] = (("code", 0.65), ("sloppy", 0.35))
    """(style, probability) pairs; probabilities sum to 1"""
    boxed_fraction: float = 0.85
    """probability that the final line uses \\boxed{} (the rest say "The answer is N.")"""

    def __post_init__(self) -> None:
        unknown = [name for name, _ in self.styles if name not in SOLVERS]
        if unknown:
            raise ValueError(f"unknown solution styles {unknown}: use {list(SOLVERS)}")
        weights = [w for _, w in self.styles]
        if any(w < 0 for w in weights) or abs(sum(weights) - 1) > 1e-9:
            raise ValueError("style probabilities must be >= 0 and sum to 1")
        if not 0 <= self.boxed_fraction <= 1:
            raise ValueError("boxed_fraction must lie in [0, 1]")


@dataclass(frozen=True)
class Document:
    """A pretraining example: the problem text (the prompt's user turn), its solution and style."""

    problem: str
    solution: str
    style: str = field(default="code")


def build_corpus(problems: list[Problem], mix: CorpusMix, seed: int = 0) -> list[Document]:
    """One solution per problem, its style drawn from the mix."""
    rng = random.Random(seed)
    names, weights = zip(*mix.styles, strict=True)
    docs = []
    for p in problems:
        style = rng.choices(names, weights)[0]
        boxed = rng.random() < mix.boxed_fraction
        docs.append(Document(p.text, SOLVERS[style](p, boxed), style))
    return docs


def benchmarks_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "data" / "benchmarks"


def write_benchmarks(config: WorldConfig | None = None, out_dir: Path | None = None) -> dict[str, Path]:
    """Write sim500.jsonl and sim-train.jsonl (rows: id, problem, answer, source)."""
    splits = make_splits(config)
    out_dir = out_dir or benchmarks_dir()
    paths = {}
    for name in ("sim500", "sim-train"):
        path = out_dir / f"{name}.jsonl"
        with path.open("w") as f:
            for p in splits[name]:
                f.write(json.dumps(p.row()) + "\n")
        paths[name] = path
    return paths
