"""Evaluation with the paper's protocol: MATH-500 greedy, AIME24/AIME25/AMC avg@8 at T=0.6.

- `run_eval(EvalConfig)`: the `rlvr eval` loop (incremental samples.jsonl, resume, summary.json).
- `quick_eval(model, tokenizer, benchmark, limit=...)`: in-memory evaluation the trainer calls.
- `grade_generations(file, benchmark, out)`: grade completions produced elsewhere.
- `compare_runs(dir_a, dir_b)`: paired-bootstrap differences between two runs.
- `metrics`: summary.json's numbers from sample rows (per-response metrics: `rlvrlab.metrics`).
Output schemas are documented in `rlvrlab.evaluate.run`. Evaluation comes before analysis in the data
path (eval results -> analysis -> report), so nothing here depends on the analysis package; the code
detectors and metric definitions both use live in the bottom layer, `rlvrlab.metrics`.
"""

from rlvrlab.evaluate.compare import compare_runs
from rlvrlab.evaluate.generations import grade_generations, load_generations
from rlvrlab.evaluate.metrics import avg_at_k, pass_at_k, summarize
from rlvrlab.evaluate.protocol import PAPER_PROTOCOLS, BenchmarkProtocol, parse_overrides, resolve_protocol
from rlvrlab.evaluate.run import EvalConfig, evaluate_problems, quick_eval, run_eval

__all__ = [
    "PAPER_PROTOCOLS",
    "BenchmarkProtocol",
    "EvalConfig",
    "avg_at_k",
    "compare_runs",
    "evaluate_problems",
    "grade_generations",
    "load_generations",
    "parse_overrides",
    "pass_at_k",
    "quick_eval",
    "resolve_protocol",
    "run_eval",
    "summarize",
]
