"""Tables of analysis results, built once and rendered three ways: HTML, markdown, and rich (CLI).

Every table is a plain `Table` of already formatted strings, so the HTML page, its markdown twin and
`rlvr analyze` show the same numbers with the same rounding. Missing values print as "-", never 0;
rounding never prints "-0.0". Every cell is escaped for its target: HTML-escaped in the page, HTML- and
markdown-escaped in index.md (a folder or model name is text, never markup), folded (not cut) in rich.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from typing import Any

from rlvrlab.analysis.evals import TRANSITIONS

# characters that would turn text into markdown formatting or table cells ("](" would make a link)
_MD_SPECIAL = re.compile(r"([\\`*_|#~]|(?<=\])\()")


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    note: str | None = None
    text_columns: int = 1  # the first columns hold names (left-aligned, wrap anywhere); the rest numbers


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def number(value: float | None, digits: int = 1, sign: bool = False) -> str:
    """`value` rounded, "-" when missing; a value that rounds to zero prints as 0 (never "-0.0")."""
    if not _finite(value):
        return "-"
    rounded = round(float(value), digits) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{rounded:+.{digits}f}" if sign else f"{rounded:.{digits}f}"


def pct(value: float | None, digits: int = 1) -> str:
    """A fraction as percent: 0.524 -> "52.4"."""
    return number(None if value is None else 100 * value, digits)


def pct_ci(value: float | None, ci: list[float] | None) -> str:
    """ "52.4 [46.9, 58.2]" (percent), or "-"."""
    if not _finite(value):
        return "-"
    return pct(value) if not ci else f"{pct(value)} [{pct(ci[0])}, {pct(ci[1])}]"


def points_ci(mean: float, low: float, high: float) -> str:
    """A change in percentage points with its interval: "+8.1 [+4.9, +11.3]"."""
    signed = [number(None if v is None else 100 * v, 1, sign=True) for v in (mean, low, high)]
    return signed[0] if signed[1] == "-" else f"{signed[0]} [{signed[1]}, {signed[2]}]"


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
            "strict code: rate, acc. with / without",
            "boxed",
            "no answer",
            "truncated",
        ],
        note='Code rate: the paper\'s rule ("python" anywhere). Strict: a fenced python block or >= 3 '
        "consecutive code-like lines. Accuracy is avg@k; with / without code it is pooled over samples "
        "(rlvrlab.metrics).",
        text_columns=2,
    )
    for s in stats:
        strict = (
            f"{pct(s['code_rate_strict'])}: {pct(s['with_code_strict']['accuracy'])} / "
            f"{pct(s['without_code_strict']['accuracy'])}"
        )
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
                strict,
                pct(s["boxed_rate"]),
                pct(s["no_answer_rate"]),
                pct(s["truncation_rate"]),
            ]
        )
    return table


def headline_table(changes: list[Any]) -> Table:
    """One row per (model, reward cell, benchmark): base -> final and the pooled changes with intervals."""
    table = Table(
        "Accuracy and code-rate change after training "
        "(percentage points, 95% intervals over seeds x problems)",
        [
            "model",
            "reward",
            "benchmark",
            "seeds",
            "problems",
            "accuracy base -> final",
            "accuracy change",
            "code rate base -> final",
            "code-rate change",
        ],
        note="Each run's final eval is paired with the base eval of its starting model on the same "
        "problems; the change is pooled over seeds and problems (rlvrlab.stats.pooled_change). Bold: the "
        "interval excludes zero.",
        text_columns=3,
    )
    for c in changes:
        table.rows.append(
            [
                c.cell.group,
                c.cell.label,
                c.benchmark,
                str(len(c.seeds)),
                str(c.n_problems),
                f"{pct(c.accuracy_base)} -> {pct(c.accuracy_final)}",
                _marked(c.accuracy),
                f"{pct(c.code_base)} -> {pct(c.code_final)}",
                _marked(c.code),
            ]
        )
    return table


def _marked(change: Any) -> str:
    text = points_ci(change.mean, change.low, change.high)
    return f"**{text}**" if change.excludes_zero else text


def transition_table(result: dict[str, Any]) -> Table:
    """The paper's Code/Lang transition table between two evals, with partial contributions."""
    mean, low, high = result["accuracy_change_ci95"]
    table = Table(
        f"{result['benchmark']}: {result['before']} -> {result['after']} "
        f"(mode by the {result['detector']} rule)",
        [
            "transition",
            "problems",
            "accuracy before -> after (%)",
            "correct before -> after",
            "change",
            "partial contribution",
        ],
        note=f"Overall {pct(result['accuracy_before'])} -> {pct(result['accuracy_after'])}: "
        f"{points_ci(mean, low, high)} points (95% interval, paired over problems). "
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
                number(row["delta_correct"], 2, sign=True),
                _contribution(row["partial_contribution"]),
            ]
        )
    table.rows.append(
        [
            "total",
            str(result["n_problems"]),
            f"{pct(result['accuracy_before'])} -> {pct(result['accuracy_after'])}",
            "",
            number(result["delta_correct"], 2, sign=True),
            "100%" if result["note"] is None else "n/a",
        ]
    )
    return table


def _contribution(value: float | None) -> str:
    return "n/a" if value is None else f"{pct(value, 0)}%"


