"""Grade completions produced elsewhere (another harness, vLLM on a cluster) with this project's grader.

Two input formats:
- JSON as written by the paper's evaluation scripts (e.g. the shared Qwen2.5-Math-1.5B MATH-500 files):
  {"metadata": [{"prompt", "label", "index", "outputs": [str, ...]}, ...], ...other run fields}.
  `index` is the problem's position in the benchmark file, `label` its gold answer (graded against as
  given; a label differing from the shipped answer is logged; without `label`, the benchmark's answer),
  `outputs[j]` is sample j.
- JSONL: one {"problem_id", "response"} per line (optional "sample_index", default: order of
  appearance per problem; optional "prompt"), joined to the benchmark's answers by problem id.

The result is the same samples.jsonl + summary.json as `rlvr eval` writes (schema in
`rlvrlab.evaluate.run`), with n_tokens and finish_reason None (unknown), so compare/analysis treat
imported and generated runs alike.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from rlvrlab.data import DataError, Problem, load_problems, read_jsonl, write_jsonl
from rlvrlab.data.load import decode_utf8
from rlvrlab.evaluate.metrics import summarize
from rlvrlab.evaluate.run import SAMPLES_FILE, grade_response, write_summary
from rlvrlab.folders import check_out, folder_kind

logger = logging.getLogger(__name__)


def load_generations(path: Path, problems: list[Problem]) -> list[dict[str, Any]]:
    """Read a generations file into rows {problem_id, sample_index, prompt, response, gold}."""
    if path.name.endswith(".jsonl"):
        return _from_jsonl(path, problems)
    if path.name.endswith(".json"):
        return _from_paper_json(path, problems)
    raise DataError(
        f"{path}: expected a .json (paper format with 'metadata') or .jsonl (problem_id, response) file"
    )


def _from_paper_json(path: Path, problems: list[Problem]) -> list[dict[str, Any]]:
    try:
        data = json.loads(decode_utf8(path.read_bytes(), path))
    except json.JSONDecodeError as err:
        raise DataError(f"{path}:{err.lineno}: malformed JSON ({err.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("metadata"), list):
        raise DataError(
            f"{path}: expected an object with a 'metadata' list of {{prompt, label, index, outputs}}"
        )
    rows = []
    for n, record in enumerate(data["metadata"]):
        where = f"{path}: metadata[{n}]"
        missing = [k for k in ("index", "outputs") if k not in record]
        if missing:
            raise DataError(f"{where}: missing field(s) {', '.join(missing)}")
        index = record["index"]
        if isinstance(index, str) and index.isdigit():
            index = int(index)
        if not isinstance(index, int) or not 0 <= index < len(problems):
            raise DataError(f"{where}: index {index!r} outside the benchmark's {len(problems)} problems")
        problem = problems[index]
        gold = str(record["label"]) if "label" in record else problem.answer
        if problem.answer is not None and problem.answer != gold:
            logger.warning(
                "%s: label %r differs from the benchmark answer %r; grading against the label",
                where,
                gold,
                problem.answer,
            )
        outputs = record["outputs"]
        if not isinstance(outputs, list) or not all(isinstance(o, str) for o in outputs):
            raise DataError(f"{where}: 'outputs' must be a list of strings")
        for j, response in enumerate(outputs):
            rows.append(
                dict(
                    problem_id=problem.id,
                    sample_index=j,
                    prompt=record.get("prompt"),
                    response=response,
                    gold=gold,
                )
            )
    return rows


def _from_jsonl(path: Path, problems: list[Problem]) -> list[dict[str, Any]]:
    by_id = {p.id: p for p in problems}
    counts: dict[str, int] = {}
    rows = []
    for n, record in enumerate(read_jsonl(path), start=1):
        where = f"{path}: row {n}"
        if "problem_id" not in record or not isinstance(record.get("response"), str):
            raise DataError(f"{where}: expected fields 'problem_id' and 'response' (a string)")
        pid = str(record["problem_id"])
        if pid not in by_id:
            raise DataError(f"{where}: problem_id {pid!r} is not in the benchmark (check --benchmark)")
        index = int(record.get("sample_index", counts.get(pid, 0)))
        counts[pid] = index + 1
        rows.append(
            dict(
                problem_id=pid,
                sample_index=index,
                prompt=record.get("prompt"),
                response=record["response"],
                gold=by_id[pid].answer,
            )
        )
    return rows


def grade_generations(
    path: str | Path,
    benchmark: str,
    out: str | Path,
    *,
    grading_mode: str = "paper",
    extract_mode: str = "paper",
    timeout: float = 5.0,
    seed: int = 0,
) -> dict[str, Any]:
    """Grade a generations file against `benchmark`; write samples.jsonl + summary.json into `out`."""
    path, out = Path(path), Path(out)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if path.is_dir():
        raise DataError(f"{path}: a folder; --from-generations takes a .json or .jsonl file of generations")
    check_out(out, "eval", inputs=[path])
    if folder_kind(out) == "eval":
        raise DataError(
            f"--out {out} already holds an eval: choose a new --out (imported generations are graded once)"
        )
    problems = load_problems(benchmark)
    rows = []
    for row in load_generations(path, problems):
        graded = grade_response(
            row["response"],
            row["gold"],
            grading_mode=grading_mode,
            extract_mode=extract_mode,
            timeout=timeout,
        )
        rows.append({"benchmark": benchmark, **row, **graded, "n_tokens": None, "finish_reason": None})
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / SAMPLES_FILE, rows)
    summary = {
        "model": None,
        "backend": None,
        "prompt": None,
        "seed": seed,
        "batch_size": None,
        "source": str(path),
        "benchmarks": {
            benchmark: {
                "protocol": {"grading_mode": grading_mode, "extract_mode": extract_mode},
                **summarize(rows, seed=seed),
            }
        },
    }
    write_summary(out, summary)
    return summary
