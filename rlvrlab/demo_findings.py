"""FINDINGS.md and findings.json of `rlvr demo`: the paper's questions answered from measured numbers only.

Every change is pooled over seeds and problems with `rlvrlab.stats.pooled_change` (each seed's final
eval paired with that seed's base eval on the same problems). A "gain" is an accuracy change whose 95%
interval lies above zero; "no gain" is an interval that includes zero or lies below it.

findings.json: {"plan", "cells": [row per (family, cell)], "mechanism": [lab arms], "organism_mechanism",
"answers": [{"question", "measured", "answer"}]}. A row holds family, cell, seeds, accuracy_base,
accuracy_final, accuracy_diff, accuracy_diff_ci95, accuracy_diff_per_seed, code_rate_base,
code_rate_final, code_rate_diff, code_rate_diff_ci95, accuracy_with_code_final,
accuracy_without_code_final, and the run's clipping at the first completion token (where the organism
picks its reasoning mode): first_token_clip_fraction, first_token_abs_log_ratio, other_tokens_clip_fraction.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from rlvrlab.data import read_jsonl

CODE_SHIFT = 0.10
"""a reward "raises code use" when the code rate rises by at least this much (the issue's bar) with the
pooled interval of the code-rate change above zero"""
PYTHON_BAR = 0.95
"""the python reward "drives code use up" when the final code rate exceeds this (paper: > 99% in 20 steps)"""


def summarise_findings(out: Path, plan: Any) -> dict[str, Any]:
    """Rows per (family, cell), the mechanism lab's arms, and the answers."""
    table: list[dict[str, Any]] = []
    for family, cells in plan.cells.items():
        for cell in cells:
            per_seed = []
            for seed in plan.seeds:
                base = out / "base" / f"{family}-seed{seed}"
                run = out / "runs" / f"{family}--{cell}--seed{seed}"
                if (run / "eval" / "summary.json").exists():
                    per_seed.append({"seed": seed, "base": base, "final": run / "eval", "run": run})
            if per_seed:
                table.append(cell_row(family, cell, per_seed))
    mechanism = _read_mechanism(out / "mechanism")
    from dataclasses import asdict

    return {
        "plan": asdict(plan),
        "cells": table,
        "mechanism": mechanism,
        "organism_mechanism": organism_mechanism(table, mechanism),
        "answers": answer_questions(table, mechanism),
    }


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _eval_summary(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))["benchmarks"]["sim500"]


def _run_clipping(runs: list[Path]) -> dict[str, float]:
    """Mean over the runs' rollouts of the first-token and other-token clip fractions and |log ratio|."""
    keys = {
        "first_token_clip_fraction": ("clip/first_token/low_fraction", "clip/first_token/high_fraction"),
        "other_tokens_clip_fraction": ("clip/other_tokens/low_fraction", "clip/other_tokens/high_fraction"),
        "first_token_abs_log_ratio": ("policy/first_token/mean_abs_log_ratio",),
    }
    rows = [r for run in runs if (run / "metrics.jsonl").exists() for r in read_jsonl(run / "metrics.jsonl")]
    out = {}
    for name, parts in keys.items():
        values = [sum(r[k] for k in parts) for r in rows if all(_finite(r.get(k)) for k in parts)]
        out[name] = _mean(values) if values else math.nan
    return out


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def cell_row(family: str, cell: str, per_seed: list[dict[str, Any]]) -> dict[str, Any]:
    from rlvrlab.analysis.cells import paired_changes
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
        "accuracy_with_code_base": seed_mean(0, "accuracy_with_code"),
        "accuracy_with_code_final": seed_mean(1, "accuracy_with_code"),
        "accuracy_without_code_final": seed_mean(1, "accuracy_without_code"),
        **_run_clipping([s["run"] for s in per_seed]),
    }


def _read_mechanism(folder: Path) -> list[dict[str, Any]]:
    path = folder / "mechanism.json"
    if not path.exists():
        return []
    return [
        {k: v for k, v in arm.items() if k not in ("p_mode", "expected_accuracy", "config")}
        for arm in json.loads(path.read_text(encoding="utf-8"))
    ]


