"""`rlvr train --dry-run`: resolve a run without training, so a recipe's mistakes show up on a laptop
instead of on 8 GPUs.

It loads the tokenizer, the chat template and the model's config.json (never the weights), renders and
tokenizes every training prompt the way TRL will, and checks:
- the prompt: chat template present when the preset needs one, no doubled BOS, the stop strings and how
  each generation backend honours them, prompts dropped for being longer than max_prompt_length;
- the batch arithmetic for the accelerate config's process count (micro-batch x processes must divide
  the mini-batch), and that TRL's GRPOConfig accepts the arguments;
- prompt + completion length against the model's context (max_position_embeddings).
It reports the TRL arguments, the rollout / mini-batch / micro-batch shapes, tokens per step and the
eval command of the recipe. Problems make `rlvr train --dry-run` exit 2; notes are informational.
"""

from __future__ import annotations

import importlib.util
import random
import statistics
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rlvrlab.train.config import TrainConfig, grpo_arguments, to_grpo_config
from rlvrlab.train.recipe import EvalPlan


@dataclass
class DryRun:
    """What a dry run found. `problems` would make the run fail or be wrong; `notes` are informational."""

    config: TrainConfig
    num_processes: int
    prompt_name: str = ""
    stop: tuple[str, ...] = ()
    example_prompt: str = ""
    example_ids: list[int] = field(default_factory=list)
    prompt_tokens: dict[str, float] = field(default_factory=dict)
    shapes: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    trl_arguments: dict[str, Any] = field(default_factory=dict)
    eval_command: str = ""
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def dry_run(
    config: TrainConfig, num_processes: int = 1, eval_plan: EvalPlan | None = None, prompt_sample: int = 2000
) -> DryRun:
    """Resolve `config` for `num_processes` training processes; see the module docstring. Prompt lengths
    are measured on a seeded sample of `prompt_sample` problems (tokenizing all 40k DeepScaleR prompts
    takes tens of seconds); the dropped count is then an estimate."""
    from transformers import AutoConfig, AutoTokenizer

    if not config.model:
        raise ValueError("no model: pass --model PATH_OR_HUB_ID or set `model:` in the recipe")
    report = DryRun(config=config, num_processes=num_processes)
    try:
        tokenizer = AutoTokenizer.from_pretrained(config.model)
        model_config = AutoConfig.from_pretrained(config.model)
    except (OSError, ValueError) as err:
        raise ValueError(f"cannot load the tokenizer/config of {config.model!r}: {err}") from None
    _check_prompts(report, tokenizer, prompt_sample)
    _check_batches(report)
    _check_context(report, model_config)
    if report.shapes:  # the arithmetic holds: the TRL arguments exist
        report.trl_arguments = _trl_arguments(report)
    if config.use_vllm and importlib.util.find_spec("vllm") is None:
        report.notes.append(
            "vLLM is not installed here (GPU only): the GPU machine needs `pip install rlvrlab[vllm]`"
        )
    if eval_plan is not None:
        run = config.output_dir or "RUN_DIR"
        report.eval_command = eval_plan.command(f"{run}/final", f"{run}/eval", report.prompt_name)
    return report


def _check_prompts(report: DryRun, tokenizer: Any, sample: int) -> None:
    from rlvrlab.data import load_problems
    from rlvrlab.prompts import get_prompt
    from rlvrlab.train.run import prompt_renderer, resolve_prompt_name

    config = report.config
    report.prompt_name = resolve_prompt_name(config, tokenizer)
    spec = get_prompt(report.prompt_name)
    report.stop = spec.stop
    problems = load_problems(config.data, limit=config.data_limit)
    if not problems:
        report.problems.append(f"data {config.data!r} has no problems")
        return
    chosen = [problems[0]] + random.Random(0).sample(problems[1:], min(sample, len(problems)) - 1)
    try:
        render = prompt_renderer(spec, tokenizer, problems[0].problem)
        texts = [render(p.problem) for p in chosen]
    except ValueError as err:  # a chat preset on a tokenizer without a chat template
        report.problems.append(str(err))
        return
    ids = tokenizer(texts)["input_ids"]  # as TRL tokenizes text prompts: special tokens on
    report.example_prompt, report.example_ids = texts[0], ids[0]
    lengths = [len(x) for x in ids]
    share = sum(n > config.max_prompt_length for n in lengths) / len(lengths)
    report.prompt_tokens = {
        "problems": len(problems),
        "measured": len(lengths),
        "mean": statistics.fmean(lengths),
        "max": max(lengths),
        "dropped_share": share,
    }
    if share == 1:
        report.problems.append(f"every prompt is longer than max_prompt_length={config.max_prompt_length}")
    elif share:
        report.notes.append(
            f"~{100 * share:.1f}% of prompts (~{round(share * len(problems))}) exceed max_prompt_length "
            "and are dropped"
        )
    bos = tokenizer.bos_token_id
    if bos is not None and len(ids[0]) > 1 and ids[0][0] == ids[0][1] == bos:
        report.problems.append("the tokenized prompt starts with two BOS tokens")
    if spec.stop:
        how = (
            "vLLM SamplingParams(stop=...)"
            if config.use_vllm
            else "a stopping criterion on transformers.generate"
        )
        report.notes.append(
            f"rollouts stop at {list(spec.stop)} via {how}; the stop string stays in the completion"
        )
    if spec.use_chat_template and tokenizer.eos_token is None:
        report.problems.append("the tokenizer has no EOS token: chat completions would never end")


