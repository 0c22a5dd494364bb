"""The audit's evaluations: ordinary `rlvr eval` folders, made once and reused by a re-run.

A folder is reused only when it was made with the same settings (model, benchmarks, prompt, limit,
protocol, seed, batch size); a folder made differently is an error naming the fields, never silently mixed
into a comparison.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from rlvrlab.evaluate.run import CONFIG_FILE, SUMMARY_FILE, EvalConfig, run_eval

logger = logging.getLogger(__name__)

SAME_SETTINGS = ("model", "prompt", "limit", "overrides", "seed", "batch_size", "backend")


def evaluate_once(config: EvalConfig) -> Path:
    """run_eval into config.out unless it already finished there with the same settings."""
    out = Path(config.out)
    if (out / CONFIG_FILE).exists():
        saved = json.loads((out / CONFIG_FILE).read_text(encoding="utf-8"))
        wanted = json.loads(json.dumps(asdict(config)))
        differ = [k for k in (*SAME_SETTINGS, "benchmarks") if saved.get(k) != wanted[k]]
        if differ:
            raise ValueError(
                f"{out} holds an evaluation made with other settings ({', '.join(differ)}): "
                "use a new --out for an audit with different settings"
            )
        if (out / SUMMARY_FILE).exists() and set(config.benchmarks) <= set(read_summary(out)["benchmarks"]):
            return out
    logger.info(
        "evaluating %s on %s (prompt %s) -> %s",
        config.model,
        ", ".join(config.benchmarks),
        config.prompt,
        out,
    )
    run_eval(replace(config, resume=(out / CONFIG_FILE).exists()))
    return out


def read_summary(folder: Path) -> dict[str, Any]:
    path = Path(folder) / SUMMARY_FILE
    if not path.exists():
        raise ValueError(f"{path}: not found (an evaluation folder written by `rlvr eval` has one)")
    return json.loads(path.read_text(encoding="utf-8"))


def benchmark_summary(folder: Path, benchmark: str) -> dict[str, Any]:
    """One benchmark's metrics from an eval folder's summary.json."""
    summary = read_summary(folder)
    if benchmark not in summary["benchmarks"]:
        raise ValueError(
            f"{folder}/{SUMMARY_FILE} has no results for benchmark {benchmark!r} "
            f"(it has {', '.join(summary['benchmarks']) or 'none'})"
        )
    return summary["benchmarks"][benchmark]
