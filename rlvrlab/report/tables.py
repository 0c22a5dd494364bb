"""Tables of analysis results, built once and rendered three ways: HTML, markdown, and rich (CLI).

Every table is a plain `Table` of already formatted strings, so the HTML page, its markdown twin and
`rlvr analyze` show the same numbers with the same rounding. Missing values print as "-", never 0.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from rlvrlab.analysis.evals import TRANSITIONS


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    note: str | None = None


def pct(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{100 * value:.{digits}f}"


def pct_ci(value: float | None, ci: list[float] | None) -> str:
    """ "52.4 [46.9, 58.2]" (percent), or "-"."""
    if value is None:
        return "-"
    return pct(value) if not ci else f"{pct(value)} [{pct(ci[0])}, {pct(ci[1])}]"


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _count(value: float) -> str:
    """Correct-answer counts: whole numbers with one sample per problem, fractional with k > 1."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def eval_table(stats: list[dict[str, Any]]) -> Table:
    """One row per (eval, benchmark): the paper-style code analysis plus answer-format stats."""
    table = Table(
        "Evaluations: code reasoning and accuracy (%, 95% bootstrap intervals over problems)",
        [
            "eval",
            "benchmark",
            "problems x k",
            "accuracy",
            "code rate",
            "acc. with code",
            "acc. without code",
            "strict code rate",
            "acc. with / without strict code",
            "boxed",
            "no answer",
            "truncated",
        ],
        note='Code rate: the paper\'s rule ("python" anywhere). Strict: a fenced python block or >= 3 '
        "consecutive code-like lines. Accuracy is avg@k; with / without code it is pooled over samples "
        "(rlvrlab.metrics).",
    )
    for s in stats:
        strict = f"{pct(s['with_code_strict']['accuracy'])} / {pct(s['without_code_strict']['accuracy'])}"
        table.rows.append(
            [
                s["name"],
                s["benchmark"],
                f"{s['n_problems']} x {s['samples_per_problem']}",
                pct_ci(s["accuracy"], s["accuracy_ci95"]),
                pct(s["code_rate"]),
                pct_ci(s["with_code"]["accuracy"], s["with_code"]["ci95"])
                + f" (n={s['with_code']['n_samples']})",
                pct_ci(s["without_code"]["accuracy"], s["without_code"]["ci95"])
                + f" (n={s['without_code']['n_samples']})",
                pct(s["code_rate_strict"]),
                strict,
                pct(s["boxed_rate"]),
                pct(s["no_answer_rate"]),
                pct(s["truncation_rate"]),
            ]
        )
    return table


def transition_table(result: dict[str, Any]) -> Table:
    """The paper's Code/Lang transition table between two evals, with partial contributions."""
    mean, low, high = result["accuracy_change_ci95"]
    table = Table(
        f"{result['benchmark']}: {result['before']} -> {result['after']} (mode by the {result['detector']} rule)",
        [
            "transition",
            "problems",
            "accuracy before -> after (%)",
            "correct before -> after",
            "change",
            "partial contribution",
        ],
        note=f"Overall {pct(result['accuracy_before'])} -> {pct(result['accuracy_after'])}: "
        f"{100 * mean:+.1f} points [{100 * low:+.1f}, {100 * high:+.1f}] (paired bootstrap). "
        "Partial contribution = change in correct answers inside the subset / overall change."
        + (f" {result['note']}." if result["note"] else ""),
    )
    for row in result["subsets"]:
        table.rows.append(
            [
                row["subset"],
                str(row["n_problems"]),
                f"{pct(row['accuracy_before'])} -> {pct(row['accuracy_after'])}",
                f"{_count(row['correct_before'])} -> {_count(row['correct_after'])}",
                f"{row['delta_correct']:+.4g}",
                pct(row["partial_contribution"]) + ("%" if row["partial_contribution"] is not None else ""),
            ]
        )
    table.rows.append(
        ["total", str(result["n_problems"]), f"{pct(result['accuracy_before'])} -> {pct(result['accuracy_after'])}",
         "", f"{result['delta_correct']:+.4g}", "100%" if result["note"] is None else "-"]
    )  # fmt: skip
    return table


def contribution_table(results: list[dict[str, Any]]) -> Table:
    """One row per compared pair: accuracy change and the four partial contributions side by side."""
    table = Table(
        "Partial contributions of each transition subset to the accuracy change (%)",
        ["benchmark", "before -> after", "accuracy change (points)", *TRANSITIONS],
    )
    for r in results:
        parts = {row["subset"]: row["partial_contribution"] for row in r["subsets"]}
        change = 100 * (r["accuracy_after"] - r["accuracy_before"])
        table.rows.append(
            [
                r["benchmark"],
                f"{r['before']} -> {r['after']}",
                f"{change:+.1f}",
                *(pct(parts[t]) for t in TRANSITIONS),
            ]
        )
    return table


def run_table(summaries: list[dict[str, Any]]) -> Table:
    """One row per training run: rewards used, steps, first -> last of the headline metrics."""
    metrics = sorted({k for s in summaries for k, v in s.items() if isinstance(v, dict)}, key=_metric_order)
    table = Table("Training runs (first -> last logged value)", ["run", "rewards", "steps", *metrics])
    for s in summaries:
        cells = []
        for metric in metrics:
            span = s.get(metric) or {"first": None, "last": None}
            cells.append("-" if span["last"] is None else f"{_num(span['first'])} -> {_num(span['last'])}")
        table.rows.append([s["run"], ", ".join(s["rewards"]) or "-", str(s["steps"]), *cells])
    return table


def _metric_order(metric: str) -> tuple[int, str]:
    return (0 if metric.startswith("train/") else 1 if metric.startswith("eval/") else 2, metric)


def to_markdown(table: Table) -> str:
    def row(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    lines = [f"**{table.title}**", "", row(table.headers), row(["---"] * len(table.headers))]
    lines += [row(r) for r in table.rows]
    if table.note:
        lines += ["", f"_{table.note}_"]
    return "\n".join(lines) + "\n"


def to_html(table: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>\n" for r in table.rows)
    note = f'<p class="note">{html.escape(table.note)}</p>' if table.note else ""
    return (
        f"<table><caption>{html.escape(table.title)}</caption>\n<thead><tr>{head}</tr></thead>\n"
        f"<tbody>\n{body}</tbody></table>\n{note}\n"
    )


def to_rich(table: Table) -> Any:
    """A rich Table for the CLI (rich is imported here, not at module import)."""
    from rich.table import Table as RichTable

    out = RichTable(*table.headers, title=table.title, caption=table.note, caption_justify="left")
    for r in table.rows:
        out.add_row(*r)
    return out
