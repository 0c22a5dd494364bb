"""The `rlvr` command line: a thin layer over library functions with plain arguments.

Each command imports its module lazily so `rlvr --help` stays fast and importing the CLI does nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import typer.core

from rlvrlab.console import make_console

app = typer.Typer(
    help="rlvrlab: RLVR (GRPO) on math with real and spurious rewards.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
console = make_console()


def fail(message: str) -> None:
    """Print a one-line error and exit 2 (bad input is never a traceback)."""
    from rich.markup import escape

    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        names = ("rlvrlab", "torch", "transformers", "trl")
        console.print(" ".join(f"{n} {version(n)}" for n in names), highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print versions and exit.")
    ] = False,
) -> None:
    """rlvrlab: RLVR (GRPO) on math with real and spurious rewards."""
    from rlvrlab.console import quiet_dependencies

    quiet_dependencies()


# ---- commands are added below this line, one function (or sub-app) each ----


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Output folder (runs, evals, report, FINDINGS.md).")] = Path(
        "demo_out"
    ),
    quick: Annotated[
        bool, typer.Option("--quick", help="Few runs and steps (<= 3 minutes on 2 cores).")
    ] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Every cell with 5 seeds (the headline claims).")
    ] = False,
    seeds: Annotated[int | None, typer.Option(help="Override the number of seeds.")] = None,
    steps: Annotated[int | None, typer.Option(help="Override GRPO steps (rollouts) per run.")] = None,
) -> None:
    """The paper's experiment on the CPU model organism: train every reward on sim-qwen-math and sim-llama,
    evaluate, and write a report plus FINDINGS.md. Re-running the same command resumes."""
    import time

    from rlvrlab.console import JobProgress, findings_table
    from rlvrlab.demo import plan_for, run_demo
    from rlvrlab.folders import check_out

    if quick and full:
        fail("choose one of --quick and --full")
    try:
        check_out(out, "demo")
        plan = plan_for("quick" if quick else "full" if full else "default", seeds=seeds, steps=steps)
    except ValueError as err:
        fail(str(err))
    started = time.monotonic()
    console.print(
        f"rlvr demo: {len(plan.seeds)} seed(s), {plan.steps} GRPO steps per run -> {out}", highlight=False
    )
    with JobProgress(console, out) as progress:
        findings = run_demo(plan, out, on_progress=progress)
    console.print(findings_table(findings))
    for q in findings["answers"]:
        console.print(f"{q['question']} [bold]{q['answer']}[/]", highlight=False)
    console.print(f"done in {(time.monotonic() - started) / 60:.1f} min: {out}/FINDINGS.md, {out}/report/")


@app.command("train")
def train_command(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="RUN_DIR: config.yaml, metrics.jsonl, completions.jsonl, checkpoints."),
    ] = None,
    model: Annotated[str | None, typer.Option(help="Hub id or local folder.")] = None,
    data: Annotated[str | None, typer.Option(help="Data set name or path (e.g. deepscaler).")] = None,
    reward: Annotated[
        str | None, typer.Option(help="Reward spec, e.g. random:0.5, ground_truth, format&!python.")
    ] = None,
    preset: Annotated[str | None, typer.Option(help="paper | cpu-small")] = None,
    config: Annotated[
        Path | None, typer.Option(help="YAML of config keys (a run's config.yaml reproduces it).")
    ] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="key=value override, repeatable.")] = None,
    resume: Annotated[bool, typer.Option(help="Continue from the last checkpoint in RUN_DIR.")] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Resolve and check the run (tokenizer, prompt, batches); no training."
        ),
    ] = False,
    accelerate_config: Annotated[
        Path | None, typer.Option(help="--dry-run: check the batches for this accelerate config's processes.")
    ] = None,
    verbose: Annotated[
        bool, typer.Option(help="Also print TRL's raw log dicts (always in RUN/train.log).")
    ] = False,
) -> None:
    """GRPO training on TRL with the paper's settings (rlvrlab/train/config.py lists every key)."""
    from rlvrlab.console import setup_logging
    from rlvrlab.train.command import train_command as run_train

    if dry_run:
        from rlvrlab.train.dryrun import dry_run_from_cli, format_dry_run

        try:
            report = dry_run_from_cli(
                config_path=config, accelerate_config=accelerate_config, preset=preset, overrides=set_ or [],
                model=model, data=data, reward=reward, output_dir=str(out) if out else None,
            )  # fmt: skip
        except ValueError as err:
            fail(str(err))
        console.out(format_dry_run(report), highlight=False)
        raise typer.Exit(2 if report.problems else 0)
    if verbose:
        setup_logging(verbose=True)
    if out is None:
        fail("--out RUN_DIR is required (or pass --dry-run)")
    try:
        run_train(
            console,
            out=out,
            model=model,
            data=data,
            reward=reward,
            preset=preset,
            config=config,
            overrides=set_ or [],
            resume=resume,
        )
    except ValueError as err:
        fail(str(err))


