"""Prompt baseline: how much of a claimed gain the base model gets from its prompt alone.

The paper's Table 5: prompt and format alone move Qwen2.5-Math-7B on MATH-500 from 49.4 (its default
prompt) to 68.8, so a base evaluated under one prompt can be under-evaluated by ~20 points. The base is
evaluated under every template of `rlvrlab.prompts.TABLE5_PROMPTS` plus any the user adds (a string with
{problem}), with the same protocol as the audit; the best template is the fair baseline, and the spread
(best - worst, paired interval over the same problems) says how prompt-sensitive the model is.

Each template's evaluation is an ordinary `rlvr eval` folder (`prompt-<name>/`), so `rlvr analyze` and
`rlvr report` read it, and a re-run skips the finished ones.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from rlvrlab.audit.evals import benchmark_summary, evaluate_once
from rlvrlab.evaluate.compare import compare_runs
from rlvrlab.evaluate.run import EvalConfig
from rlvrlab.prompts import TABLE5_PROMPTS, get_prompt

logger = logging.getLogger(__name__)


def template_names(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """{name: prompt}: the Table 5 presets by name, user templates as user-1, user-2, ... (each must
    contain {problem}; checked here, before any model is loaded)."""
    named = {name: name for name in TABLE5_PROMPTS}
    for i, template in enumerate(extra, start=1):
        if "{problem}" not in template:
            raise ValueError(f"--template {template!r}: a user template must contain {{problem}}")
        named[f"user-{i}"] = template
    for prompt in named.values():
        get_prompt(prompt)
    return named


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name)


def run_prompt_baseline(
    eval_config: EvalConfig,
    out: Path,
    extra_templates: tuple[str, ...] = (),
    reuse: dict[str, Path] | None = None,
    *,
    n_boot: int = 2000,
) -> dict[str, Any]:
    """Evaluate `eval_config.model` on its (single) benchmark under every template.

    reuse: {template name: eval folder} already evaluated that way (e.g. the audit's base eval under its
    own prompt), used instead of evaluating again. Returns {"benchmark", "templates": {name: {prompt,
    accuracy, accuracy_ci95, n_problems, eval_dir}}, "best", "worst", "spread", "spread_ci95"}."""
    if len(eval_config.benchmarks) != 1:
        raise ValueError("the prompt baseline evaluates one benchmark at a time")
    benchmark = eval_config.benchmarks[0]
    table: dict[str, dict[str, Any]] = {}
    for name, prompt in template_names(extra_templates).items():
        folder = (reuse or {}).get(name) or evaluate_once(
            replace(eval_config, prompt=prompt, out=str(out / f"prompt-{_slug(name)}"))
        )
        metrics = benchmark_summary(folder, benchmark)
        table[name] = {
            "prompt": prompt,
            "accuracy": metrics["accuracy"],
            "accuracy_ci95": metrics["accuracy_ci95"],
            "n_problems": metrics["n_problems"],
            "eval_dir": str(folder),
        }
        logger.info("prompt %s: accuracy %.4f", name, metrics["accuracy"])
    best = max(table, key=lambda k: table[k]["accuracy"])
    worst = min(table, key=lambda k: table[k]["accuracy"])
    spread = compare_runs(table[worst]["eval_dir"], table[best]["eval_dir"], n_boot=n_boot)[benchmark]
    return {
        "benchmark": benchmark,
        "templates": table,
        "best": best,
        "worst": worst,
        "spread": spread["diff"],
        "spread_ci95": spread["diff_ci95"],
    }
