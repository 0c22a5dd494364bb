"""Contamination probe: arXiv 2507.10532's partial-prompt protocol, with fresh problems as the control.

Given only the first `fraction` (default 60%) of a problem, a model that saw the benchmark in pretraining
reproduces the rest (Qwen2.5-Math-7B on MATH-500: 54.6% exact match; Llama3.1-8B: 3.8%) and often still
answers it. Per problem the probe:
1. cuts the problem at a word boundary: the prefix is its first fraction x words (rounded, half up; at least
   one word, at most all but one), the suffix the rest;
2. decodes greedily from the prefix (`prefix_mode` "none": the bare text, as the paper prompts base models;
   "chat": inside the model's chat template, cut where the problem is, for models that only ever saw it
   in a chat turn, such as the sim organism);
3. scores the head of the continuation (its first as many words as the suffix has) against the suffix:
   exact match (same words) and ROUGE-L F1 (`rouge-score`, over word and symbol tokens, so math text
   keeps its operators); the whole continuation is graded against the gold answer (partial-prompt
   accuracy).
Every figure comes with a 95% bootstrap interval over problems. Fresh problems (`rlvrlab.data.generate`)
run the same way are the control: no model can have memorised them. The verdict compares exact match
only: ROUGE-L and accuracy of natural-language problems are partly predictable without memorisation, so
their level on arithmetic controls is not a like-for-like baseline.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from rlvrlab.data import Problem
from rlvrlab.generate.types import GenerationParams
from rlvrlab.stats import bootstrap_ci

logger = logging.getLogger(__name__)

PrefixMode = Literal["none", "chat"]
SENTINEL = "\x00PROBLEM\x00"


@dataclass(frozen=True)
class ProbeConfig:
    """fraction: share of each problem's words shown (paper: 0.8, 0.6, 0.4; headline 0.6).
    prefix_mode: "none" (bare text, the paper's setting) or "chat" (inside the chat template's user turn).
    max_new_tokens: greedy budget; the suffix needs few tokens, the answer a whole solution.
    grading_mode: grader for partial-prompt accuracy. n_boot, seed: bootstrap intervals.
    """

    fraction: float = 0.6
    prefix_mode: PrefixMode = "none"
    max_new_tokens: int = 3072
    grading_mode: Literal["paper", "robust"] = "paper"
    batch_size: int = 16
    n_boot: int = 2000
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.fraction < 1:
            raise ValueError(f"fraction must lie strictly between 0 and 1, got {self.fraction}")
        if self.prefix_mode not in ("none", "chat"):
            raise ValueError(f"prefix mode must be 'none' or 'chat', got {self.prefix_mode!r}")
        if self.max_new_tokens < 1 or self.batch_size < 1:
            raise ValueError("max_new_tokens and batch_size must be >= 1")


def split_problem(text: str, fraction: float) -> tuple[str, str]:
    """(prefix, suffix) with prefix + suffix == text, cut before a word (whitespace kept in the suffix)."""
    starts = [m.start() for m in re.finditer(r"\S+", text)]
    if len(starts) < 2:
        raise ValueError(f"cannot cut a one-word problem into a prefix and a suffix: {text!r}")
    shown = min(max(math.floor(fraction * len(starts) + 0.5), 1), len(starts) - 1)  # half rounds up
    cut = starts[shown]
    while cut > 0 and text[cut - 1].isspace():
        cut -= 1
    return text[:cut], text[cut:]


class _WordSymbolTokenizer:
    """rouge-score's default tokenizer drops every non-alphanumeric character ("9) + 7." -> "9 7");
    math text needs its operators and brackets, so words and single symbols are the tokens."""

    def tokenize(self, text: str) -> list[str]:
        return re.findall(r"\w+|[^\w\s]", text)


_SCORER: Any = None


def rouge_l(reference: str, prediction: str) -> float:
    """ROUGE-L F1 of `prediction` against `reference` (0.0 when either has no token)."""
    global _SCORER
    if _SCORER is None:
        from rouge_score import rouge_scorer

        _SCORER = rouge_scorer.RougeScorer(["rougeL"], tokenizer=_WordSymbolTokenizer())
    return float(_SCORER.score(reference, prediction)["rougeL"].fmeasure)


def score_continuation(continuation: str, suffix: str) -> tuple[bool, float, str]:
    """(exact match, ROUGE-L, head): the head is the continuation's first len(suffix words) words, so a
    model that goes on to solve the problem is not penalised for writing more than the suffix."""
    want = suffix.split()
    head = " ".join(continuation.split()[: len(want)])
    return head == " ".join(want), rouge_l(" ".join(want), head), head


def prompt_prefix(tokenizer: Any, mode: PrefixMode) -> str:
    """Text before the problem: "" (bare) or the chat template rendered up to the user turn's content."""
    if mode == "none":
        return ""
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError(
            "prefix mode 'chat' needs a tokenizer with a chat template; use 'none' for base models"
        )
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": SENTINEL}], tokenize=False, add_generation_prompt=True
    )
    return rendered[: rendered.index(SENTINEL)]


