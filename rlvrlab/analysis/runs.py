"""Training curves from RUN_DIR/metrics.jsonl (schema in `rlvrlab.train.callbacks`).

A run is read as {metric name: (steps, values)}; a metric missing from a row, null or non-finite (NaN
train/accuracy when the data has no answers) is simply absent at that step: nothing is interpolated or
filled in. `CURVE_GROUPS` names the panels a report draws; each panel overlays every run.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from rlvrlab.data import read_jsonl

logger = logging.getLogger(__name__)

METRICS_FILE = "metrics.jsonl"
CONFIG_FILE = "config.yaml"

# (panel title, y label, regex over metric names). A panel draws every matching metric of every run.
CURVE_GROUPS: tuple[tuple[str, str, str], ...] = (
    ("Reward (per reward function)", "mean reward", r"^rewards?/(?!zero_std|total/)[^/]+/mean$"),
    ("Training accuracy (vs ground truth)", "accuracy", r"^train/accuracy$"),
    ("Eval accuracy", "accuracy", r"^eval/[^/]+/accuracy$"),
    ("Code rate", "fraction using code", r"^(train|eval/[^/]+)/code_rate$"),
    ("Clip fractions", "token fraction", r"^clip/(low|high)_fraction$"),
    ("Mean sampled-token probability", "probability", r"^policy/mean_token_prob$"),
    ("Policy entropy", "nats / token", r"^policy/entropy$"),
    ("Completion length", "tokens", r"^completion/mean_length$"),
)


@dataclass
class RunCurves:
    """One training run: its name (the run dir's name), resolved config, and per-metric curves."""

    name: str
    path: Path
    config: dict[str, Any] = field(default_factory=dict)
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def last(self, metric: str) -> float | None:
        """The metric's value at its last logged step, or None if never logged."""
        if metric not in self.curves or self.curves[metric][1].size == 0:
            return None
        return float(self.curves[metric][1][-1])

    def first(self, metric: str) -> float | None:
        if metric not in self.curves or self.curves[metric][1].size == 0:
            return None
        return float(self.curves[metric][1][0])


def is_run_dir(path: Path) -> bool:
    return (Path(path) / METRICS_FILE).is_file()


def _finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def load_run(path: Path, name: str | None = None) -> RunCurves:
    """Read RUN_DIR/metrics.jsonl (+ config.yaml when present) into curves keyed by metric name."""
    path = Path(path)
    metrics = path / METRICS_FILE
    if not metrics.is_file():
        raise ValueError(f"{path}: no {METRICS_FILE} (expected a RUN_DIR written by `rlvr train`)")
    points: dict[str, list[tuple[float, float]]] = {}
    for lineno, row in enumerate(read_jsonl(metrics), start=1):
        if "step" not in row:
            raise ValueError(f"{metrics}:{lineno}: row has no 'step'")
        for key, value in row.items():
            if key != "step" and _finite_number(value):
                points.setdefault(key, []).append((float(row["step"]), float(value)))
    curves = {}
    for key, pairs in points.items():
        pairs.sort(key=lambda pair: pair[0])
        steps, values = zip(*pairs, strict=True)
        curves[key] = (np.asarray(steps), np.asarray(values))
    config: dict[str, Any] = {}
    if (path / CONFIG_FILE).is_file():
        loaded = yaml.safe_load((path / CONFIG_FILE).read_text(encoding="utf-8"))
        config = loaded if isinstance(loaded, dict) else {}
    return RunCurves(name=name or path.name, path=path, config=config, curves=curves)


def group_metrics(run: RunCurves, pattern: str) -> list[str]:
    """Metric names of `run` matching a CURVE_GROUPS regex, sorted for stable colours and legends."""
    regex = re.compile(pattern)
    return sorted(key for key in run.curves if regex.search(key))


def run_summary(run: RunCurves) -> dict[str, Any]:
    """First and last values of the headline metrics, for the report's run table (None = never logged)."""
    out: dict[str, Any] = {"run": run.name, "steps": 0}
    if run.curves:
        out["steps"] = int(max(steps.max() for steps, _ in run.curves.values()))
    headline = ["train/accuracy", "train/code_rate", "policy/mean_token_prob", "policy/entropy"]
    headline += [k for k in sorted(run.curves) if re.match(r"^eval/[^/]+/(accuracy|code_rate)$", k)]
    for metric in headline:
        out[metric] = {"first": run.first(metric), "last": run.last(metric)}
    rewards = [k for k in sorted(run.curves) if re.match(r"^rewards?/(?!total|zero_std)[^/]+/mean$", k)]
    out["rewards"] = [k.split("/")[1] for k in rewards]
    return out
