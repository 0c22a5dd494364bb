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


@dataclass(frozen=True)
class Cell:
    """One reward condition. `data` "labels:majority" / "labels:incorrect" trains on the family's own
    majority-vote label set (all problems / only those whose majority label is wrong)."""

    name: str
    reward: str
    clip: str = "on"
    data: str = "sim-train"


CELLS: dict[str, Cell] = {
    c.name: c
    for c in (
        Cell("ground_truth", "ground_truth"),
        Cell("majority_vote", "label", data="labels:majority"),
        Cell("incorrect", "label", data="labels:incorrect"),
        Cell("format", "format"),
        Cell("random", "random:0.5"),
        Cell("random_noclip", "random:0.5", clip="off"),
        Cell("python", "python"),
        Cell("format_no_python", "format&!python"),
    )
}


@dataclass(frozen=True)
class DemoPlan:
    """What a demo mode runs. `train` holds TrainConfig overrides on top of the cpu-small preset (the
    organism's tuned learning rate, rollout shape, lengths); see docs/sim-experiments.md for how they
    were chosen."""

    families: tuple[str, ...]
    cells: tuple[str, ...]
    seeds: tuple[int, ...]
    steps: int
    eval_limit: int
    eval_samples: int
    label_problems: int
    label_samples: int
    train: dict[str, Any] = field(default_factory=dict)


ORGANISM_TRAIN: dict[str, Any] = {
    "prompt": "chat",
    "group_size": 8,
    "prompts_per_rollout": 8,
    "updates_per_rollout": 4,
    "micro_batch_size": 16,
    "learning_rate": 3e-5,  # docs/sim-experiments.md: 1e-3 collapses the organism, 1e-4 erodes its skill
    "max_completion_length": 128,  # a code solution is ~112 characters (tokens) + EOS
    "save_every": 0,
    "log_completions_every": 1,
    "eval_benchmark": "sim500",  # in-training eval (greedy) on the first eval_limit sim500 problems
    "eval_limit": 32,
    "eval_max_new_tokens": 128,
}
EVAL_MAX_TOKENS = 128
ALL_CELLS = tuple(CELLS)

