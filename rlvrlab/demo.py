"""`rlvr demo`: the paper's experiment on the CPU model organism, end to end.

For each shipped sim family (sim-qwen-math: code-heavy, code more accurate; sim-llama: never codes) and
each reward cell (ground truth, majority-vote labels, incorrect labels, format, random with and without
clipping, python, format-penalising-code), the demo runs GRPO through the same `rlvrlab.train.train`
as real models, evaluates the base and trained models on a held-out sim500 subset with
`rlvrlab.evaluate.run_eval`, and writes the HTML report (`rlvrlab.report.write_report`) plus FINDINGS.md:
the paper's three questions answered from the measured numbers.

Nothing here is special-cased for the organism: a sim model is a saved transformers model + tokenizer,
sim-train/sim500 are shipped data sets, the label sets come from `rlvrlab.labels.run_labelling`.
Every stage is resumable: a finished run (its `final/` folder) or eval (its summary.json) is skipped.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

EVAL_MAX_TOKENS = 128
"""new tokens for evals and rollouts: the longest organism solution (code ending "The answer is -N.") is ~120"""


@dataclass(frozen=True)
class Cell:
    """One reward condition. `data` "labels:majority" / "labels:incorrect" trains on the family's own
    majority-vote label set (all problems / only those whose majority label is wrong); `train` holds
    TrainConfig overrides (the paper's clipping ablations change the rollout shape, not the reward)."""

    name: str
    reward: str
    clip: str = "on"
    data: str = "sim-train"
    train: tuple[tuple[str, Any], ...] = ()


CELLS: dict[str, Cell] = {
    c.name: c
    for c in (
        Cell("ground_truth", "ground_truth"),
        Cell("majority_vote", "label", data="labels:majority"),
        Cell("incorrect", "label", data="labels:incorrect"),
        Cell("format", "format"),
        Cell("random", "random:0.5"),
        # the paper's three clipping ablations of the random reward
        Cell("random_noclip", "random:0.5", clip="off"),
        Cell("random_onpolicy", "random:0.5", train=(("updates_per_rollout", 1),)),
        Cell(
            "random_8x16_onpolicy",
            "random:0.5",
            train=(("prompts_per_rollout", 8), ("group_size", 16), ("updates_per_rollout", 1)),
        ),
        Cell("python", "python"),
        Cell("format_no_python", "format&!python"),
        # the dose-response: the random reward at other step sizes (how far the mode choice moves per
        # update, against the mechanism lab's dose; docs/sim-experiments.md 2026-12-01)
        Cell("random_lr1e-3", "random:0.5", train=(("learning_rate", 1e-3),)),
        Cell("random_lr5e-3", "random:0.5", train=(("learning_rate", 5e-3),)),
        Cell("random_lr1e-2", "random:0.5", train=(("learning_rate", 1e-2),)),
    )
}
ALL_CELLS = tuple(CELLS)
ABLATIONS = ("random_noclip", "random_onpolicy", "random_8x16_onpolicy")
DOSES = ("random_lr1e-3", "random", "random_lr5e-3", "random_lr1e-2")
"""the random reward's dose-response on sim-qwen-math, in increasing step size ("random" is the recipe's)"""
LLAMA_CELLS = tuple(c for c in ALL_CELLS if c not in ABLATIONS + DOSES or c == "random")
"""sim-llama never codes: the clipping ablations and the dose-response run on sim-qwen-math only"""


@dataclass(frozen=True)
class DemoPlan:
    """What a demo mode runs. `train` holds TrainConfig overrides on top of the cpu-small preset (the
    organism's recipe: learning rate, optimizer, rollout shape, lengths); docs/sim-experiments.md shows
    how they were chosen. `cells` maps each family to the cells it runs."""

    cells: dict[str, tuple[str, ...]]
    seeds: tuple[int, ...]
    steps: int
    eval_limit: int
    eval_samples: int
    label_problems: int
    label_samples: int
    mechanism_seeds: int = 100
    mechanism_rollouts: int = 50
    train: dict[str, Any] = field(default_factory=dict)

    @property
    def families(self) -> tuple[str, ...]:
        return tuple(self.cells)


ORGANISM_TRAIN: dict[str, Any] = {
    "prompt": "chat",
    "group_size": 8,
    "prompts_per_rollout": 8,
    "updates_per_rollout": 4,
    "micro_batch_size": 16,
    # docs/sim-experiments.md (2026-12-01): at Adam's default eps (1e-8) zero-mean reward noise is scaled
    # up to full-size steps on every parameter and erodes the organism's arithmetic; with eps 1e-2 (above
    # the organism's ~1e-4 per-parameter gradients) Adam acts as SGD with momentum, so confident skill
    # tokens (tiny gradients) barely move while the reasoning-mode choice can
    "learning_rate": 2e-3,
    "adam_epsilon": 1e-2,
    "max_completion_length": EVAL_MAX_TOKENS,
    "save_every": 0,
    "log_completions_every": 1,
    "eval_benchmark": "sim500",  # in-training eval (greedy) on the first eval_limit sim500 problems
    "eval_limit": 32,
    "eval_max_new_tokens": EVAL_MAX_TOKENS,
}

PLANS: dict[str, DemoPlan] = {
    "quick": DemoPlan(
        cells={
            "sim-qwen-math": ("ground_truth", "random", "random_noclip"),
            "sim-llama": ("ground_truth", "random"),
        },
        seeds=(1,),
        steps=6,
        eval_limit=64,
        eval_samples=2,
        label_problems=0,
        label_samples=0,
        mechanism_seeds=40,
        mechanism_rollouts=30,
        train=ORGANISM_TRAIN,
    ),
    "default": DemoPlan(
        cells={"sim-qwen-math": ALL_CELLS, "sim-llama": LLAMA_CELLS},
        seeds=(1,),
        steps=20,
        eval_limit=128,
        eval_samples=2,
        label_problems=128,
        label_samples=8,
        train=ORGANISM_TRAIN,
    ),
    "full": DemoPlan(
        cells={"sim-qwen-math": ALL_CELLS, "sim-llama": LLAMA_CELLS},
        # 5 seeds: the seed-to-seed spread of a 20-step organism run is large (sim-llama ground truth gained
        # +36, +8, +44 points on seeds 1-3), and the pooled interval's t has seeds - 1 degrees of freedom
        seeds=(1, 2, 3, 4, 5),
        steps=20,
        eval_limit=256,
        eval_samples=2,
        label_problems=256,
        label_samples=16,
        train=ORGANISM_TRAIN,
    ),
}


def model_path(family: str) -> str:
    """Folder of a shipped sim model (a plain transformers model + tokenizer)."""
    from rlvrlab.sim.info import model_path as sim_model_path

    path = sim_model_path(family)
    if not (path / "config.json").exists():
        raise ValueError(
            f"unknown sim family {family!r}: ship it under rlvrlab/sim/models/ (rlvr sim pretrain)"
        )
    return str(path)


def eval_dir_for(model: str, out: Path, plan: DemoPlan, seed: int) -> Path:
    """Evaluate `model` on the plan's sim500 subset at T=1 (the organism's mode choice is only visible
    when sampling; greedy decoding always picks the majority style). Skipped when already done."""
    from rlvrlab.evaluate import EvalConfig, run_eval

    if (out / "summary.json").exists():
        return out
    overrides = (
        f"n_samples={plan.eval_samples}",
        "temperature=1.0",
        f"max_new_tokens={EVAL_MAX_TOKENS}",
    )
    config = EvalConfig(
        model=model,
        out=str(out),
        benchmarks=("sim500",),
        prompt=plan.train.get("prompt", "chat"),
        limit=plan.eval_limit,
        overrides=overrides,
        batch_size=64,
        seed=seed,
        resume=(out / "config.json").exists(),
    )
    run_eval(config)
    return out


def label_sets(family: str, out: Path, plan: DemoPlan) -> dict[str, str]:
    """The family's own majority-vote labels on a sim-train subset (the paper's recipe, scaled down)."""
    from rlvrlab.labels.run import LabelOptions, run_labelling

    folder = out / "labels" / family
    if not (folder / "stats.json").exists():
        options = LabelOptions(
            model=model_path(family),
            data="sim-train",
            samples=plan.label_samples,
            temperature=1.0,
            max_new_tokens=EVAL_MAX_TOKENS,
            prompt=plan.train.get("prompt", "chat"),
            grading="paper",
            seed=0,
            problems_per_chunk=16,
        )
        run_labelling(
            options,
            folder,
            limit=plan.label_problems,
            resume=(folder / "answers.jsonl").exists(),
            batch_size=128,
        )
    return {"labels:majority": str(folder / "all.jsonl"), "labels:incorrect": str(folder / "incorrect.jsonl")}


def train_run(family: str, cell: Cell, seed: int, data: str, run_dir: Path, plan: DemoPlan) -> Path:
    """One GRPO run through the same code path as `rlvr train` (cpu-small preset + organism overrides)."""
    from rlvrlab.train.config import PRESETS, TrainConfig
    from rlvrlab.train.run import train

    if (run_dir / "final" / "config.json").exists():
        return run_dir
    values = {**PRESETS["cpu-small"], **plan.train, **dict(cell.train)}
    config = TrainConfig(
        **{
            **values,
            "model": model_path(family),
            "data": data,
            "reward": cell.reward,
            "clip": cell.clip,
            "seed": seed,
            "max_steps": plan.steps,
            "output_dir": str(run_dir),
            "eval_every": max(1, plan.steps // 4),
        }
    )
    train(config, resume=(run_dir / "config.yaml").exists())
    return run_dir


def _init_worker() -> None:
    """Tiny models decode fastest on one thread; two single-thread workers use both cores."""
    import torch

    torch.set_num_threads(1)
    logging.basicConfig(level=logging.WARNING)


def _base_job(family: str, seed: int, out: Path, plan: DemoPlan) -> str:
    eval_dir_for(model_path(family), out / "base" / f"{family}-seed{seed}", plan, seed)
    return f"base eval {family} seed {seed}"


def _mechanism_job(out: Path, plan: DemoPlan) -> str:
    """The mechanism lab's default sweep (the bandit the organism is compared against)."""
    from rlvrlab.sim.mechanism import Arm, default_arms, run_sweep, write_outputs

    folder = out / "mechanism"
    if not (folder / "mechanism.json").exists():
        base = Arm(seeds=plan.mechanism_seeds, rollouts=plan.mechanism_rollouts)
        write_outputs(run_sweep(default_arms(base)), folder)
    return "mechanism lab"


def _labels_job(family: str, out: Path, plan: DemoPlan) -> str:
    label_sets(family, out, plan)
    return f"majority-vote labels {family}"


def _run_job(family: str, cell_name: str, seed: int, out: Path, plan: DemoPlan) -> str:
    cell = CELLS[cell_name]
    data = cell.data
    if data.startswith("labels:"):
        data = label_sets(family, out, plan)[data]  # already built in stage 1: just the paths
    name = f"{family}--{cell.name}--seed{seed}"
    run_dir = train_run(family, cell, seed, data, out / "runs" / name, plan)
    eval_dir_for(str(run_dir / "final"), run_dir / "eval", plan, seed)
    return name


def run_demo(plan: DemoPlan, out: Path, on_progress: Any = None, workers: int = 2) -> dict[str, Any]:
    """Stage 1: the mechanism lab, base evals and label sets; stage 2: every (family, cell, seed) run +
    its final eval; then FINDINGS.md and the report. Jobs run in `workers` single-thread processes; each
    job is resumable."""
    from rlvrlab.demo_findings import summarise_findings, write_findings

    out.mkdir(parents=True, exist_ok=True)
    (out / "plan.json").write_text(json.dumps(_plan_dict(plan), indent=2) + "\n", encoding="utf-8")
    stage1: list[tuple[Any, tuple[Any, ...]]] = [(_mechanism_job, (out, plan))]
    stage1 += [(_base_job, (f, s, out, plan)) for f in plan.families for s in plan.seeds]
    for family, cells in plan.cells.items():
        if any(CELLS[c].data.startswith("labels:") for c in cells):
            stage1.append((_labels_job, (family, out, plan)))
    stage2 = [
        (_run_job, (f, c, s, out, plan)) for f, cells in plan.cells.items() for c in cells for s in plan.seeds
    ]
    total, started = len(stage1) + len(stage2), time.monotonic()
    done = 0
    for stage in (stage1, stage2):
        for label in _run_parallel(stage, workers):
            done += 1
            if on_progress is not None:
                on_progress(label, done, total, time.monotonic() - started)
    findings = summarise_findings(out, plan)
    write_findings(out, findings)
    _write_demo_report(out, plan)
    return findings


def _run_parallel(jobs: list[tuple[Any, tuple[Any, ...]]], workers: int) -> Any:
    """Yield each job's label as it finishes; a failing job raises here with its own traceback."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    if workers <= 1:
        _init_worker()
        for fn, args in jobs:
            yield fn(*args)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker) as pool:
        futures = [pool.submit(fn, *args) for fn, args in jobs]
        for future in as_completed(futures):
            yield future.result()


def _plan_dict(plan: DemoPlan) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(plan)


def _write_demo_report(out: Path, plan: DemoPlan) -> Path:
    """One report over every family: the headline (accuracy and code-rate change per reward and family,
    each run against its own family's base eval of the same seed, pooled over seeds x problems), the
    training dynamics, Code/Lang transitions and the mechanism lab's figure."""
    from rlvrlab.report.html import write_report

    bases = [out / "base" / f"{f}-seed{s}" for f in plan.families for s in plan.seeds]
    runs = sorted(p for f in plan.families for p in (out / "runs").glob(f"{f}--*"))
    return write_report([*bases, *runs, out / "mechanism"], out / "report", title="rlvr demo: the organism")


def plan_for(mode: str, seeds: int | None = None, steps: int | None = None) -> DemoPlan:
    if mode not in PLANS:
        raise ValueError(f"unknown demo mode {mode!r}: use one of {', '.join(PLANS)}")
    plan = PLANS[mode]
    if seeds is not None:
        plan = replace(plan, seeds=tuple(range(1, seeds + 1)))
    if steps is not None:
        plan = replace(plan, steps=steps)
    return plan
