"""audit.md: the audit as a report section (markdown), written from audit.json alone."""

from __future__ import annotations

from typing import Any

from rlvrlab.audit.verdict import points


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _interval(ci: list[float] | None, signed: bool = True) -> str:
    if not ci:
        return "-"
    if signed:
        return f"[{points(ci[0])}, {points(ci[1])}]"
    return f"[{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]"


def _check_row(label: str, check: dict[str, Any]) -> str:
    if "diff" not in check:
        return f"| {label} | - | - | {check['verdict']} |"
    return f"| {label} | {points(check['diff'])} | {_interval(check['diff_ci95'])} | **{check['verdict']}** |"


def audit_markdown(audit: dict[str, Any]) -> str:
    """The section: summary, the checks table, then the prompt, control and contamination details."""
    protocol = audit["protocol"]
    limit = f"first {audit['limit']}" if audit["limit"] else "all"
    lines = [
        "## Is the RLVR gain real? (`rlvr audit`)",
        "",
        f"Trained `{audit['trained']['model']}` vs base `{audit['base']['model']}` on {audit['benchmark']} "
        f"({limit} problems x {protocol['n_samples']} samples at T={protocol['temperature']}, "
        f"prompt `{audit['prompt']}`); fresh problems: `{audit['fresh']}`. "
        "Differences are in accuracy points with paired 95% bootstrap intervals over problems.",
        "",
        f"**Verdict.** {audit['summary']}",
        "",
        "| check | change (points) | 95% CI | verdict |",
        "|---|---|---|---|",
        _check_row("claimed gain (trained - base)", audit["claimed_gain"]),
        _check_row(
            f"over the best-prompt base (`{audit['prompt_baseline']['best']}`)",
            audit["gain_over_best_prompt"],
        ),
    ]
    lines += [
        _check_row(f"over control `{c['name']}`", c["trained_minus_control"]) for c in audit["controls"]
    ]
    if not audit["controls"]:
        lines.append("| over spurious-reward controls | - | - | not measurable |")
    lines.append(_check_row("on fresh problems (trained - base)", audit["fresh_gain"]))
    contamination = audit["contamination"]
    lines.append(f"| contamination of the base | - | - | **{contamination['verdict']}** |")
    lines += [
        "",
        *prompt_section(audit["prompt_baseline"]),
        *_control_section(audit),
        *contamination_section(contamination),
    ]
    return "\n".join(lines) + "\n"


def prompt_section(baseline: dict[str, Any]) -> list[str]:
    lines = [
        "### Prompt baseline (base model)",
        "",
        "| template | accuracy | 95% CI |",
        "|---|---|---|",
    ]
    for name, row in baseline["templates"].items():
        mark = " (best)" if name == baseline["best"] else ""
        lines.append(
            f"| `{name}`{mark} | {_pct(row['accuracy'])} | {_interval(row['accuracy_ci95'], False)} |"
        )
    lines += [
        "",
        f"Spread, best - worst (`{baseline['best']}` - `{baseline['worst']}`): {points(baseline['spread'])} "
        f"points {_interval(baseline['spread_ci95'])}.",
        "",
    ]
    return lines


def _control_section(audit: dict[str, Any]) -> list[str]:
    if not audit["controls"]:
        return []
    lines = [
        "### Spurious-reward controls (same recipe, reward changed)",
        "",
        "| control | accuracy | its change over base | trained - control | on fresh: trained - control |",
        "|---|---|---|---|---|",
    ]
    for c in audit["controls"]:
        bench, fresh = c["trained_minus_control"], c["trained_minus_control_fresh"]
        lines.append(
            f"| `{c['name']}` | {_pct(c['accuracy'])} | {points(c['gain_over_base']['diff'])} "
            f"{_interval(c['gain_over_base']['diff_ci95'])} | {points(bench['diff'])} "
            f"{_interval(bench['diff_ci95'])} | {points(fresh['diff'])} {_interval(fresh['diff_ci95'])} |"
        )
    differing = [c for c in audit["controls"] if c.get("recipe_differences")]
    for c in differing:
        lines.append(
            f"\nControl `{c['name']}` departs from the recipe in: {', '.join(c['recipe_differences'])}."
        )
    return [*lines, ""]


def contamination_section(probe: dict[str, Any]) -> list[str]:
    if "exact_match" not in probe:
        return []
    lines = [
        f"### Contamination probe (base model; first {100 * probe['fraction']:.0f}% of each problem, greedy)",
        "",
        "| problems | n | exact match | ROUGE-L | partial-prompt accuracy |",
        "|---|---|---|---|---|",
    ]
    for label, row in (("benchmark", probe), ("fresh (control)", probe.get("control"))):
        if row:
            lines.append(
                f"| {label} | {row['n']} | {_pct(row['exact_match'])} {_interval(row['exact_match_ci95'], False)} "
                f"| {row['rouge_l']:.3f} [{row['rouge_l_ci95'][0]:.3f}, {row['rouge_l_ci95'][1]:.3f}] "
                f"| {_pct(row['partial_prompt_accuracy'])} "
                f"{_interval(row['partial_prompt_accuracy_ci95'], False)} |"
            )
    return [*lines, "", f"{probe['verdict']}: {probe['why']}.", ""]