@app.command("analyze")
def analyze(
    eval_dirs: Annotated[list[Path], typer.Argument(help="EVAL_DIR [EVAL_DIR_B]: B is compared with A.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print one machine-readable JSON object.")] = False,
) -> None:
    """Code rate, accuracy with/without code, answer format; with two evals, Code/Lang transitions."""
    from rlvrlab.report.command import analyze_command

    try:
        analyze_command(console, eval_dirs, json_out)
    except ValueError as err:
        fail(str(err))


@app.command("report")
def report(
    inputs: Annotated[list[Path], typer.Argument(help="Run, eval and mechanism dirs, in any mix.")],
    out: Annotated[Path, typer.Option(help="Output folder (index.html, index.md, PNGs).")],
    title: Annotated[str, typer.Option(help="Page title.")] = "rlvrlab report",
    baseline: Annotated[str | None, typer.Option(help="Eval name compared against (default: first).")] = None,
) -> None:
    """Write a static HTML report (plus a markdown twin) in the shape of the paper's figures."""
    from rlvrlab.folders import check_out
    from rlvrlab.report.command import report_command

    try:
        check_out(out, "report", inputs=inputs)
        report_command(console, inputs, out, title, baseline)
    except ValueError as err:
        fail(str(err))


@app.command("runs")
def runs(
    directory: Annotated[Path, typer.Argument(help="Folder to search (default: the current one).")] = Path(
        "."
    ),
) -> None:
    """List run, eval, label and mechanism folders under DIR: kind, model, reward, steps done, status."""
    from rlvrlab.report.listing import runs_table

    try:
        console.print(runs_table(directory))
    except ValueError as err:
        fail(str(err))


