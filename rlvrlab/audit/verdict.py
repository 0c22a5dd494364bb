"""Plain-words verdicts, each computed from a 95% interval; no outcome is ever written in advance.

A paired difference (B - A over the same problems, `rlvrlab.evaluate.compare_runs`) lies above zero, below
zero, or its interval contains zero; each check names the three cases in its own words. A check that could
not be run (no controls given, no fresh problems) is "not measurable", with the reason.
"""

from __future__ import annotations

from typing import Any

NOT_MEASURABLE = "not measurable"

WORDS: dict[str, tuple[str, str, str]] = {
    # check kind: (interval above zero, interval contains zero, interval below zero)
    "claimed": ("gain", "no measurable gain", "loss"),
    "best_prompt": (
        "exceeds the best-prompt base",
        "within the best-prompt base",
        "below the best-prompt base",
    ),
    "control": ("exceeds control", "within control", "below control"),
    "fresh": ("gain on fresh problems", "no measurable gain on fresh problems", "loss on fresh problems"),
}
PASSING = {words[0] for words in WORDS.values()} | {"no sign of contamination"}


def interval_verdict(kind: str, ci95: list[float] | tuple[float, float]) -> str:
    """The words of `kind` for an interval wholly above zero, straddling it, or wholly below."""
    above, within, below = WORDS[kind]
    low, high = ci95
    if low > 0:
        return above
    if high < 0:
        return below
    return within


def paired_check(kind: str, comparison: dict[str, Any], what: str) -> dict[str, Any]:
    """A check from one `compare_runs` entry (B - A): the numbers, the verdict and a sentence saying why."""
    low, high = comparison["diff_ci95"]
    verdict = interval_verdict(kind, (low, high))
    return {
        "accuracy_a": comparison["accuracy_a"],
        "accuracy_b": comparison["accuracy_b"],
        "diff": comparison["diff"],
        "diff_ci95": [low, high],
        "n_problems": comparison["n_problems"],
        "verdict": verdict,
        "why": f"{what}: {points(comparison['diff'])} points, 95% CI [{points(low)}, {points(high)}] "
        f"over {comparison['n_problems']} problems (paired)",
    }


def not_measurable(why: str) -> dict[str, Any]:
    return {"verdict": NOT_MEASURABLE, "why": why}


def points(value: float) -> str:
    return f"{100 * value:+.1f}"


def summary_sentence(verdicts: dict[str, str], benchmark: str) -> str:
    """One paragraph from the per-check verdicts: which checks the gain passes, fails, or left unmeasured."""
    claimed = verdicts.get("claimed gain", NOT_MEASURABLE)
    measured = {k: v for k, v in verdicts.items() if v != NOT_MEASURABLE and k != "claimed gain"}
    failed = [f"{k}: {v}" for k, v in measured.items() if v not in PASSING]
    unmeasured = [k for k, v in verdicts.items() if v == NOT_MEASURABLE]
    if claimed != WORDS["claimed"][0]:
        others = "; ".join(f"{k}: {v}" for k, v in measured.items())
        text = f"No claimed gain to explain: on {benchmark} the trained model shows {claimed} over the base."
        text += f" The other checks: {others}." if others else ""
    elif failed:
        text = "The claimed gain is not established: " + "; ".join(failed) + "."
    elif measured:
        text = f"The claimed gain on {benchmark} holds up: it passes every check that was measured."
    else:
        text = f"The claimed gain on {benchmark} is a gain, but no check against it was measured."
    if unmeasured:
        text += " Not measured: " + ", ".join(unmeasured) + "."
    return text
