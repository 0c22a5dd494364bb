"""The `rlvr audit` command group (registered in `rlvrlab/cli.py` with one `add_typer`).

Option lists only: the work is in `rlvrlab.audit.command`, imported when a command runs, so `rlvr --help`
stays fast (nothing here imports torch).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

audit_app = typer.Typer(
    help="Is an RLVR gain real? Controls, prompt baselines, contamination probes, fresh problems.",
    invoke_without_command=True,
)

Backend = Annotated[str, typer.Option(help="hf (transformers) or vllm (GPU, untested here).")]
BatchSize = Annotated[int, typer.Option(help="Completions generated together.")]
Limit = Annotated[int | None, typer.Option(help="First N problems of the benchmark.")]
Fresh = Annotated[
    str,
    typer.Option(
        help="Fresh-problem family (random-calculation, sim-calculation, linear-equation) or data set."
    ),
]
Overrides = Annotated[
    list[str] | None, typer.Option("--set", help="Eval protocol override, e.g. n_samples=4 (repeatable).")
]
Templates = Annotated[
    list[str] | None, typer.Option("--template", help="Extra prompt template with {problem} (repeatable).")
]
Seed = Annotated[int, typer.Option(help="Sampling and bootstrap seed.")]
JsonOut = Annotated[bool, typer.Option("--json", help="Print one machine-readable JSON object.")]
ProbePrefix = Annotated[
    str, typer.Option(help="Partial prompt as bare text (none, the paper's) or in the chat template (chat).")
]


def _run(command: str, **kwargs: object) -> None:
    from rlvrlab import cli
    from rlvrlab.audit import command as commands

    try:
        getattr(commands, command)(cli.console, **kwargs)
    except ValueError as err:  # DataError is a ValueError
        cli.fail(str(err))


@audit_app.callback()
def audit(
    ctx: typer.Context,
    base: Annotated[
        str | None, typer.Option(help="Base: an eval folder (its settings are used) or a model.")
    ] = None,
    trained: Annotated[
        str | None, typer.Option(help="Trained: a run folder, an eval folder or a model.")
    ] = None,
    out: Annotated[Path, typer.Option(help="Output folder (audit.json, audit.md, evals, controls).")] = Path(
        "audit_out"
    ),
    controls: Annotated[
        list[str] | None, typer.Option(help="Spurious-reward control runs (repeatable or comma-separated).")
    ] = None,
    run_controls: Annotated[
        list[str] | None,
        typer.Option(
            help="Train missing controls with the trained run's recipe, e.g. random:0.5,format,incorrect."
        ),
    ] = None,
    benchmark: Annotated[
        str | None, typer.Option(help="Benchmark (default: the base eval's, else math500).")
    ] = None,
    fresh: Fresh = "random-calculation",
    fresh_n: Annotated[
        int | None, typer.Option(help="Fresh problems (default: as many as the benchmark).")
    ] = None,
    fresh_seed: Annotated[int, typer.Option(help="Seed of the fresh problems.")] = 0,
    prompt: Annotated[
        str | None, typer.Option(help="Eval prompt (default: the base eval's, else qwen-math).")
    ] = None,
    templates: Templates = None,
    limit: Limit = None,
    overrides: Overrides = None,
    seed: Seed = 0,
    batch_size: BatchSize = 16,
    backend: Backend = "hf",
    probe_prefix: ProbePrefix = "none",
    probe_fraction: Annotated[float, typer.Option(help="Share of each problem shown to the probe.")] = 0.6,
    probe_max_tokens: Annotated[int, typer.Option(help="Greedy budget of the probe.")] = 3072,
    label_samples: Annotated[
        int, typer.Option(help="Samples per problem for the incorrect-label control.")
    ] = 64,
    label_limit: Annotated[
        int | None, typer.Option(help="Problems labelled for the incorrect control.")
    ] = None,
    json_out: JsonOut = False,
) -> None:
    """rlvr audit --base EVAL_OR_MODEL --trained RUN_OR_EVAL [--controls RUN ...] [--run-controls ...]:
    the claimed gain against the best-prompt base, spurious-reward controls and fresh problems, with the
    base's contamination figures; writes OUT/audit.json and OUT/audit.md (a report section)."""
    if ctx.invoked_subcommand is not None:
        return
    options = {k: v for k, v in locals().items() if k != "ctx"}
    _run("audit_command", **options)


@audit_app.command("contamination")
def contamination(
    model: Annotated[str, typer.Option(help="Local model folder or hub id.")],
    benchmark: Annotated[str, typer.Option(help="Benchmark name or file (e.g. math500).")] = "math500",
    fresh: Fresh = "random-calculation",
    fresh_seed: Annotated[int, typer.Option(help="Seed of the fresh control problems.")] = 0,
    fraction: Annotated[float, typer.Option(help="Share of each problem shown (paper: 0.6).")] = 0.6,
    prefix: ProbePrefix = "none",
    max_new_tokens: Annotated[int, typer.Option(help="Greedy budget per problem.")] = 3072,
    limit: Limit = None,
    batch_size: BatchSize = 16,
    backend: Backend = "hf",
    out: Annotated[Path | None, typer.Option(help="Also write contamination.json + samples here.")] = None,
    json_out: JsonOut = False,
) -> None:
    """2507.10532's partial-prompt probe: exact match and ROUGE-L of the greedy continuation of the first
    x% of each problem, accuracy from the partial prompt, 95% intervals, fresh problems as the control."""
    _run("contamination_command", **locals())


@audit_app.command("prompts")
def prompts(
    model: Annotated[str, typer.Option(help="Local model folder or hub id.")],
    out: Annotated[Path, typer.Option(help="Output folder (one eval folder per template).")],
    benchmark: Annotated[str, typer.Option(help="Benchmark name or file.")] = "math500",
    templates: Templates = None,
    limit: Limit = None,
    overrides: Overrides = None,
    seed: Seed = 0,
    batch_size: BatchSize = 16,
    backend: Backend = "hf",
    json_out: JsonOut = False,
) -> None:
    """The base under the paper's Table 5 prompt templates (and yours): accuracy per template, the best,
    and the spread (best - worst, paired interval)."""
    _run("prompts_command", **locals())