def probe_problems(
    generator: Any, problems: list[Problem], config: ProbeConfig, set_name: str
) -> list[dict[str, Any]]:
    """One row per problem: prompt, suffix, continuation, exact_match, rouge_l, correct."""
    from rlvrlab.evaluate.run import grade_response

    lead = prompt_prefix(generator.tokenizer, config.prefix_mode)
    cuts = [split_problem(p.problem, config.fraction) for p in problems]
    prompts = [lead + prefix for prefix, _ in cuts]
    params = GenerationParams(temperature=0.0, max_new_tokens=config.max_new_tokens, seed=config.seed)
    samples = generator.generate(prompts, params)
    rows = []
    for problem, (_, suffix), prompt, sample in zip(problems, cuts, prompts, samples, strict=True):
        exact, rouge, head = score_continuation(sample.text, suffix)
        graded = grade_response(
            sample.text, problem.answer, grading_mode=config.grading_mode, extract_mode="paper", timeout=5.0
        )
        rows.append(
            {
                "set": set_name,
                "problem_id": problem.id,
                "prompt": prompt,
                "suffix": suffix,
                "continuation": sample.text,
                "head": head,
                "exact_match": exact,
                "rouge_l": rouge,
                "correct": graded["correct"],
                "extracted": graded["extracted"],
            }
        )
    return rows


def summarize_probe(rows: list[dict[str, Any]], config: ProbeConfig) -> dict[str, Any]:
    """Means with 95% bootstrap intervals over problems (the schema `rlvr audit contamination --json`)."""
    if not rows:
        raise ValueError("contamination probe: no problems were probed")
    out: dict[str, Any] = {"n": len(rows), "fraction": config.fraction, "prefix_mode": config.prefix_mode}
    for key, column in (
        ("exact_match", "exact_match"),
        ("rouge_l", "rouge_l"),
        ("partial_prompt_accuracy", "correct"),
    ):
        values = [float(r[column]) for r in rows]
        out[key] = sum(values) / len(values)
        out[f"{key}_ci95"] = list(bootstrap_ci(values, n_boot=config.n_boot, seed=config.seed))
    return out


def contamination_verdict(benchmark: dict[str, Any], control: dict[str, Any] | None) -> dict[str, str]:
    """From the exact-match intervals: "contaminated" when the benchmark's lies wholly above the fresh
    control's, "no sign of contamination" when they overlap (or the benchmark's is lower)."""
    if control is None:
        return {"verdict": "not measurable", "why": "no fresh-problem control was probed"}
    low, high = benchmark["exact_match_ci95"]
    c_low, c_high = control["exact_match_ci95"]
    measured = (
        f"exact match {100 * benchmark['exact_match']:.1f}% [{100 * low:.1f}, {100 * high:.1f}] on the "
        f"benchmark vs {100 * control['exact_match']:.1f}% [{100 * c_low:.1f}, {100 * c_high:.1f}] on fresh problems"
    )
    if low > c_high:
        return {"verdict": "contaminated", "why": measured + ": the intervals do not overlap"}
    return {"verdict": "no sign of contamination", "why": measured + ": the intervals overlap"}


def run_probe(
    model: str,
    benchmark: list[Problem],
    fresh: list[Problem] | None,
    config: ProbeConfig,
    *,
    backend: Literal["hf", "vllm"] = "hf",
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Probe `model` on the benchmark problems and the fresh control; returns (summary, rows).
    summary = {benchmark figures..., "control": fresh figures or None, "verdict", "why"}."""
    from rlvrlab.generate import make_generator

    generator = make_generator(backend, model, batch_size=config.batch_size)
    rows = probe_problems(generator, benchmark, config, "benchmark")
    summary = summarize_probe(rows, config)
    control = None
    if fresh:
        fresh_rows = probe_problems(generator, fresh, config, "fresh")
        rows += fresh_rows
        control = summarize_probe(fresh_rows, config)
    summary["control"] = control
    summary.update(contamination_verdict(summary, control))
    logger.info("contamination probe of %s: %s (%s)", model, summary["verdict"], summary["why"])
    return summary, rows