@app.command("grade")
def grade_command(
    input_path: Annotated[Path, typer.Argument(help="JSONL with `response` and `answer` per row.")],
    out: Annotated[Path, typer.Option("--out", help="Output JSONL (adds extracted, correct, reason).")],
    mode: Annotated[str, typer.Option("--mode", help="paper | robust")] = "paper",
    extract_mode: Annotated[
        str | None, typer.Option("--extract", help="paper | r1 | robust (default: the mode's own).")
    ] = None,
    forms: Annotated[
        str | None,
        typer.Option(
            "--forms", help="Robust extraction: answer forms to trust, in order (e.g. boxed,answer_tag)."
        ),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per comparison (> 0).")] = 5.0,
) -> None:
    """Grade model responses against gold answers."""
    from rlvrlab.grading.command import run_grade

    try:
        summary = run_grade(input_path, out, mode, extract_mode, forms, timeout)
    except ValueError as error:
        fail(str(error))
    console.print(
        f"graded {summary.rows} rows ({mode}): accuracy {summary.accuracy:.4f} "
        f"({summary.correct}/{summary.rows}), timeouts {summary.timeouts} -> {out}",
        highlight=False,
    )


@app.command("label")
def label(
    model: Annotated[str, typer.Option(help="Local model folder or hub id.")],
    data: Annotated[str, typer.Option(help="Shipped name, local file or hub id.")],
    out: Annotated[Path, typer.Option(help="Output folder (all/correct/incorrect.jsonl, stats.json).")],
    samples: Annotated[int, typer.Option(help="Samples per problem (paper: 64).")] = 64,
    temperature: Annotated[float, typer.Option(help="Sampling temperature (paper: 1.0).")] = 1.0,
    backend: Annotated[str, typer.Option(help="hf (transformers) or vllm (GPU).")] = "hf",
    limit: Annotated[int | None, typer.Option(help="First N problems.")] = None,
    resume: Annotated[bool, typer.Option(help="Continue (or relabel) a run in --out.")] = False,
    label_mode: Annotated[str, typer.Option(help="majority, minority or random (seeded).")] = "majority",
    grading: Annotated[str, typer.Option(help="Equivalence for clustering: robust or paper.")] = "robust",
    prompt: Annotated[
        str, typer.Option(help="qwen-math, chat, r1, code-forcing or a {problem} template.")
    ] = "qwen-math",
    max_new_tokens: Annotated[int, typer.Option(help="Generation budget per sample.")] = 3072,
    batch_size: Annotated[int, typer.Option(help="Completions generated together.")] = 16,
    seed: Annotated[int, typer.Option(help="Sampling and random-label seed.")] = 0,
) -> None:
    """Label problems with the model's own majority-vote answer; write the incorrect-label set too."""
    from rlvrlab.labels.command import label_command

    try:
        label_command(console, **{k: v for k, v in locals().items() if k != "label_command"})
    except ValueError as err:  # DataError is a ValueError
        fail(str(err))


@app.command("eval")
def eval_(
    model: Annotated[str | None, typer.Option(help="Local model folder or hub id.")] = None,
    benchmarks: Annotated[
        str, typer.Option(help="Comma-separated names or files.")
    ] = "math500,aime24,aime25,amc",
    out: Annotated[Path | None, typer.Option(help="Output folder (samples.jsonl, summary.json).")] = None,
    backend: Annotated[str, typer.Option(help="hf (transformers) or vllm (GPU, untested here).")] = "hf",
    prompt: Annotated[
        str, typer.Option(help="qwen-math, chat, r1, code-forcing or a {problem} template.")
    ] = "qwen-math",
    limit: Annotated[int | None, typer.Option(help="First N problems of each benchmark.")] = None,
    resume: Annotated[bool, typer.Option(help="Continue an interrupted run in --out.")] = False,
    overrides: Annotated[
        list[str] | None, typer.Option("--set", help="Protocol override, e.g. aime24.n_samples=16.")
    ] = None,
    grading_mode: Annotated[
        str | None, typer.Option(help="paper (default) or robust, for every benchmark.")
    ] = None,
    batch_size: Annotated[int | None, typer.Option(help="Completions per batch (16 hf, 256 vllm).")] = None,
    seed: Annotated[int, typer.Option(help="Base seed (sampling, bootstrap).")] = 0,
    from_generations: Annotated[
        Path | None, typer.Option(help="Grade a generations .json/.jsonl instead.")
    ] = None,
    benchmark: Annotated[str | None, typer.Option(help="Benchmark of --from-generations.")] = None,
    compare: Annotated[
        tuple[Path, Path] | None, typer.Option(help="Two eval folders A B: B - A, paired CI.")
    ] = None,
) -> None:
    """Evaluate a model with the paper's protocol, grade imported generations, or compare two runs."""
    from rlvrlab.data import DataError
    from rlvrlab.evaluate.command import eval_command

    try:
        eval_command(console, **{k: v for k, v in locals().items() if k not in ("DataError", "eval_command")})
    except (DataError, ValueError) as err:
        fail(str(err))


sim_app = typer.Typer(
    help="The synthetic math world: pretrain sim model families, show their priors.", no_args_is_help=True
)
app.add_typer(sim_app, name="sim")


@sim_app.command("pretrain")
def sim_pretrain(
    family: Annotated[str, typer.Option(help="sim-qwen-math | sim-llama")] = "sim-qwen-math",
    out: Annotated[Path, typer.Option(help="output folder (model + tokenizer)")] = Path("sim-model"),
    steps: Annotated[int | None, typer.Option(help="optimizer steps (default: the family's)")] = None,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Pretrain a sim model family from scratch on CPU (minutes) and save it to OUT."""
    from rlvrlab.folders import check_out, folder_kind
    from rlvrlab.sim.pretrain import FAMILIES, PretrainConfig, pretrain

    if family not in FAMILIES:
        fail(f"unknown family {family!r}; choose one of {', '.join(sorted(FAMILIES))}")
    try:
        check_out(out, "model")
    except ValueError as err:
        fail(str(err))
    if folder_kind(out) == "model":
        fail(f"--out {out} already holds a model: choose a new --out (pretraining starts from scratch)")
    console.print(f"saved {pretrain(family, out, PretrainConfig(steps=steps, seed=seed))}")


@sim_app.command("info")
def sim_info(
    names: Annotated[list[str] | None, typer.Argument(help="shipped model names or folders")] = None,
    n: Annotated[int, typer.Option(help="sim500 problems to sample (fixed seeded subset)")] = 128,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Measure priors on sim500 at T=1: code rate, accuracy with/without code, greedy accuracy."""
    from rlvrlab.sim.info import format_priors, model_path, model_priors, shipped_models

    if n < 1:
        fail(f"--n must be >= 1 (sim500 problems to sample), got {n}")
    for name in names or shipped_models():
        if not (model_path(name) / "config.json").is_file():
            fail(f"no sim model {name!r}: give a shipped name ({', '.join(shipped_models())}) or a folder")
        console.print(format_priors(name, model_priors(name, n=n, seed=seed)), highlight=False)


@sim_app.command("mechanism")
def sim_mechanism(
    clip: Annotated[str | None, typer.Option(help="on | off")] = None,
    updates_per_rollout: Annotated[int | None, typer.Option(help="optimizer steps per rollout")] = None,
    epsilon_high: Annotated[float | None, typer.Option(help="upper clip range")] = None,
    epsilon_low: Annotated[float | None, typer.Option(help="lower clip range")] = None,
    p_start: Annotated[float | None, typer.Option(help="starting p(code) of a two-mode policy")] = None,
    reward: Annotated[str | None, typer.Option(help="random:G | ground_truth | format")] = None,
    lr: Annotated[float | None, typer.Option(help="step size on the mode logits")] = None,
    optimizer: Annotated[str | None, typer.Option(help="adam | sgd")] = None,
    prompts: Annotated[int | None, typer.Option(help="prompts per rollout")] = None,
    group_size: Annotated[int | None, typer.Option(help="samples per prompt")] = None,
    seeds: Annotated[int, typer.Option(help="independent runs per arm")] = 100,
    rollouts: Annotated[int, typer.Option(help="rollouts per run")] = 50,
    out: Annotated[Path | None, typer.Option(help="write mechanism.json + mechanism.png here")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object per arm")] = False,
) -> None:
    """The clipping bias on a bandit of reasoning modes (the paper's GRPO objective, pure torch). With no
    arm flags it runs the default sweep (clipping ablations, eps asymmetry, priors, step sizes)."""
    from rlvrlab.sim.mechanism import arms_from_flags, format_table, run_sweep, write_outputs

    flags = dict(
        clip=clip,
        updates_per_rollout=updates_per_rollout,
        eps_high=epsilon_high,
        eps_low=epsilon_low,
        p_start=p_start,
        reward=reward,
        lr=lr,
        optimizer=optimizer,
        prompts=prompts,
        group_size=group_size,
    )
    try:
        arms = arms_from_flags(flags, seeds=seeds, rollouts=rollouts)
    except ValueError as err:
        fail(str(err))
    results = run_sweep(arms)
    if out is not None:
        write_outputs(results, out)
    if as_json:
        import json

        typer.echo(json.dumps([_mechanism_row(r.summary()) for r in results], indent=2))
    else:
        console.print(format_table(results), highlight=False)
        if out is not None:
            console.print(f"wrote {out / 'mechanism.json'} and {out / 'mechanism.png'}")


def _mechanism_row(summary: dict) -> dict:
    """--json: the per-arm summary without the long per-rollout trajectories."""
    return {k: v for k, v in summary.items() if k not in ("p_mode", "expected_accuracy")}


class _SweepGroup(typer.core.TyperGroup):
    """`rlvr sweep SPEC ...` means `rlvr sweep run SPEC ...`; `status` is the other command."""

    def resolve_command(self, ctx, args):  # type: ignore[no-untyped-def]
        if args and args[0] not in self.commands:
            args = ["run", *args]
        return super().resolve_command(ctx, args)


sweep_app = typer.Typer(
    cls=_SweepGroup,
    no_args_is_help=True,
    help="A grid of GRPO runs + evals: `rlvr sweep SPEC.yaml --out DIR [--backend local|ray|slurm]`, "
    "`rlvr sweep status DIR [--json]`.",
)
app.add_typer(sweep_app, name="sweep")


@sweep_app.command("run")
def sweep_run(
    spec: Annotated[Path, typer.Argument(help="Sweep spec YAML (configs/sweeps/*.yaml).")],
    out: Annotated[Path, typer.Option(help="Sweep folder: runs/<cell>/ (+ eval/), base/, state/, logs/.")],
    backend: Annotated[str, typer.Option(help="local | ray | slurm")] = "local",
    workers: Annotated[int, typer.Option(help="local: jobs at a time.")] = 2,
    address: Annotated[
        str | None,
        typer.Option(help="ray: cluster address (auto, ray://head:10001); default: a local cluster."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the cells and GPU-hours; run nothing.")
    ] = False,
) -> None:
    """Run what is missing of a grid: finished cells are skipped, failed ones resume."""
    from rlvrlab.sweep.command import sweep_command

    try:
        failed = sweep_command(console, spec, out, backend, workers=workers, address=address, dry_run=dry_run)
    except ValueError as err:
        fail(str(err))
    raise typer.Exit(1 if failed else 0)


@sweep_app.command("status")
def sweep_status(
    out: Annotated[Path, typer.Argument(help="Sweep folder.")],
    json_out: Annotated[bool, typer.Option("--json", help="A JSON list of {cell, status, ...}.")] = False,
) -> None:
    """Each cell's state: finished, running, failed or pending."""
    from rlvrlab.sweep.command import status_command

    try:
        status_command(console, out, json_out)
    except ValueError as err:
        fail(str(err))


data_app = typer.Typer(
    help="Inspect data sets (shipped names, local files or hub ids); generate fresh ones.",
    no_args_is_help=True,
)
app.add_typer(data_app, name="data")


@data_app.command("generate")
def data_generate(
    name: Annotated[str, typer.Argument(help="random-calculation | sim-calculation | linear-equation")],
    out: Annotated[Path, typer.Option(help="Output .jsonl (usable as --benchmarks FILE or --data FILE).")],
    n: Annotated[int, typer.Option(help="Number of problems.")] = 500,
    seed: Annotated[int, typer.Option(help="Rows are a function of (family, seed, settings).")] = 0,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Family parameter, e.g. max_steps=8 (repeatable).")
    ] = None,
) -> None:
    """Write a fresh, contamination-free problem set with exact (fraction) answers."""
    from rlvrlab.data.generate import generate_problems, write_problems

    try:
        written = write_problems(generate_problems(name, n, seed, set_ or []), out)
    except ValueError as err:
        fail(str(err))
    console.print(f"{'wrote' if written else 'already there:'} {n} {name} problems (seed {seed}) -> {out}")


@data_app.command("show")
def data_show(
    name: Annotated[str, typer.Argument(help="Shipped name (math500, aime24, ...), local file or hub id.")],
    limit: Annotated[int, typer.Option(help="How many rows to print.")] = 5,
) -> None:
    """Print the first rows of a data set."""
    from rich.table import Table
    from rich.text import Text

    from rlvrlab.data import DataError, load_problems

    try:
        problems = load_problems(name, limit=limit)
    except DataError as err:
        fail(str(err))
    table = Table("id", "problem", "answer", "source", show_lines=True)
    for p in problems:  # Text(): problem text is shown as is, never read as rich markup ([bold], \[)
        text = p.problem if len(p.problem) < 300 else p.problem[:300] + "..."
        answer = str(p.answer if p.answer is not None else p.extra.get("label"))
        table.add_row(*(Text(cell) for cell in (p.id, text, answer, p.source)))
    console.print(table)


@data_app.command("stats")
def data_stats(name: Annotated[str, typer.Argument(help="Shipped name, local file or hub id.")]) -> None:
    """Row count, sources and answer types of a data set."""
    from rlvrlab.data import DataError, load_problems
    from rlvrlab.data.stats import answer_stats

    try:
        problems = load_problems(name)
    except DataError as err:
        fail(str(err))
    stats = answer_stats(problems)
    console.print(f"[bold]{name}[/]: {stats['rows']} rows")
    for key in ("sources", "answer_types"):
        console.print(f"  {key}: " + ", ".join(f"{k} {v}" for k, v in stats[key].items()))


@data_app.command("list")
def data_list() -> None:
    """Names of the data sets shipped with the package."""
    from rlvrlab.data import shipped_names

    for name in shipped_names():
        console.print(name)


from rlvrlab.audit.cli import audit_app  # noqa: E402 (option lists only; the work is imported lazily)

app.add_typer(audit_app, name="audit")


def main() -> None:
    from rlvrlab.console import quiet_dependencies, setup_logging

    quiet_dependencies()  # before any command imports a Hugging Face library
    setup_logging()
    app()


if __name__ == "__main__":
    main()