# ---- the questions ----------------------------------------------------------------------------------


def _find(table: list[dict[str, Any]], family: str, cell: str) -> dict[str, Any] | None:
    return next((r for r in table if r["family"] == family and r["cell"] == cell), None)


def _gain(row: dict[str, Any] | None) -> bool | None:
    """True when the accuracy change's 95% interval lies above zero (None: not run)."""
    return None if row is None else row["accuracy_diff_ci95"][0] > 0


def _code_up(row: dict[str, Any] | None) -> bool | None:
    if row is None or row.get("code_rate_diff") is None:
        return None
    return row["code_rate_diff"] >= CODE_SHIFT and row["code_rate_diff_ci95"][0] > 0


def _code_down(row: dict[str, Any] | None) -> bool | None:
    return None if row is None or row.get("code_rate_diff") is None else row["code_rate_diff_ci95"][1] < 0


def _change(row: dict[str, Any] | None) -> str:
    if row is None:
        return "not run"
    low, high = row["accuracy_diff_ci95"]
    text = f"accuracy {100 * row['accuracy_diff']:+.1f} points [{100 * low:+.1f}, {100 * high:+.1f}]"
    if row.get("code_rate_diff") is not None:
        c_low, c_high = row["code_rate_diff_ci95"]
        text += (
            f", code rate {_pct(row['code_rate_base'])} -> {_pct(row['code_rate_final'])} "
            f"({100 * row['code_rate_diff']:+.1f} [{100 * c_low:+.1f}, {100 * c_high:+.1f}])"
        )
    return text


def _yes_no(value: bool | None, *rows: Any) -> str:
    if any(r is None for r in rows):
        return "not measured in this mode"
    return "yes" if value else "no"


