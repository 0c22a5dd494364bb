"""One definition per metric: summary.json, `rlvr analyze`, the report, `rlvr sim info`, the demo's findings
and the format reward give the same code rate, accuracy with / without code and boxed (format) rate on
one eval; the definitions themselves (rlvrlab.metrics) and the pooled-ratio interval (rlvrlab.stats)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rlvrlab import metrics
from rlvrlab.stats import bootstrap_ratio_ci


def _responses(gold_1: str, gold_2: str) -> list[str]:
    """Problem 1: four right code answers. Problem 2: one wrong code answer, then prose the extractor reads
    as right but the format rule does not accept (\\fbox, an unclosed box), and an empty box."""
    right = f"Let's use python.\n```python\nprint({gold_1})\n```\nSo \\boxed{{{gold_1}}}."
    wrong = f"{gold_2}1"
    return [right] * 4 + [
        f"python gives \\boxed{{{wrong}}}.",
        f"so the answer is \\fbox{{{gold_2}}}",
        f"so the answer is \\boxed{{{gold_2}",
        "so \\boxed{ } and I am not sure",
    ]


@pytest.fixture(scope="module")
def eval_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An 8-row sim500 eval through `rlvr eval --from-generations`: code answers are right on problem 1
    (4 of 4), wrong on problem 2 (0 of 1). Pooled accuracy with code is 4/5 = 0.8; a mean over problems
    would say 0.5."""
    from rlvrlab.data import load_problems
    from rlvrlab.evaluate.generations import grade_generations

    first, second = load_problems("sim500", limit=2)
    root = tmp_path_factory.mktemp("one_definition")
    ids = [first.id] * 4 + [second.id] * 4
    gens = root / "gens.jsonl"
    rows = zip(ids, _responses(first.answer, second.answer), strict=True)
    gens.write_text("".join(json.dumps({"problem_id": p, "response": r}) + "\n" for p, r in rows))
    grade_generations(gens, "sim500", root / "eval")
    return root / "eval"


def _expected(rows: list[dict]) -> dict[str, float]:
    """The numbers by hand: per-sample flags read off the fixture (see its docstring)."""
    code = [r["uses_code"] for r in rows]
    correct = [r["correct"] for r in rows]
    assert code == [True] * 5 + [False] * 3 and correct == [True] * 4 + [False, True, True, False]
    return {"code_rate": 5 / 8, "with": 4 / 5, "without": 2 / 3, "boxed": 5 / 8}


def test_every_consumer_agrees_on_one_eval(eval_dir: Path, tmp_path: Path) -> None:
    from rlvrlab.analysis.evals import analyze_evals
    from rlvrlab.data import read_jsonl
    from rlvrlab.demo_findings import cell_row
    from rlvrlab.report.html import write_report
    from rlvrlab.rewards import build_reward
    from rlvrlab.sim.info import summarise

    rows = read_jsonl(eval_dir / "samples.jsonl")
    want = _expected(rows)
    summary = json.loads((eval_dir / "summary.json").read_text())["benchmarks"]
    (bench,) = summary.values()
    assert (bench["code_rate"], bench["accuracy_with_code"]) == pytest.approx(
        (want["code_rate"], want["with"])
    )
    assert (bench["accuracy_without_code"], bench["boxed_rate"]) == pytest.approx(
        (want["without"], want["boxed"])
    )

    (stats,) = analyze_evals([eval_dir], n_boot=200)["evals"]
    assert (stats["code_rate"], stats["boxed_rate"]) == pytest.approx((want["code_rate"], want["boxed"]))
    assert stats["with_code"]["accuracy"] == pytest.approx(want["with"])
    assert stats["without_code"]["accuracy"] == pytest.approx(want["without"])

    write_report([eval_dir], tmp_path / "report")
    markdown = (tmp_path / "report" / "index.md").read_text()
    assert "80.0" in markdown and "66.7" in markdown and "62.5" in markdown

    texts = [r["response"] for r in rows]
    sim = summarise(texts, [r["gold"] for r in rows])
    assert (sim["code_rate"], sim["boxed_rate"]) == pytest.approx((want["code_rate"], want["boxed"]))
    assert (sim["accuracy_code"], sim["accuracy_language"]) == pytest.approx((want["with"], want["without"]))

    findings = cell_row("fam", "cell", [{"seed": 1, "base": eval_dir, "final": eval_dir, "run": eval_dir}])
    assert findings["accuracy_with_code_final"] == pytest.approx(want["with"])
    assert findings["accuracy_without_code_final"] == pytest.approx(want["without"])
    assert findings["code_rate_final"] == pytest.approx(want["code_rate"])

    fmt = build_reward("format")(["q"] * len(texts), texts)
    assert np.mean(fmt) == pytest.approx(want["boxed"])


def test_accuracies_by_code_add_up_to_accuracy() -> None:
    """Pooled rates are consistent: accuracy = rate x with + (1 - rate) x without (k samples each)."""
    rng = np.random.default_rng(0)
    code, correct = rng.random(800) < 0.6, rng.random(800) < 0.5
    ids = np.repeat(np.arange(100), 8).astype(str)
    with_code, without = metrics.accuracy_by_code(correct, code)
    share = metrics.rate(code)
    assert metrics.accuracy(ids, correct) == pytest.approx(share * with_code + (1 - share) * without)
    assert metrics.accuracy_by_code([True, False], [False, False]) == (None, 0.5)  # nothing: None, not 0
    assert metrics.rate([]) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\\boxed{3}", True),
        ("\\boxed{ 3 }.", True),
        ("\\boxed{\\frac{1}{2}}", True),
        ("\\fbox{3}", False),
        ("\\boxed{3", False),
        ("\\boxed{}", False),
        ("\\boxed{  }", False),
        ("\\boxed{1} then \\boxed{2", False),
        ("\\boxed{2 then \\boxed{1}", True),
        ("\\boxed 3", False),
    ],
)
def test_boxed_rule_is_the_format_reward(text: str, expected: bool) -> None:
    from rlvrlab.rewards import build_reward

    assert metrics.has_boxed_answer(text) is expected
    assert build_reward("format")(["q"], [text]) == [1.0 if expected else 0.0]


def test_ratio_interval_covers_the_pooled_rate() -> None:
    hits, counts = np.array([4, 0, 2, 1, 3] * 20), np.array([4, 1, 3, 1, 4] * 20)
    low, high = bootstrap_ratio_ci(hits, counts, n_boot=500)
    assert low < hits.sum() / counts.sum() < high and high - low < 0.2
    assert np.isnan(bootstrap_ratio_ci([0, 0], [0, 0])[0])


def test_evaluate_never_imports_analysis() -> None:
    """The data path runs one way: evaluation does not import analysis (no lazy import hides a cycle)."""
    root = Path(__file__).resolve().parents[1] / "rlvrlab" / "evaluate"
    sources = "".join(p.read_text() for p in root.glob("*.py"))
    assert "rlvrlab.analysis" not in sources
    assert "__getattr__" not in sources
    code = "import sys, rlvrlab.evaluate, rlvrlab.metrics; print(any(m.startswith('rlvrlab.analysis') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
