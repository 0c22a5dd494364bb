"""The evaluation loop: generate, grade, append results batch by batch, resume, summarise.

Output folder (`--out DIR`), read by analysis and report code:

`samples.jsonl`: one JSON object per completion, appended (and flushed) after every batch, so a crash
loses at most the batch in flight and `--resume` skips every row already there. Rows are in completion
order (batches are sorted by prompt length), not benchmark order; key them by
(benchmark, problem_id, sample_index). Fields:
    benchmark      str   benchmark name as given (math500, aime24, sim500, a local path, ...)
    problem_id     str   `Problem.id` from the benchmark file
    sample_index   int   0 .. n_samples-1 within the problem
    prompt         str | None  the rendered prompt text (None when imported without prompts)
    response       str   the completion text (stop strings excluded)
    gold           str   the gold answer it was graded against
    extracted      str | None  the answer the grader extracted
    correct        bool
    grade_reason   str   the grader's reason for the verdict
    timed_out      bool  grading hit its timeout (counted as incorrect)
    uses_code      bool  the paper's code-reasoning rule (`rlvrlab.metrics.uses_code`)
    n_tokens       int | None  generated tokens (None when imported from elsewhere)
    finish_reason  "stop" | "length" | None  "length" = hit max_new_tokens (truncated)

`summary.json`: {"model", "backend", "prompt", "seed", "batch_size", "source", "benchmarks": {name: {
"protocol": {n_samples, temperature, top_p, max_new_tokens, grading_mode}, "n_problems", "n_samples",
"samples_per_problem", "accuracy" (= avg@k), "avg@K", "accuracy_ci95": [low, high], "pass@1", "pass@2",
..., "code_rate", "accuracy_with_code", "accuracy_without_code", "boxed_rate", "n_timeouts",
"truncation_rate", "mean_tokens"}}}. Rates are None when nothing they count is known; their definitions
(accuracy with code is pooled over samples) are in `rlvrlab.metrics`. It is rewritten after each benchmark.
"source" is "generated" for `rlvr eval --model`, or the imported file for `--from-generations` (then
model/backend/prompt/batch_size are None and "protocol" holds only grading_mode and extract_mode).

`config.json`: the run configuration, written at the start; `--resume` refuses a different configuration.

Reproducibility: sampled completions use torch's global RNG, seeded per planned batch from (seed,
benchmark, batch number). The plan (prompts sorted by length, then cut into `batch_size` batches) does not
depend on what is finished, so a run resumed after a crash between batches produces the same samples as
an uninterrupted one (same device, same batch size).
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

import torch

from rlvrlab.data import Problem, append_jsonl, load_problems, read_jsonl
from rlvrlab.data.load import drop_torn_tail
from rlvrlab.evaluate.metrics import summarize
from rlvrlab.evaluate.protocol import BenchmarkProtocol, parse_overrides, resolve_protocol
from rlvrlab.fields import check_types
from rlvrlab.folders import check_out
from rlvrlab.generate import GenerationParams, HFGenerator, make_generator
from rlvrlab.metrics import uses_code
from rlvrlab.models import resolve_model
from rlvrlab.prompts import PromptSpec, get_prompt

logger = logging.getLogger(__name__)

SAMPLES_FILE = "samples.jsonl"
SUMMARY_FILE = "summary.json"
CONFIG_FILE = "config.json"
DEFAULT_BENCHMARKS = ("math500", "aime24", "aime25", "amc")


@dataclass(frozen=True)
class EvalConfig:
    """One `rlvr eval` run.

    model: local folder or hub id. benchmarks: shipped names or local data files.
    out: output folder (samples.jsonl, summary.json, config.json).
    backend: "hf" (transformers, CPU or one GPU) or "vllm" (GPU, optional extra, untested here).
    prompt: preset (qwen-math, chat, r1, code-forcing) or a template containing {problem}.
    limit: evaluate only the first N problems of each benchmark (None = all).
    resume: continue an interrupted run in `out`, skipping finished samples.
    overrides: protocol overrides `NAME.FIELD=VALUE` / `FIELD=VALUE` (see `rlvrlab.evaluate.protocol`).
    batch_size: completions generated together. seed: base seed of sampled benchmarks.
    grading_timeout: seconds per grading call before it is abandoned (counted as incorrect).
    """

    model: str
    out: str
    benchmarks: tuple[str, ...] = DEFAULT_BENCHMARKS
    backend: Literal["hf", "vllm"] = "hf"
    prompt: str = "qwen-math"
    limit: int | None = None
    resume: bool = False
    overrides: tuple[str, ...] = ()
    batch_size: int = 16
    seed: int = 0
    grading_timeout: float = 5.0

    def __post_init__(self) -> None:
        check_types(self)  # one-line errors naming the key, finite floats
        if self.grading_timeout <= 0:
            raise ValueError(f"grading_timeout must be > 0 seconds, got {self.grading_timeout}")
        if not self.benchmarks:
            raise ValueError("no benchmarks: pass e.g. --benchmarks math500,aime24")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be >= 1 (or omitted for all problems), got {self.limit}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.backend not in ("hf", "vllm"):
            raise ValueError(f"backend must be 'hf' or 'vllm', got {self.backend!r}")
        get_prompt(self.prompt)  # fail before loading a model on a bad prompt name
        parse_overrides(self.overrides)

    def protocols(self) -> dict[str, BenchmarkProtocol]:
        overrides = parse_overrides(self.overrides)
        unknown = {b for b in overrides if b is not None} - set(self.benchmarks)
        if unknown:
            raise ValueError(f"overrides name benchmarks not being evaluated: {sorted(unknown)}")
        return {b: resolve_protocol(b, overrides) for b in self.benchmarks}


# on_progress(benchmark, samples done, samples in total, rows of the batch just finished)
ProgressFn = Callable[[str, int, int, list[dict[str, Any]]], None]


def run_eval(config: EvalConfig, on_progress: ProgressFn | None = None) -> dict[str, Any]:
    """Evaluate `config.model` on every benchmark; returns the summary (also written to summary.json).
    Prints nothing; `on_progress` is called after every batch (the CLI draws its progress bar from it)."""
    out = Path(config.out)
    protocols = config.protocols()
    model_path = resolve_model(config.model)
    check_out(out, "eval", inputs=[model_path, *config.benchmarks])
    # a missing or unreadable benchmark fails before anything is written
    benchmark_problems = {name: load_problems(name, limit=config.limit) for name in protocols}
    _prepare_out_dir(out, config, protocols)
    generator = make_generator(config.backend, model_path, batch_size=config.batch_size)
    spec = get_prompt(config.prompt)
    summary: dict[str, Any] = {
        "model": config.model,
        "backend": config.backend,
        "prompt": config.prompt,
        "seed": config.seed,
        "batch_size": config.batch_size,
        "source": "generated",
        "benchmarks": {},
    }
    existing = read_jsonl(out / SAMPLES_FILE) if (out / SAMPLES_FILE).exists() else []
    if config.resume and (out / SUMMARY_FILE).exists():  # keep benchmarks this invocation does not redo
        previous = json.loads((out / SUMMARY_FILE).read_text(encoding="utf-8"))
        summary["benchmarks"].update(previous.get("benchmarks", {}))
    for name, protocol in protocols.items():
        problems = benchmark_problems[name]
        done = [r for r in existing if r["benchmark"] == name]
        new = evaluate_problems(
            generator,
            problems,
            protocol,
            spec,
            benchmark=name,
            seed=config.seed,
            done={(r["problem_id"], r["sample_index"]) for r in done},
            on_rows=lambda rows: append_jsonl(out / SAMPLES_FILE, rows),
            grading_timeout=config.grading_timeout,
            on_progress=on_progress,
        )
        wanted = {p.id for p in problems}
        rows = [r for r in done + new if r["problem_id"] in wanted]
        summary["benchmarks"][name] = {"protocol": protocol.to_dict(), **summarize(rows, seed=config.seed)}
        write_summary(out, summary)
        logger.info(
            "%s: accuracy %.4f over %d samples", name, summary["benchmarks"][name]["accuracy"], len(rows)
        )
    return summary


def _prepare_out_dir(out: Path, config: EvalConfig, protocols: dict[str, BenchmarkProtocol]) -> None:
    """Refuse to mix runs: a fresh run needs an empty samples file, a resumed one the same config."""
    record = {**asdict(config), "protocols": {b: p.to_dict() for b, p in protocols.items()}}
    record = json.loads(json.dumps(record))  # tuples -> lists, as read back from disk
    samples, config_path = out / SAMPLES_FILE, out / CONFIG_FILE
    if not config.resume and samples.exists() and samples.stat().st_size > 0:
        raise ValueError(
            f"{samples} already has results: pass --resume to continue that run, or pick another --out"
        )
    if config.resume and config_path.exists():
        saved = json.loads(config_path.read_text(encoding="utf-8"))
        changed = [k for k in ("model", "prompt", "seed", "batch_size") if saved.get(k) != record.get(k)]
        old_protocols = saved.get("protocols", {})
        changed += [f"{b} protocol" for b, p in record["protocols"].items() if old_protocols.get(b, p) != p]
        if changed:
            raise ValueError(
                f"{config_path}: --resume with a different {', '.join(changed)} than the interrupted run; "
                "rerun with the original settings or use a new --out"
            )
    if config.resume and samples.exists():
        drop_torn_tail(samples)
    out.mkdir(parents=True, exist_ok=True)
    config_path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def write_summary(out: Path, summary: dict[str, Any]) -> None:
    """Write summary.json atomically (a crash never leaves a half-written summary)."""
    tmp = out / (SUMMARY_FILE + ".tmp")
    tmp.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    tmp.replace(out / SUMMARY_FILE)


def plan_batches(
    problems: list[Problem], prompts: list[str], n_samples: int, batch_size: int
) -> list[list[tuple[int, int]]]:
    """Cut all (problem index, sample index) jobs into batches: sorted by prompt length (little padding,
    the samples of one problem together), independent of what has already been done."""
    jobs = sorted(
        ((i, s) for i in range(len(problems)) for s in range(n_samples)),
        key=lambda job: (len(prompts[job[0]]), job[0], job[1]),
    )
    return [jobs[start : start + batch_size] for start in range(0, len(jobs), batch_size)]


def batch_seed(seed: int, benchmark: str, batch_number: int) -> int:
    """Seed of one planned batch: stable across processes (crc32, not Python's salted hash)."""
    return zlib.crc32(f"{seed}/{benchmark}/{batch_number}".encode()) & 0x7FFFFFFF


def evaluate_problems(
    generator: Any,
    problems: list[Problem],
    protocol: BenchmarkProtocol,
    spec: PromptSpec,
    *,
    benchmark: str,
    seed: int = 0,
    done: set[tuple[str, int]] | None = None,
    on_rows: Callable[[list[dict[str, Any]]], None] | None = None,
    grading_timeout: float = 5.0,
    on_progress: ProgressFn | None = None,
) -> list[dict[str, Any]]:
    """Generate and grade every (problem, sample) not in `done`; returns the new rows, passing each
    finished batch to `on_rows` first (the run loop appends it to samples.jsonl)."""
    done = done or set()
    prompts = [spec.render(p.problem, generator.tokenizer) for p in problems]
    params = GenerationParams(
        temperature=protocol.temperature,
        top_p=protocol.top_p,
        max_new_tokens=protocol.max_new_tokens,
        stop=spec.stop,
    )
    batches = plan_batches(problems, prompts, protocol.n_samples, generator.batch_size)
    total = sum(len(b) for b in batches)
    n_done = sum((problems[i].id, s) in done for b in batches for i, s in b)
    if on_progress is not None:
        on_progress(benchmark, n_done, total, [])
    new_rows: list[dict[str, Any]] = []
    for number, batch in enumerate(batches):
        todo = [(i, s) for i, s in batch if (problems[i].id, s) not in done]
        if not todo:
            continue
        samples = generator.generate(
            [prompts[i] for i, _ in todo], replace(params, seed=batch_seed(seed, benchmark, number))
        )
        rows = [
            _grade_row(benchmark, problems[i], s, prompts[i], sample, protocol, spec, grading_timeout)
            for (i, s), sample in zip(todo, samples, strict=True)
        ]
        if on_rows is not None:
            on_rows(rows)
        new_rows.extend(rows)
        n_done += len(rows)
        if on_progress is not None:
            on_progress(benchmark, n_done, total, rows)
    return new_rows


def _grade_row(
    benchmark: str,
    problem: Problem,
    sample_index: int,
    prompt: str | None,
    sample: Any,
    protocol: BenchmarkProtocol,
    spec: PromptSpec,
    timeout: float,
) -> dict[str, Any]:
    row = grade_response(
        sample.text,
        problem.answer,
        grading_mode=protocol.grading_mode,
        extract_mode=spec.answer_mode,
        timeout=timeout,
    )
    return {
        "benchmark": benchmark,
        "problem_id": problem.id,
        "sample_index": sample_index,
        "prompt": prompt,
        "response": sample.text,
        **row,
        "n_tokens": sample.n_tokens,
        "finish_reason": sample.finish_reason,
    }


def grade_response(
    response: str, gold: str | None, *, grading_mode: str, extract_mode: str, timeout: float
) -> dict[str, Any]:
    """Grade one response into the row fields gold/extracted/correct/grade_reason/timed_out/uses_code."""
    from rlvrlab.grading import grade

    if gold is None:
        raise ValueError("a benchmark problem has no gold answer: evaluation needs an 'answer' field per row")
    verdict = grade(response, gold, mode=grading_mode, extract_mode=extract_mode, timeout=timeout)
    return {
        "gold": gold,
        "extracted": verdict.extracted,
        "correct": bool(verdict.correct),
        "grade_reason": verdict.reason,
        "timed_out": bool(verdict.timed_out),
        "uses_code": uses_code(response),
    }


def quick_eval(
    model: Any,
    tokenizer: Any,
    benchmark: str,
    *,
    limit: int,
    prompt: str = "qwen-math",
    n_samples: int = 1,
    temperature: float = 0.0,
    max_new_tokens: int = 3072,
    grading_mode: str = "paper",
    seed: int = 0,
    batch_size: int = 16,
) -> dict[str, float]:
    """In-training evaluation on the first `limit` problems of `benchmark`, in memory (no files).

    Returns the summary metrics (at least "accuracy", "code_rate", "truncation_rate"). The model's
    train/eval mode and torch's RNG state are restored afterwards, so calling this does not change the
    training run it is called from."""
    protocol = BenchmarkProtocol(
        benchmark,
        n_samples=n_samples,
        temperature=temperature,
        max_new_tokens=max_new_tokens,
        grading_mode=grading_mode,  # type: ignore[arg-type]
    )
    problems = load_problems(benchmark, limit=limit)
    was_training = model.training
    devices = [model.device.index or 0] if model.device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=devices):
            model.eval()
            generator = HFGenerator(model, tokenizer, batch_size=batch_size)
            rows = evaluate_problems(
                generator,
                problems,
                protocol,
                get_prompt(prompt),
                benchmark=benchmark,
                seed=seed,
            )
    finally:
        model.train(was_training)
    metrics = summarize(rows, seed=seed)
    return {k: float(v) for k, v in metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)}
