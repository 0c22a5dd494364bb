"""The bodies of `rlvr analyze` and `rlvr report`, kept here so cli.py stays a thin list of commands."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from rlvrlab.analysis.evals import analyze_evals
from rlvrlab.report.tables import contribution_table, eval_table, to_rich, transition_table


def _json_safe(value: Any) -> Any:
    """NaN/inf -> None so `--json` output is strict JSON any parser accepts."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def analyze_command(console: Any, paths: list[Path], as_json: bool, n_boot: int = 2000) -> dict[str, Any]:
    """Print the analysis of one or two eval dirs (tables, or one JSON object with `as_json`)."""
    result = _json_safe(analyze_evals(paths, n_boot=n_boot))
    if as_json:
        console.out(json.dumps(result, indent=2), highlight=False)
        return result
    console.print(to_rich(eval_table(result["evals"])))
    for transition in result.get("transitions", []):
        console.print(to_rich(transition_table(transition)))
    if result.get("transitions"):
        compared = [(f"{t['before']} -> {t['after']}", t) for t in result["transitions"]]
        console.print(to_rich(contribution_table(compared)))
    return result


def report_command(console: Any, inputs: list[Path], out: Path, title: str, baseline: str | None) -> Path:
    from rlvrlab.report.html import write_report

    index = write_report(inputs, out, title=title, baseline=baseline)
    console.print(f"wrote {index} (and {index.with_suffix('.md').name})")
    return index
