"""verl adapter: `compute_score(data_source, solution_str, ground_truth, extra_info=None)`.

Point verl's `custom_reward_function.path` at this file. The ground-truth reward in `paper` mode;
set `extra_info={"grading_mode": "robust"}` to use the robust grader instead.
"""

from __future__ import annotations

from typing import Any

from rlvrlab.grading import grade


def compute_score(
    data_source: str, solution_str: str, ground_truth: str, extra_info: dict[str, Any] | None = None
) -> float:
    """1.0 if the final answer of `solution_str` is equivalent to `ground_truth`, else 0.0."""
    mode = (extra_info or {}).get("grading_mode", "paper")
    return 1.0 if grade(solution_str, str(ground_truth), mode=mode).correct else 0.0