def _check_batches(report: DryRun) -> None:
    config, n = report.config, report.num_processes
    try:
        config.validate(n)
    except ValueError as err:
        report.problems.append(f"batch arithmetic for {n} process(es): {err}")
        return
    per_forward = config.micro_batch_size * n
    report.shapes = {
        "prompts_per_rollout": config.prompts_per_rollout,
        "group_size": config.group_size,
        "rollout_completions": config.rollout_size,
        "completions_per_process_per_rollout": config.rollout_size // n,
        "updates_per_rollout": config.updates_per_rollout,
        "mini_batch_completions": config.mini_batch_size,
        "micro_batch_per_process": config.micro_batch_size,
        "processes": n,
        "gradient_accumulation_steps": config.mini_batch_size // per_forward,
        "trl_steps_per_generation": config.rollout_size // per_forward,
        "optimizer_steps_total": config.max_steps * config.updates_per_rollout,
    }
    mean_prompt = int(round(report.prompt_tokens.get("mean", 0)))
    longest = min(int(report.prompt_tokens.get("max", 0)), config.max_prompt_length)
    report.tokens = {
        "generated_per_rollout_max": config.rollout_size * config.max_completion_length,
        "prompt_per_rollout_mean": config.rollout_size * mean_prompt,
        "sequence_max": longest + config.max_completion_length,
        "forward_per_micro_batch_max": config.micro_batch_size * (longest + config.max_completion_length),
    }


def _check_context(report: DryRun, model_config: Any) -> None:
    config = report.config
    context = getattr(model_config, "max_position_embeddings", None)
    needed = config.max_prompt_length + config.max_completion_length
    if context is not None and needed > context:
        report.problems.append(
            f"max_prompt_length + max_completion_length = {needed} exceeds the model's context of {context} "
            "tokens: lower one of them"
        )


def _trl_arguments(report: DryRun) -> dict[str, Any]:
    """The GRPOConfig arguments for N processes; TRL's own checks run on one process with the same rollout
    (GRPOConfig reads the world size from the running process, so N cannot be simulated here)."""
    from rlvrlab.train.run import vllm_stop_arguments

    config = report.config
    extra = vllm_stop_arguments(config, report.stop)
    arguments = {**grpo_arguments(config, report.num_processes), **extra}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            to_grpo_config(replace(config, output_dir=tmp), 1, use_cpu=True, **extra)
        except (TypeError, ValueError) as err:
            report.problems.append(f"TRL's GRPOConfig rejects the arguments: {err}")
    return arguments


def dry_run_from_cli(
    *,
    config_path: Path | None,
    accelerate_config: Path | None,
    prompt_sample: int = 2000,
    **resolve_args: Any,
) -> DryRun:
    """`rlvr train --dry-run`: the config as `rlvr train` would resolve it; the process count from
    --accelerate-config, else from the recipe's resources, else 1; the recipe's eval plan if it has one."""
    from rlvrlab.train.config import resolve_config
    from rlvrlab.train.recipe import Recipe, accelerate_processes, load_recipe

    recipe = load_recipe(config_path) if config_path else Recipe()
    config = resolve_config(config_path=config_path, **resolve_args)
    if accelerate_config is not None:
        processes = accelerate_processes(accelerate_config)
    else:
        processes = recipe.resources.num_processes
    return dry_run(config, processes, recipe.eval if config_path else None, prompt_sample=prompt_sample)


def format_dry_run(report: DryRun) -> str:
    """Plain text for the console: shapes, tokens, TRL arguments, notes and problems."""
    config = report.config
    lines = [
        f"model {config.model} | data {config.data} | reward {config.reward} | prompt {report.prompt_name}"
    ]
    if report.example_prompt:
        lines += ["example prompt (as TRL tokenizes it):", _indent(report.example_prompt)]
        lines.append(
            f"  first token ids: {report.example_ids[:8]}  stop strings: {list(report.stop) or 'none'}"
        )
    if report.prompt_tokens:
        p = report.prompt_tokens
        lines.append(
            f"prompt tokens ({p['measured']} of {p['problems']} problems): mean {p['mean']:.0f}, max {p['max']}, "
            f"longer than {config.max_prompt_length} (dropped): {100 * p['dropped_share']:.1f}%"
        )
    lines += _section("rollout and batch shapes", report.shapes)
    lines += _section("tokens per step (one rollout)", report.tokens)
    lines += _section("TRL GRPOConfig arguments", report.trl_arguments)
    if report.eval_command:
        lines += ["eval after training:", f"  {report.eval_command}"]
    lines += [f"note: {n}" for n in report.notes]
    lines += [f"PROBLEM: {p}" for p in report.problems]
    lines.append("dry run: OK" if not report.problems else f"dry run: {len(report.problems)} problem(s)")
    return "\n".join(lines)


def _section(title: str, values: dict[str, Any]) -> list[str]:
    if not values:
        return []
    width = max(len(k) for k in values)
    return [f"{title}:"] + [f"  {k:<{width}}  {v}" for k, v in sorted(values.items())]


def _indent(text: str) -> str:
    return "\n".join("  | " + line for line in text.splitlines())
