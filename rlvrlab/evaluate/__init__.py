"""Evaluation with the paper's protocol: MATH-500 greedy, AIME24/AIME25/AMC avg@8 at T=0.6.

- `run_eval(EvalConfig)`: the `rlvr eval` loop (incremental samples.jsonl, resume, summary.json).
- `quick_eval(model, tokenizer, benchmark, limit=...)`: in-memory evaluation the trainer calls.
- `grade_generations(file, benchmark, out)`: grade completions produced elsewhere.
- `compare_runs(dir_a, dir_b)`: paired-bootstrap differences between two runs.
- `metrics`: avg@k, unbiased pass@k, bootstrap intervals, computed from sample rows.
Output schemas are documented in `rlvrlab.evaluate.run`.

Command line:
    rlvr eval --model Qwen/Qwen2.5-Math-7B --out runs/eval/base            # the paper's four benchmarks
    rlvr eval --model PATH --benchmarks aime24 --set aime24.n_samples=32 --grading-mode robust --out DIR
    rlvr eval --model PATH --out DIR --resume                              # continue after a crash
    rlvr eval --from-generations base_MATH-500.json --benchmark math500 --out DIR
    rlvr eval --compare runs/eval/base runs/eval/step50                    # B - A, paired 95% CI
"""

from rlvrlab.evaluate.compare import compare_runs
from rlvrlab.evaluate.generations import grade_generations, load_generations
from rlvrlab.evaluate.metrics import avg_at_k, bootstrap_ci, paired_bootstrap_ci, pass_at_k, summarize
from rlvrlab.evaluate.protocol import PAPER_PROTOCOLS, BenchmarkProtocol, parse_overrides, resolve_protocol
from rlvrlab.evaluate.run import EvalConfig, evaluate_problems, quick_eval, run_eval

__all__ = [
    "PAPER_PROTOCOLS",
    "BenchmarkProtocol",
    "EvalConfig",
    "avg_at_k",
    "bootstrap_ci",
    "compare_runs",
    "evaluate_problems",
    "grade_generations",
    "load_generations",
    "paired_bootstrap_ci",
    "pass_at_k",
    "quick_eval",
    "resolve_protocol",
    "parse_overrides",
    "run_eval",
    "summarize",
]
