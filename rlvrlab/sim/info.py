"""Measure a model's priors on sim500: code rate, accuracy with and without code, greedy accuracy.

"Uses code" is the paper's rule: the completion contains "python" (case-insensitive). Sampling is at
T=1 (top_p 1) on a fixed, seeded subset of sim500 so numbers are comparable across models and runs.
Generation goes through the project's transformers backend (`rlvrlab.generate`), so a sim model is
measured exactly like a real one.
"""

from __future__ import annotations

import logging
import random
from dataclasses import asdict, dataclass
from pathlib import Path

from rlvrlab.metrics import accuracy_by_code, boxed_rate, rate, uses_code
from rlvrlab.sim.tokenizer import render_prompt

logger = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parent / "models"


def model_path(name: str) -> Path:
    """Folder of a shipped sim model (`sim-qwen-math`, `sim-llama`, ...) or any path given as is."""
    shipped = MODELS_DIR / name
    return shipped if shipped.is_dir() else Path(name)


def load_benchmark(name: str = "sim500") -> list[dict[str, str]]:
    """A shipped sim set as plain rows, through the project's data loader."""
    from rlvrlab.data import load_problems

    return [p.to_dict() for p in load_problems(name)]


def subset(rows: list[dict[str, str]], n: int | None, seed: int = 0) -> list[dict[str, str]]:
    """A fixed, seeded subset of n rows (all rows when n is None or too large), in benchmark order."""
    if n is None or n >= len(rows):
        return rows
    keep = sorted(random.Random(seed).sample(range(len(rows)), n))
    return [rows[i] for i in keep]


def is_correct(completion: str, gold: str) -> bool:
    """The project's grader (paper mode: paper extraction order, then equivalence)."""
    from rlvrlab.grading import grade

    return grade(completion, gold).correct


@dataclass(frozen=True)
class Priors:
    """What `rlvr sim info` reports for one model (rates in [0, 1])."""

    n: int
    code_rate: float
    accuracy: float
    accuracy_code: float | None  # None: no sample used code
    accuracy_language: float | None  # None: every sample used code
    boxed_rate: float
    greedy_accuracy: float
    greedy_code_rate: float


def summarise(completions: list[str], golds: list[str]) -> dict[str, float | None]:
    """Code rate, accuracy overall / with code / without code, and rate of \\boxed{} answers, with the
    project's one definition of each (`rlvrlab.metrics`; a subset with no sample gives None)."""
    code = [uses_code(c) for c in completions]
    right = [is_correct(c, g) for c, g in zip(completions, golds, strict=True)]
    with_code, without_code = accuracy_by_code(right, code)
    return {
        "code_rate": rate(code),
        "accuracy": rate(right),
        "accuracy_code": with_code,
        "accuracy_language": without_code,
        "boxed_rate": boxed_rate(completions),
    }


def sample_completions(model, tokenizer, problems: list[str], temperature: float, seed: int) -> list[str]:
    from rlvrlab.generate import GenerationParams, HFGenerator

    prompts = [render_prompt(tokenizer, p) for p in problems]
    params = GenerationParams(temperature=temperature, max_new_tokens=160, seed=seed)
    return [s.text for s in HFGenerator(model, tokenizer, batch_size=64).generate(prompts, params)]


def measure_priors(model, tokenizer, rows: list[dict[str, str]], seed: int = 0) -> Priors:
    """T=1 sampling (one sample per problem) and greedy decoding on `rows`."""
    problems, golds = [r["problem"] for r in rows], [r["answer"] for r in rows]
    sampled = summarise(sample_completions(model, tokenizer, problems, 1.0, seed), golds)
    greedy = summarise(sample_completions(model, tokenizer, problems, 0.0, seed), golds)
    return Priors(
        n=len(rows),
        greedy_accuracy=greedy["accuracy"],
        greedy_code_rate=greedy["code_rate"],
        **sampled,
    )


def model_priors(name: str, n: int | None = 128, seed: int = 0, threads: int = 2) -> Priors:
    """Load a sim model by name or path and measure its priors on a fixed sim500 subset."""
    import torch

    from rlvrlab.generate import load_model_and_tokenizer

    torch.set_num_threads(threads)
    model, tokenizer = load_model_and_tokenizer(str(model_path(name)), device="cpu")
    return measure_priors(model, tokenizer, subset(load_benchmark("sim500"), n, seed), seed)


def format_priors(name: str, p: Priors) -> str:
    d = asdict(p)
    pct = {k: "-" if v is None else f"{100 * v:.1f}%" for k, v in d.items() if k != "n"}
    return (
        f"{name}: n={p.n} T=1 code rate {pct['code_rate']}, accuracy {pct['accuracy']} "
        f"(code {pct['accuracy_code']}, language {pct['accuracy_language']}), boxed {pct['boxed_rate']}; "
        f"greedy accuracy {pct['greedy_accuracy']}, greedy code rate {pct['greedy_code_rate']}"
    )


def shipped_models() -> list[str]:
    return (
        sorted(p.name for p in MODELS_DIR.iterdir() if (p / "config.json").is_file())
        if MODELS_DIR.is_dir()
        else []
    )
