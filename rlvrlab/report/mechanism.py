"""The mechanism lab's output (`rlvr sim mechanism`) as a report section: its figure and a table of arms.

A mechanism folder holds mechanism.json (a list of arms) and mechanism.png. Fields read per arm (every one
optional but `arm`; a missing or malformed value shows as "-", never breaks the report):
  arm                    str    the arm's name (e.g. "clip on", "clip off")
  share_majority         float  share of seeds that end on the majority reasoning mode
  share_majority_ci95    [low, high]
  mean_p_majority        float  mean final probability of the majority mode
  p_majority_start       float
  expected_accuracy_start, expected_accuracy_end  float
  mean_clip_fraction     float
  p_mode                 per rollout: p(majority mode), or the vector of mode probabilities
  expected_accuracy      per rollout: expected accuracy of the policy
  config.p_start         starting mode probabilities (their argmax is the majority mode)
When mechanism.png is missing, the report draws the trajectories itself (`plots.plot_mechanism`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlvrlab.report.tables import Table, number, pct

MECHANISM_FILE = "mechanism.json"
FIGURE_FILE = "mechanism.png"


@dataclass
class Arm:
    name: str
    fields: dict[str, float | None]
    share_ci: tuple[float, float] | None
    p_majority: list[float] = field(default_factory=list)  # per rollout
    expected_accuracy: list[float] = field(default_factory=list)


@dataclass
class Mechanism:
    name: str
    path: Path
    arms: list[Arm]

    @property
    def figure(self) -> Path | None:
        png = self.path / FIGURE_FILE
        return png if png.is_file() else None


def is_mechanism_dir(path: Path) -> bool:
    return (Path(path) / MECHANISM_FILE).is_file()


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _series(values: Any, majority: int | None) -> list[float]:
    """A per-rollout list of numbers; rows that are probability vectors give their majority entry."""
    if not isinstance(values, list):
        return []
    out = []
    for value in values:
        if isinstance(value, list) and value:
            index = majority if majority is not None and majority < len(value) else 0
            value = value[index]
        number_ = _float(value)
        if number_ is None:
            return []  # a malformed trajectory is left out rather than drawn with gaps invented
        out.append(number_)
    return out


def _majority(item: dict[str, Any]) -> int | None:
    start = item.get("config", {}).get("p_start") if isinstance(item.get("config"), dict) else None
    if isinstance(start, list) and start and all(_float(p) is not None for p in start):
        return max(range(len(start)), key=lambda i: start[i])
    return None


def _arm(item: Any, where: str) -> Arm:
    if not isinstance(item, dict) or not isinstance(item.get("arm"), str):
        raise ValueError(f"{where}: each arm must be an object with a string 'arm' field")
    keys = (
        "share_majority",
        "mean_p_majority",
        "p_majority_start",
        "expected_accuracy_start",
        "expected_accuracy_end",
        "mean_clip_fraction",
    )
    ci = item.get("share_majority_ci95")
    pair = ci if isinstance(ci, list) and len(ci) == 2 and all(_float(v) is not None for v in ci) else None
    majority = _majority(item)
    return Arm(
        name=item["arm"],
        fields={k: _float(item.get(k)) for k in keys},
        share_ci=(float(pair[0]), float(pair[1])) if pair else None,
        p_majority=_series(item.get("p_mode"), majority),
        expected_accuracy=_series(item.get("expected_accuracy"), None),
    )


def load_mechanism(path: Path, name: str | None = None) -> Mechanism:
    """Read a mechanism folder; an unreadable mechanism.json raises ValueError naming it."""
    file = Path(path) / MECHANISM_FILE
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{file}: cannot read mechanism results ({err})") from None
    if isinstance(data, dict) and isinstance(data.get("arms"), list):
        data = data["arms"]
    if not isinstance(data, list) or not data:
        raise ValueError(f"{file}: expected a non-empty list of arms")
    arms = [_arm(item, f"{file}: arm {i + 1}") for i, item in enumerate(data)]
    return Mechanism(name=name or Path(path).name, path=Path(path), arms=arms)


def mechanism_table(mechanism: Mechanism) -> Table:
    table = Table(
        f"Mechanism lab ({mechanism.name}): where a bandit of reasoning modes ends under the GRPO objective",
        [
            "arm",
            "seeds ending on the majority mode (%)",
            "p(majority) start -> end",
            "expected accuracy start -> end (%)",
            "clip fraction",
        ],
        note="Per arm: the share of seeds whose policy ends with the starting majority mode most likely "
        "(95% interval), p(majority mode) at the start and its mean at the end over seeds, the expected "
        "accuracy at the start and end, and the mean clip fraction, as mechanism.json gives them.",
    )
    for arm in mechanism.arms:
        f = arm.fields
        share = pct(f["share_majority"])
        if arm.share_ci is not None and share != "-":
            share += f" [{pct(arm.share_ci[0])}, {pct(arm.share_ci[1])}]"
        table.rows.append(
            [
                arm.name,
                share,
                f"{number(f['p_majority_start'], 3)} -> {number(f['mean_p_majority'], 3)}",
                f"{pct(f['expected_accuracy_start'])} -> {pct(f['expected_accuracy_end'])}",
                number(f["mean_clip_fraction"], 4),
            ]
        )
    return table