def answer_questions(
    table: list[dict[str, Any]], mechanism: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The paper's questions, answered only from measured rows (see the module docstring for the bars)."""
    qm, ll = "sim-qwen-math", "sim-llama"
    rq, rl = _find(table, qm, "random"), _find(table, ll, "random")
    ablations = {c: _find(table, qm, c) for c in ("random_noclip", "random_onpolicy", "random_8x16_onpolicy")}
    gq, gl = _find(table, qm, "ground_truth"), _find(table, ll, "ground_truth")
    py, fnp = _find(table, qm, "python"), _find(table, qm, "format_no_python")
    measured_ablations = {k: v for k, v in ablations.items() if v is not None}
    answers = [
        {
            "question": "Does random reward with clipping raise sim-qwen-math's code rate (>= 10 points) and "
            "accuracy, but not sim-llama's accuracy?",
            "measured": {qm: _change(rq), ll: _change(rl)},
            "answer": _yes_no(bool(_code_up(rq) and _gain(rq) and not _gain(rl)), rq, rl),
        },
        {
            "question": "Do the paper's clipping ablations (no clipping; one update per rollout; 8 prompts x "
            "16, one update) give no gain?",
            "measured": {f"{qm} {k}": _change(v) for k, v in ablations.items()},
            "answer": _yes_no(
                not any(_gain(v) for v in measured_ablations.values()), *measured_ablations.values()
            )
            if measured_ablations
            else "not measured in this mode",
        },
        {
            "question": "Does ground truth help both families?",
            "measured": {qm: _change(gq), ll: _change(gl)},
            "answer": _yes_no(bool(_gain(gq) and _gain(gl)), gq, gl),
        },
        {
            "question": f"Does the python reward drive code use above {PYTHON_BAR:.0%}, and format AND NOT "
            "python drive it down?",
            "measured": {f"{qm} python": _change(py), f"{qm} format AND NOT python": _change(fnp)},
            "answer": _yes_no(
                bool(py and (py["code_rate_final"] or 0) > PYTHON_BAR and _code_down(fnp)), py, fnp
            ),
        },
    ]
    if _never_clipped(rq):
        answers[1]["note"] = (
            "The clipped random run never clipped a token (clip fraction 0 in every rollout), so at this "
            "recipe clip on and clip off are the same computation: with no gain to remove, the ablations "
            "say nothing about clipping here; the dose-response below shows where the clip binds."
        )
    if mechanism:
        answers.append(_mechanism_answer(mechanism))
    return answers


def _never_clipped(row: dict[str, Any] | None) -> bool:
    """Both clip fractions (non-negative per rollout) average exactly zero: no token was ever clipped."""
    return row is not None and all(
        row.get(k) == 0 for k in ("first_token_clip_fraction", "other_tokens_clip_fraction")
    )


CONCENTRATES = 0.05
"""a lab arm "concentrates" when its mean p(majority) ends at least this far above its start and more than
half of its seeds (by the share's 95% interval) end on the majority mode"""


def _concentrates(arm: dict[str, Any]) -> bool:
    return (
        arm["mean_p_majority"] >= arm["p_majority_start"] + CONCENTRATES
        and arm["share_majority_ci95"][0] > 0.5
    )


def _mechanism_answer(mechanism: list[dict[str, Any]]) -> dict[str, Any]:
    """Lab: clip on concentrates; clip off and one update per rollout do not."""
    arms = {a["arm"]: a for a in mechanism}
    on, off, policy = arms.get("clip on"), arms.get("clip off"), arms.get("1 update per rollout")
    measured = {
        name: f"{a['share_majority']:.2f} of seeds end on the majority mode "
        f"[{a['share_majority_ci95'][0]:.2f}, {a['share_majority_ci95'][1]:.2f}], p(majority) "
        f"{a['p_majority_start']:.2f} -> {a['mean_p_majority']:.2f}"
        for name, a in (("clip on", on), ("clip off", off), ("1 update per rollout", policy))
        if a is not None
    }
    value = bool(
        on and off and policy and _concentrates(on) and not _concentrates(off) and not _concentrates(policy)
    )
    return {
        "question": "In the mechanism lab (the paper's objective on a bandit of modes), does clipping pull "
        "zero-information reward to the majority mode, and clip off / on-policy not?",
        "measured": measured,
        "answer": _yes_no(value, on, off, policy),
    }


def organism_mechanism(table: list[dict[str, Any]], mechanism: list[dict[str, Any]]) -> dict[str, Any]:
    """How far the organism's mode decision (first token) moves and is clipped in the random runs,
    next to the lab's dose (mean |log ratio| of the mode, clip on) at which the pull appears."""
    arms = {a["arm"]: a for a in mechanism}
    rows = {r["cell"]: r for r in table if r["family"] == "sim-qwen-math" and r["cell"].startswith("random")}
    return {
        "organism": {
            cell: {
                k: r.get(k)
                for k in (
                    "first_token_clip_fraction",
                    "first_token_abs_log_ratio",
                    "other_tokens_clip_fraction",
                )
            }
            for cell, r in rows.items()
        },
        "lab_clip_on_abs_log_ratio": arms.get("clip on", {}).get("mean_abs_log_ratio"),
        "lab_weak_pull_abs_log_ratio": arms.get("lr 0.05, clip on", {}).get("mean_abs_log_ratio"),
    }


# ---- FINDINGS.md --------------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def findings_markdown(findings: dict[str, Any]) -> str:
    plan = findings["plan"]
    lines = [
        "# rlvr demo: findings (measured)",
        "",
        f"Families {', '.join(plan['cells'])}; {plan['steps']} GRPO steps per run; seeds {plan['seeds']}; "
        f"eval: {plan['eval_limit']} sim500 problems x {plan['eval_samples']} samples at T=1. Changes are "
        "pooled over seeds and problems (`rlvrlab.stats.pooled_change`), with 95% intervals.",
        "",
    ]
    if len(plan["seeds"]) == 1:
        lines += [
            "One seed: each interval covers the sampling of problems only, not the spread between training "
            "runs, which on this organism is often larger (`accuracy_diff_per_seed` in a `--full` run's "
            "findings.json); `rlvr demo --full` pools 5 seeds.",
            "",
        ]
    for q in findings["answers"]:
        lines += [f"**{q['question']}** {q['answer']}.", ""]
        lines += [q["note"], ""] if q.get("note") else []
        lines += [f"- {who}: {what}" for who, what in q["measured"].items()] + [""]
    lines += _mechanism_lines(findings.get("organism_mechanism") or {})
    lines += _dose_lines(findings["cells"])
    lines += [
        "| family | reward | accuracy base -> final | change [95% CI] | code rate base -> final | "
        "code change [95% CI] | first-token clip |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in findings["cells"]:
        low, high = r["accuracy_diff_ci95"]
        c_low, c_high = r["code_rate_diff_ci95"]
        lines.append(
            f"| {r['family']} | {r['cell']} | {_pct(r['accuracy_base'])} -> {_pct(r['accuracy_final'])} | "
            f"{100 * r['accuracy_diff']:+.1f} [{100 * low:+.1f}, {100 * high:+.1f}] | "
            f"{_pct(r['code_rate_base'])} -> {_pct(r['code_rate_final'])} | "
            f"{100 * r['code_rate_diff']:+.1f} [{100 * c_low:+.1f}, {100 * c_high:+.1f}] | "
            f"{_frac(r.get('first_token_clip_fraction'))} |"
        )
    return "\n".join(lines) + "\n"


def _frac(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{100 * value:.2f}%"


def _mechanism_lines(om: dict[str, Any]) -> list[str]:
    if not om.get("organism"):
        return []
    lab, weak = om.get("lab_clip_on_abs_log_ratio"), om.get("lab_weak_pull_abs_log_ratio")
    lines = ["**Where the organism's mode decision stands against the lab's dose.**", ""]
    if lab is not None:
        lines.append(
            f"- lab: mean |log ratio| of the mode over a rollout's updates {lab:.3f} with the pull (lr 0.2)"
            + (f", {weak:.3f} where it is weak (lr 0.05)" if weak is not None else "")
        )
    for cell, m in om["organism"].items():
        lines.append(
            f"- organism {cell}: first-token |log ratio| {m['first_token_abs_log_ratio']:.3f}, first-token clip "
            f"{_frac(m['first_token_clip_fraction'])}, other tokens clipped {_frac(m['other_tokens_clip_fraction'])}"
        )
    return lines + [""]


def dose_response(table: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The random reward on sim-qwen-math at increasing step sizes: how far the mode choice moves and is
    clipped (the lab's dose) against the code-rate drift and the code skill's erosion."""
    from rlvrlab.demo import CELLS, DOSES, ORGANISM_TRAIN

    rows = []
    for cell in DOSES:
        r = _find(table, "sim-qwen-math", cell)
        if r is None:
            continue
        lr = dict(CELLS[cell].train).get("learning_rate", ORGANISM_TRAIN["learning_rate"])
        rows.append({"cell": cell, "learning_rate": lr, **r})
    return rows


def _dose_lines(table: list[dict[str, Any]]) -> list[str]:
    rows = dose_response(table)
    if len(rows) < 2:
        return []
    lines = [
        "**Dose-response of the random reward (sim-qwen-math, clip on).** The lab's pull needs the mode's "
        "|log ratio| near the clip range within a rollout; the organism's first completion token is its mode.",
        "",
        "| cell | first-token abs log ratio | first-token clip | code rate change | accuracy change | "
        "accuracy with code (skill) base -> final |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['cell']} | {r['first_token_abs_log_ratio']:.3f} | {_frac(r['first_token_clip_fraction'])} | "
            f"{100 * r['code_rate_diff']:+.1f} | {100 * r['accuracy_diff']:+.1f} | "
            f"{_pct(r.get('accuracy_with_code_base'))} -> {_pct(r['accuracy_with_code_final'])} |"
        )
    return lines + [""]


def write_findings(out: Path, findings: dict[str, Any]) -> None:
    (out / "findings.json").write_text(json.dumps(findings, indent=2) + "\n", encoding="utf-8")
    (out / "FINDINGS.md").write_text(findings_markdown(findings), encoding="utf-8")
