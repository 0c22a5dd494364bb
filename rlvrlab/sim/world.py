"""The synthetic math world: seeded arithmetic-chain problems, two solution styles, a pretraining corpus.

A problem is a left-nested chain of `n_ops` additions/subtractions of digits 1-9, e.g.
"Compute (((3 + 5) - 2) + 7) - 4." Its exact answer is an integer. Two solution styles:

- code reasoning: a python block that works one operation per line, the value of each step in a comment,
  `print`, the printed output, then the answer. Each step is one small addition a tiny model learns well.
- language reasoning: prose that states the whole chain and jumps to the result in one mental leap.
  A tiny model learns this leap far less reliably, so accuracy without code is lower *because of what the
  model learned*: no text is ever corrupted at generation or grading time.

Which style a corpus document uses depends on the problem's phrasing (its template): some phrasings are
almost always solved with code, others mostly in prose, like a real model whose code use varies by
problem. `CorpusMix` holds these per-template code fractions; a model family is a corpus mix.
A fraction of corpus answers end in "The answer is N." instead of `\\boxed{N}`, so a format reward has
headroom.

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


def code_solution(problem: Problem, boxed: bool = True) -> str:
    """Code reasoning: one operation per line with its value, the printed output, then the answer."""
    lines, prev = [], str(problem.numbers[0])
    for k, (sign, n, value) in enumerate(zip(problem.signs, problem.numbers[1:], problem.steps, strict=True)):
        name = STEP_NAMES[k]
        lines.append(f"{name} = {prev} {'+' if sign > 0 else '-'} {n}  # {value}")
        prev = name
    body = "\n".join(lines)
    return f"```python\n{body}\nprint({prev})\n```\n```output\n{problem.answer}\n```\n{final_line(problem, boxed)}"


LANGUAGE_OPENINGS: tuple[str, ...] = (
    "In one step,",
    "Working it out in our head,",
    "All at once,",
)


def language_solution(problem: Problem, opening: int = 0, boxed: bool = True) -> str:
    """Language reasoning: restate the chain, then jump to the result in one leap (no intermediate values)."""
    flat = problem.expression.replace("(", "").replace(")", "")
    return f"{LANGUAGE_OPENINGS[opening]} {flat} = {problem.answer}.\n{final_line(problem, boxed)}"


def final_line(problem: Problem, boxed: bool) -> str:
    return f"\\boxed{{{problem.answer}}}" if boxed else f"The answer is {problem.answer}."


@dataclass(frozen=True)
class CorpusMix:
    """What a model family reads in pretraining: per-template code fractions and the boxed fraction."""

    code_fraction: tuple[float, ...] = (0.95, 0.7, 0.3)
    """probability that a document with template i is solved in code (one entry per TEMPLATES item)"""
    boxed_fraction: float = 0.85
    """probability that the final line uses \\boxed{} (the rest say "The answer is N.")"""

    def __post_init__(self) -> None:
        if len(self.code_fraction) != len(TEMPLATES):
            raise ValueError(f"code_fraction needs {len(TEMPLATES)} entries, one per template")
        if not all(0 <= f <= 1 for f in (*self.code_fraction, self.boxed_fraction)):
            raise ValueError("fractions must lie in [0, 1]")


@dataclass(frozen=True)
class Document:
    """A pretraining example: the problem text (the prompt's user turn) and its solution."""

    problem: str
    solution: str
    is_code: bool = field(default=False)


def build_corpus(problems: list[Problem], mix: CorpusMix, seed: int = 0) -> list[Document]:
    """One solution per problem, its style drawn from the mix for the problem's template."""
    rng = random.Random(seed)
    docs = []
    for p in problems:
        is_code = rng.random() < mix.code_fraction[p.template]
        boxed = rng.random() < mix.boxed_fraction
        if is_code:
            solution = code_solution(p, boxed)
        else:
            solution = language_solution(p, rng.randrange(len(LANGUAGE_OPENINGS)), boxed)
        docs.append(Document(p.text, solution, is_code))
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
