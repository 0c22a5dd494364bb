"""`rlvr eval`'s three modes (evaluate a model, grade imported generations, compare two runs) and their
console tables. Kept out of `rlvrlab/cli.py` so the shared CLI file holds only the option list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

# generations per batch when --batch-size is not given: vLLM schedules large batches itself
DEFAULT_BATCH_SIZE = {"hf": 16, "vllm": 256}


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{100 * value:.1f}"
    return str(value)


def summary_table(summary: dict[str, Any]) -> Table:
    """Accuracy (percent) with its 95% interval, pass@k, code rate, accuracy with/without code,
    truncation rate and grading timeouts, one row per benchmark."""
    table = Table(
        "benchmark", "problems x k", "acc [95% CI]", "pass@k", "code", "acc code/no", "trunc", "t/o"
    )
    for name, m in summary["benchmarks"].items():
        k = m["samples_per_problem"]
        low, high = m["accuracy_ci95"]
        table.add_row(
            name,
            f"{m['n_problems']} x {k}",
            f"{_fmt(m['accuracy'])} [{_fmt(low)}, {_fmt(high)}]",
            _fmt(m.get(f"pass@{k}")),
            _fmt(m["code_rate"]),
            f"{_fmt(m['accuracy_with_code'])}/{_fmt(m['accuracy_without_code'])}",
            _fmt(m["truncation_rate"]),
            str(m["n_timeouts"]),
        )
    return table


def compare_table(result: dict[str, dict[str, Any]]) -> Table:
    table = Table("benchmark", "n", "A", "B", "B - A", "95% CI (paired)", "code A", "code B")
    for name, r in result.items():
        low, high = r["diff_ci95"]
        table.add_row(
            name,
            str(r["n_problems"]),
            _fmt(r["accuracy_a"]),
            _fmt(r["accuracy_b"]),
            f"{100 * r['diff']:+.1f}",
            f"[{100 * low:+.1f}, {100 * high:+.1f}]",
            _fmt(r["code_rate_a"]),
            _fmt(r["code_rate_b"]),
        )
    return table


def eval_command(
    console: Console,
    *,
    model: str | None,
    benchmarks: str,
    out: Path | None,
    backend: str,
    prompt: str,
    limit: int | None,
    resume: bool,
    overrides: list[str] | None,
    grading_mode: str | None,
    batch_size: int | None,
    seed: int,
    from_generations: Path | None,
    benchmark: str | None,
    compare: tuple[Path, Path] | None,
) -> None:
    """Dispatch on the mode; bad combinations raise ValueError naming the fix."""
    if compare is not None:
        _compare(console, compare, out, seed)
        return
    if out is None:
        raise ValueError("--out DIR is required (where samples.jsonl and summary.json go)")
    if from_generations is not None:
        from rlvrlab.evaluate.generations import grade_generations
        from rlvrlab.prompts import get_prompt

        if not benchmark:
            raise ValueError("--from-generations needs --benchmark NAME (e.g. math500) to join gold answers")
        summary = grade_generations(
            from_generations,
            benchmark,
            out,
            grading_mode=grading_mode or "paper",
            extract_mode=get_prompt(prompt).answer_mode,
            seed=seed,
        )
        console.print(summary_table(summary))
        return
    if model is None:
        raise ValueError("--model PATH_OR_HUB_ID is required (or use --from-generations / --compare)")
    from rlvrlab.evaluate.run import EvalConfig, run_eval

    extra = [f"grading_mode={grading_mode}"] if grading_mode else []
    config = EvalConfig(
        model=model,
        out=str(out),
        benchmarks=tuple(b.strip() for b in benchmarks.split(",") if b.strip()),
        backend=backend,  # type: ignore[arg-type]
        prompt=prompt,
        limit=limit,
        resume=resume,
        overrides=tuple(extra + list(overrides or [])),
        batch_size=batch_size or DEFAULT_BATCH_SIZE.get(backend, 16),
        seed=seed,
    )
    from rlvrlab.console import EvalProgress

    with EvalProgress(console) as progress:
        summary = run_eval(config, on_progress=progress)
    console.print(summary_table(summary))
    console.print(f"results in {out}/samples.jsonl and {out}/summary.json")


def _compare(console: Console, dirs: tuple[Path, Path], out: Path | None, seed: int) -> None:
    """Print B - A per benchmark; with --out also write compare.json."""
    import json

    from rlvrlab.evaluate.compare import compare_runs
    from rlvrlab.folders import check_out

    if out is not None:
        check_out(out, "comparison", inputs=dirs)
    result = compare_runs(*dirs, seed=seed)
    console.print(compare_table(result))
    for name, r in result.items():
        if r["protocol_differences"]:
            console.print(
                f"warning: {name}: A and B were sampled or graded differently "
                f"({', '.join(r['protocol_differences'])}); B - A is not the model's change alone",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "compare.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