def contribution_table(compared: list[tuple[str, dict[str, Any]]]) -> Table:
    """One row per (comparison title, transitions result): the change and the four partial contributions."""
    table = Table(
        "Partial contributions of each transition subset to the accuracy change",
        ["comparison", "benchmark", "accuracy change (points)", *TRANSITIONS],
        note="Change: 95% interval paired over the problems of one comparison (rlvrlab.stats.pooled_change, "
        "as in the headline). Partial contributions are shown only where it excludes zero; otherwise n/a: "
        "a share of a change that may be zero means nothing.",
        text_columns=2,
    )
    for title, r in compared:
        parts = {row["subset"]: row["partial_contribution"] for row in r["subsets"]}
        table.rows.append(
            [
                title,
                r["benchmark"],
                points_ci(*r["accuracy_change_ci95"]),
                *(_contribution(parts[t]) for t in TRANSITIONS),
            ]
        )
    return table


def run_table(summaries: list[dict[str, Any]]) -> Table:
    """One row per training run: model, reward, seed, steps, first -> last of the headline metrics."""
    metrics = sorted({k for s in summaries for k, v in s.items() if isinstance(v, dict)}, key=_metric_order)
    table = Table(
        "Training runs (first -> last logged value)",
        ["run", "model", "reward", "seed", "steps", *metrics],
        text_columns=3,
    )
    for s in summaries:
        cells = []
        for metric in metrics:
            span = s.get(metric) or {"first": None, "last": None}
            first, last = (number(span[k], 3) for k in ("first", "last"))
            cells.append("-" if last == "-" else f"{first} -> {last}")
        table.rows.append(
            [
                s["run"],
                s.get("model", "-"),
                s.get("reward", "-"),
                str(s.get("seed", "-")),
                str(s["steps"]),
                *cells,
            ]
        )
    return table


def _metric_order(metric: str) -> tuple[int, str]:
    return (0 if metric.startswith("train/") else 1 if metric.startswith("eval/") else 2, metric)


def md_text(text: str) -> str:
    """Text as a markdown table cell or paragraph: `&` and `<` as entities (no HTML tag can open),
    markdown specials backslash-escaped, one line. A model or folder name can then never become markup,
    a link or a new cell."""
    escaped = " ".join(str(text).split()).replace("&", "&amp;").replace("<", "&lt;")  # no tag can open
    return _MD_SPECIAL.sub(r"\\\1", escaped)


def md_code(text: str) -> str:
    """Inline code span that holds any text (the fence is longer than any backtick run inside)."""
    text = " ".join(str(text).split())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}"


def _md_cell(cell: str) -> str:
    """Table cells may carry **bold** from the tables above: keep that, escape the rest."""
    bold = cell.startswith("**") and cell.endswith("**") and len(cell) > 4
    return f"**{md_text(cell[2:-2])}**" if bold else md_text(cell)


def to_markdown(table: Table) -> str:
    def row(cells: list[str]) -> str:
        return "| " + " | ".join(_md_cell(c) for c in cells) + " |"

    lines = [
        f"**{md_text(table.title)}**",
        "",
        row(table.headers),
        "| " + " | ".join(["---"] * len(table.headers)) + " |",
    ]
    lines += [row(r) for r in table.rows]
    if table.note:
        lines += ["", f"_{md_text(table.note)}_"]
    return "\n".join(lines) + "\n"


def _html_cell(cell: str, name: bool) -> str:
    bold = cell.startswith("**") and cell.endswith("**") and len(cell) > 4
    text = html.escape(cell[2:-2] if bold else cell)
    if not name:  # an interval never breaks inside its brackets: "+35.5 [+25.4, +45.7]" wraps before "["
        text = text.replace(", ", ",&nbsp;")
    text = f"<b>{text}</b>" if bold else text
    return f'<td class="name" title="{html.escape(cell)}">{text}</td>' if name else f"<td>{text}</td>"


def to_html(table: Table) -> str:
    """A table that wraps instead of scrolling: names break anywhere (full name in the tooltip)."""
    name = ' class="name"'
    head = "".join(  # a metric header ("policy/mean_token_prob") may break after a slash
        f"<th{name if i < table.text_columns else ''}>{html.escape(h).replace('/', '/<wbr>')}</th>"
        for i, h in enumerate(table.headers)
    )
    body = "".join(
        "<tr>" + "".join(_html_cell(c, i < table.text_columns) for i, c in enumerate(r)) + "</tr>\n"
        for r in table.rows
    )
    note = f'<p class="note">{html.escape(table.note)}</p>' if table.note else ""
    return (
        f"<table><caption>{html.escape(table.title)}</caption>\n<thead><tr>{head}</tr></thead>\n"
        f"<tbody>\n{body}</tbody></table>\n{note}\n"
    )


def to_rich(table: Table) -> Any:
    """A rich Table for the CLI (rich is imported here, not at module import). Cells fold onto several
    lines when the terminal is narrow; nothing is cut off with an ellipsis."""
    from rich.markup import escape
    from rich.table import Table as RichTable

    out = RichTable(title=escape(table.title), caption=escape(table.note or ""), caption_justify="left")
    for header in table.headers:
        out.add_column(escape(header), overflow="fold")
    for r in table.rows:
        out.add_row(*(escape(c.strip("*") if c.startswith("**") else c) for c in r))
    return out
