"""Evaluation with the paper's protocol: MATH-500 greedy, AIME24/AIME25/AMC avg@8 at T=0.6.

- `run_eval(EvalConfig)`: the `rlvr eval` loop (incremental samples.jsonl, resume, summary.json).
- `quick_eval(model, tokenizer, benchmark, limit=...)`: in-memory evaluation the trainer calls.
- `grade_generations(file, benchmark, out)`: grade completions produced elsewhere.
- `compare_runs(dir_a, dir_b)`: paired-bootstrap differences between two runs.
- `metrics`: avg@k, unbiased pass@k, code and truncation rates, computed from sample rows.
Output schemas are documented in `rlvrlab.evaluate.run`.

Names are imported lazily: `rlvrlab.evaluate.metrics` (used by analysis) must not pull in torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "compare_runs": "compare",
    "grade_generations": "generations",
    "load_generations": "generations",
    "avg_at_k": "metrics",
    "pass_at_k": "metrics",
    "summarize": "metrics",
    "PAPER_PROTOCOLS": "protocol",
    "BenchmarkProtocol": "protocol",
    "parse_overrides": "protocol",
    "resolve_protocol": "protocol",
    "EvalConfig": "run",
    "evaluate_problems": "run",
    "quick_eval": "run",
    "run_eval": "run",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'rlvrlab.evaluate' has no attribute {name!r}")
    return getattr(importlib.import_module(f"rlvrlab.evaluate.{_EXPORTS[name]}"), name)