PLANS: dict[str, DemoPlan] = {
    "quick": DemoPlan(
        families=("sim-qwen-math", "sim-llama"),
        cells=("ground_truth", "random", "random_noclip"),
        seeds=(1,),
        steps=4,
        eval_limit=64,
        eval_samples=2,
        label_problems=0,
        label_samples=0,
        train=ORGANISM_TRAIN,
    ),
    "default": DemoPlan(
        families=("sim-qwen-math", "sim-llama"),
        cells=ALL_CELLS,
        seeds=(1,),
        steps=12,
        eval_limit=128,
        eval_samples=2,
        label_problems=256,  # sim-qwen-math's majority vote is right on ~95%: the incorrect set needs many
        label_samples=8,
        train=ORGANISM_TRAIN,
    ),
    "full": DemoPlan(
        families=("sim-qwen-math", "sim-llama"),
        cells=ALL_CELLS,
        seeds=(1, 2, 3),
        steps=30,
        eval_limit=256,
        eval_samples=4,
        label_problems=512,
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
    run_eval(config, progress=False)
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
    values = {**PRESETS["cpu-small"], **plan.train}
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
    """Stage 1: base evals and label sets; stage 2: every (family, cell, seed) run + its final eval; then
    FINDINGS.md and the report. Jobs run in `workers` single-thread processes; each job is resumable."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "plan.json").write_text(json.dumps(_plan_dict(plan), indent=2) + "\n", encoding="utf-8")
    needs_labels = any(CELLS[c].data.startswith("labels:") for c in plan.cells)
    stage1 = [(_base_job, (f, s, out, plan)) for f in plan.families for s in plan.seeds]
    stage1 += [(_labels_job, (f, out, plan)) for f in plan.families if needs_labels]
    stage2 = [(_run_job, (f, c, s, out, plan)) for f in plan.families for c in plan.cells for s in plan.seeds]
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


def _eval_summary(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))["benchmarks"]["sim500"]


def summarise_findings(out: Path, plan: DemoPlan) -> dict[str, Any]:
    """Per (family, cell): base and final accuracy / code rate, mean over seeds, and the accuracy and
    code-rate changes pooled over seeds and problems (`rlvrlab.stats.pooled_change`: each seed's final
    eval is paired with that seed's base eval on the same problems)."""
    table: list[dict[str, Any]] = []
    for family in plan.families:
        for cell in plan.cells:
            per_seed = []
            for seed in plan.seeds:
                base = out / "base" / f"{family}-seed{seed}"
                final = out / "runs" / f"{family}--{cell}--seed{seed}" / "eval"
                if (final / "summary.json").exists():
                    per_seed.append({"seed": seed, "base": base, "final": final})
            if per_seed:
                table.append(_cell_row(family, cell, per_seed))
    return {"plan": _plan_dict(plan), "cells": table, "answers": answer_questions(table)}


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _per_problem(folder: Path, key: str) -> dict[str, float]:
    """{problem_id: mean of a per-sample flag} from an eval folder's samples.jsonl."""
    from rlvrlab.data import read_jsonl
    from rlvrlab.evaluate.metrics import group_by_problem

    groups = group_by_problem(read_jsonl(folder / "samples.jsonl"))
    return {pid: _mean([float(bool(r.get(key))) for r in rows]) for pid, rows in groups.items()}


def paired_changes(pairs: list[tuple[Path, Path]], key: str = "correct") -> list[list[float]]:
    """(seeds x problems) per-problem changes final - base of a per-sample flag, on the problems every
    eval covers, in one order (the table `rlvrlab.stats.pooled_change` takes)."""
    tables = [(_per_problem(base, key), _per_problem(final, key)) for base, final in pairs]
    shared = sorted(set.intersection(*(set(b) & set(f) for b, f in tables)))
    if not shared:
        raise ValueError(f"no problem is shared by all of {[str(f) for _, f in pairs]} and their bases")
    return [[f[pid] - b[pid] for pid in shared] for b, f in tables]


def _cell_row(family: str, cell: str, per_seed: list[dict[str, Any]]) -> dict[str, Any]:
    from rlvrlab.stats import pooled_change

    pairs = [(s["base"], s["final"]) for s in per_seed]
    summaries = [(_eval_summary(s["base"]), _eval_summary(s["final"])) for s in per_seed]

    def seed_mean(where: int, key: str) -> float | None:
        values = [s[where][key] for s in summaries if s[where].get(key) is not None]
        return _mean(values) if values else None

    accuracy = pooled_change(paired_changes(pairs, "correct"))
    code = pooled_change(paired_changes(pairs, "uses_code"))
    return {
        "family": family,
        "cell": cell,
        "seeds": [s["seed"] for s in per_seed],
        "accuracy_base": seed_mean(0, "accuracy"),
        "accuracy_final": seed_mean(1, "accuracy"),
        "accuracy_diff": accuracy.mean,
        "accuracy_diff_ci95": accuracy.ci95,
        "accuracy_diff_per_seed": list(accuracy.per_seed),
        "code_rate_base": seed_mean(0, "code_rate"),
        "code_rate_final": seed_mean(1, "code_rate"),
        "code_rate_diff": code.mean,
        "code_rate_diff_ci95": code.ci95,
        "accuracy_with_code_final": seed_mean(1, "accuracy_with_code"),
        "accuracy_without_code_final": seed_mean(1, "accuracy_without_code"),
    }


def _find(table: list[dict[str, Any]], family: str, cell: str) -> dict[str, Any] | None:
    return next((r for r in table if r["family"] == family and r["cell"] == cell), None)


def _change(row: dict[str, Any] | None) -> str:
    if row is None:
        return "not run"
    low, high = row["accuracy_diff_ci95"]
    code = (row["code_rate_final"] or 0) - (row["code_rate_base"] or 0)
    return (
        f"accuracy {100 * row['accuracy_diff']:+.1f} points [{100 * low:+.1f}, {100 * high:+.1f}], "
        f"code rate {100 * (row['code_rate_base'] or 0):.1f}% -> {100 * (row['code_rate_final'] or 0):.1f}% "
        f"({100 * code:+.1f})"
    )


def _gain(row: dict[str, Any] | None) -> bool | None:
    """True when the accuracy change's 95% interval lies above zero, False otherwise (None: not run)."""
    return None if row is None else row["accuracy_diff_ci95"][0] > 0


def _code_up(row: dict[str, Any] | None, margin: float = 0.05) -> bool | None:
    if row is None or row["code_rate_base"] is None or row["code_rate_final"] is None:
        return None
    return row["code_rate_final"] - row["code_rate_base"] > margin


def answer_questions(table: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The paper's three questions, answered only from measured rows. A "gain" is an accuracy change whose
    95% interval excludes zero; a code-rate rise is > 5 points."""
    qm, ll = "sim-qwen-math", "sim-llama"
    rq, rl = _find(table, qm, "random"), _find(table, ll, "random")
    nq = _find(table, qm, "random_noclip")
    gq, gl = _find(table, qm, "ground_truth"), _find(table, ll, "ground_truth")
    return [
        {
            "question": "Does random reward with clipping raise code rate and accuracy for sim-qwen-math but not sim-llama?",
            "measured": {qm: _change(rq), ll: _change(rl)},
            "answer": _yes_no(_code_up(rq) and _gain(rq) and not _gain(rl), rq, rl),
        },
        {
            "question": "Does clip=off remove the gain?",
            "measured": {f"{qm} clip on": _change(rq), f"{qm} clip off": _change(nq)},
            "answer": _yes_no(bool(_gain(rq)) and not _gain(nq), rq, nq)
            if _gain(rq)
            else "no gain with clipping to remove",
        },
        {
            "question": "Does ground truth help both families?",
            "measured": {qm: _change(gq), ll: _change(gl)},
            "answer": _yes_no(_gain(gq) and _gain(gl), gq, gl),
        },
    ]


def _yes_no(value: bool | None, *rows: dict[str, Any] | None) -> str:
    if any(r is None for r in rows):
        return "not measured in this mode"
    return "yes" if value else "no"


def findings_markdown(findings: dict[str, Any]) -> str:
    plan = findings["plan"]
    lines = [
        "# rlvr demo: findings (measured)",
        "",
        f"Families {', '.join(plan['families'])}; {plan['steps']} GRPO steps per run; seeds {plan['seeds']}; "
        f"eval: {plan['eval_limit']} sim500 problems x {plan['eval_samples']} samples at T=1.",
        "",
    ]
    for q in findings["answers"]:
        lines += [f"**{q['question']}** {q['answer']}.", ""]
        lines += [f"- {who}: {what}" for who, what in q["measured"].items()] + [""]
    lines += [
        "| family | reward | accuracy base -> final | change [95% CI] | code rate base -> final | acc with / without code (final) |",
        "|---|---|---|---|---|---|",
    ]
    for r in findings["cells"]:
        low, high = r["accuracy_diff_ci95"]
        lines.append(
            f"| {r['family']} | {r['cell']} | {_pct(r['accuracy_base'])} -> {_pct(r['accuracy_final'])} | "
            f"{100 * r['accuracy_diff']:+.1f} [{100 * low:+.1f}, {100 * high:+.1f}] | "
            f"{_pct(r['code_rate_base'])} -> {_pct(r['code_rate_final'])} | "
            f"{_pct(r['accuracy_with_code_final'])} / {_pct(r['accuracy_without_code_final'])} |"
        )
    return "\n".join(lines) + "\n"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def write_findings(out: Path, findings: dict[str, Any]) -> None:
    (out / "findings.json").write_text(json.dumps(findings, indent=2) + "\n", encoding="utf-8")
    (out / "FINDINGS.md").write_text(findings_markdown(findings), encoding="utf-8")


def _write_demo_report(out: Path, plan: DemoPlan) -> None:
    """One report per family (its runs' curves, evals and Code/Lang transitions against its own base)."""
    from rlvrlab.report.html import write_report

    for family in plan.families:
        bases = [out / "base" / f"{family}-seed{s}" for s in plan.seeds]
        runs = sorted((out / "runs").glob(f"{family}--*"))
        write_report(
            bases[:1] + runs,
            out / "report" / family,
            title=f"rlvr demo: {family}",
        )


def plan_for(mode: str, seeds: int | None = None, steps: int | None = None) -> DemoPlan:
    if mode not in PLANS:
        raise ValueError(f"unknown demo mode {mode!r}: use one of {', '.join(PLANS)}")
    plan = PLANS[mode]
    if seeds is not None:
        plan = replace(plan, seeds=tuple(range(1, seeds + 1)))
    if steps is not None:
        plan = replace(plan, steps=steps)
    return plan
