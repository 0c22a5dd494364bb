"""`rlvr label`: sample a model on each problem, cluster its answers, write majority-vote label sets.

Two stages, so an interrupted run loses little and a finished one can be relabelled for free:
1. sampling: `samples` completions per problem at `temperature`; each problem's extracted answers are
   appended to `answers.jsonl` as soon as its chunk finishes (a resume skips the ids already there);
2. labelling: answers -> clusters -> label (see `rlvrlab.labels.cluster`) -> `all.jsonl`,
   `correct.jsonl`, `incorrect.jsonl`, `stats.json`. Rerunning with `--resume` and another
   `label_mode` relabels without sampling again.

Output rows keep id/problem/answer(=ground truth)/label, so `load_problems(out/"incorrect.jsonl")`
is training data for `--reward label`. `incorrect.jsonl` holds problems whose label is not equivalent
to the ground truth. A problem with no answer in any sample gets the empty label, which counts as
incorrect and is kept in `incorrect.jsonl` by default, as in the paper's shipped incorrect sets (e.g.
43 of OLMo2-7B-SFT's 100 have label ""); `empty_label_in_incorrect=False` leaves them out.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from rlvrlab.data import Problem, append_jsonl, read_jsonl, write_jsonl
from rlvrlab.labels.cluster import LABEL_MODES, Grader, LabelMode, choose_label, cluster_answers

logger = logging.getLogger(__name__)

ANSWERS_FILE = "answers.jsonl"
CONFIG_FILE = "config.json"
# settings that change what was sampled: a resume must not mix samples made with different ones
SAMPLING_FIELDS = ("model", "data", "samples", "temperature", "top_p", "max_new_tokens", "prompt", "seed")
HISTOGRAM_BINS = 10


@dataclass(frozen=True)
class LabelOptions:
    """Settings of one labelling run; defaults are the paper's (64 samples at T=1, majority vote).

    problems_per_chunk: problems sampled together (one generate call) and then appended to
    answers.jsonl; bigger chunks batch better, smaller ones lose less on interruption.
    empty_label_in_incorrect: keep problems without any answer (label "") in incorrect.jsonl, as the
    paper's incorrect sets do; they give every completion reward 0, i.e. no training signal."""

    model: str = ""
    data: str = ""
    samples: int = 64
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 3072
    prompt: str = "qwen-math"
    label_mode: LabelMode = "majority"
    grading: Literal["paper", "robust"] = "robust"
    seed: int = 0
    problems_per_chunk: int = 8
    empty_label_in_incorrect: bool = True

    def __post_init__(self) -> None:
        if self.samples < 1:
            raise ValueError(f"samples must be >= 1 (the paper uses 64), got {self.samples}")
        if self.temperature <= 0:
            raise ValueError(
                f"temperature must be > 0 for voting over samples (paper: 1.0), got {self.temperature}"
            )
        if self.label_mode not in LABEL_MODES:
            raise ValueError(f"label_mode must be one of {', '.join(LABEL_MODES)}, got {self.label_mode!r}")
        if self.grading not in ("paper", "robust"):
            raise ValueError(f"grading must be 'paper' or 'robust', got {self.grading!r}")
        if self.problems_per_chunk < 1:
            raise ValueError(f"problems_per_chunk must be >= 1, got {self.problems_per_chunk}")


def prepare_out_dir(out_dir: Path, options: LabelOptions, resume: bool) -> dict[str, list[str | None]]:
    """Check the output folder, save the config, and return answers already sampled (id -> answers).

    A resume rewrites answers.jsonl without a torn last line, so the appends that follow stay valid."""
    answers_path, config_path = out_dir / ANSWERS_FILE, out_dir / CONFIG_FILE
    done: dict[str, list[str | None]] = {}
    if answers_path.exists() or config_path.exists():
        if not resume:
            raise ValueError(
                f"{out_dir}: already holds a labelling run; pass --resume to continue it or pick another --out"
            )
        if config_path.exists():
            saved = json.loads(config_path.read_text(encoding="utf-8"))
            changed = [f for f in SAMPLING_FIELDS if f in saved and saved[f] != asdict(options)[f]]
            if changed:
                diffs = ", ".join(f"{f}: {saved[f]!r} -> {asdict(options)[f]!r}" for f in changed)
                raise ValueError(f"{out_dir}: cannot resume with different sampling settings ({diffs})")
        if answers_path.exists():
            rows = read_jsonl(answers_path)
            write_jsonl(answers_path, rows)
            done = {str(r["id"]): r["answers"] for r in rows}
    out_dir.mkdir(parents=True, exist_ok=True)
    config_path.write_text(json.dumps(asdict(options), indent=2) + "\n", encoding="utf-8")
    return done


def sample_answers(
    problems: list[Problem],
    generator: Any,
    options: LabelOptions,
    out_dir: Path,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """Sample and extract answers for `problems`, appending one row per problem after each chunk;
    `on_progress(problems done, problems in total)` after each chunk (nothing is printed here).

    Each chunk's seed comes from (seed, first problem id), so a resumed run samples the same way."""
    from rlvrlab.generate import GenerationParams
    from rlvrlab.grading import extract_answer
    from rlvrlab.prompts import get_prompt

    spec = get_prompt(options.prompt)
    k = options.samples
    if on_progress is not None:
        on_progress(0, len(problems))
    for start in range(0, len(problems), options.problems_per_chunk):
        chunk = problems[start : start + options.problems_per_chunk]
        params = GenerationParams(
            temperature=options.temperature,
            top_p=options.top_p,
            max_new_tokens=options.max_new_tokens,
            stop=spec.stop,
            seed=zlib.crc32(f"{options.seed}:{chunk[0].id}".encode()),
        )
        prompts = [spec.render(p.problem, generator.tokenizer) for p in chunk for _ in range(k)]
        samples = generator.generate(prompts, params)
        rows = []
        for j, p in enumerate(chunk):
            mine = samples[j * k : (j + 1) * k]
            answers = [extract_answer(s.text, spec.answer_mode) for s in mine]
            n_truncated = sum(s.finish_reason == "length" for s in mine)
            rows.append({"id": p.id, "answers": answers, "n_samples": k, "n_truncated": n_truncated})
        append_jsonl(out_dir / ANSWERS_FILE, rows)
        if on_progress is not None:
            on_progress(start + len(chunk), len(problems))
    return len(problems)


def label_row(
    problem: Problem, answers: list[str | None], options: LabelOptions, grader: Grader
) -> dict[str, Any]:
    """One output row: the problem with its label, vote share and whether the label matches the gold."""
    choice = choose_label(cluster_answers(answers, grader), options.label_mode, options.seed, problem.id)
    label_correct = None
    if problem.answer is not None:
        label_correct = bool(choice.label) and grader.equivalent(problem.answer, choice.label)
    return {
        "id": problem.id,
        "problem": problem.problem,
        "answer": problem.answer,
        "label": choice.label,
        "vote_share": round(choice.vote_share, 6),
        "n_answers": choice.n_answers,
        "n_samples": len(answers),
        "label_correct": label_correct,
        "label_mode": options.label_mode,
        "clusters": [list(c) for c in choice.clusters],
        "source": problem.source,
    }


def label_stats(rows: list[dict[str, Any]], options: LabelOptions) -> dict[str, Any]:
    """Label accuracy against ground truth (an empty label counts as wrong in `label_accuracy`) and the
    vote-share histogram (10 equal bins on [0, 1], problems with no answer left out)."""
    with_gold = [r for r in rows if r["answer"] is not None]
    labelled = [r for r in with_gold if r["label"]]
    n_correct = sum(r["label_correct"] is True for r in labelled)
    keep_empty = options.empty_label_in_incorrect
    histogram = [0] * HISTOGRAM_BINS
    for r in rows:
        if r["n_answers"]:
            histogram[min(int(r["vote_share"] * HISTOGRAM_BINS), HISTOGRAM_BINS - 1)] += 1
    shares = [r["vote_share"] for r in rows if r["n_answers"]]
    return {
        "n_problems": len(rows),
        "n_no_answer": sum(not r["label"] for r in rows),
        "n_with_ground_truth": len(with_gold),
        "n_correct": n_correct,
        "n_incorrect": len(labelled) - n_correct,  # non-empty wrong labels
        "n_incorrect_set": len(labelled) - n_correct + (len(with_gold) - len(labelled)) * keep_empty,
        "label_accuracy": n_correct / len(with_gold) if with_gold else None,
        "label_accuracy_when_labelled": n_correct / len(labelled) if labelled else None,
        "mean_vote_share": sum(shares) / len(shares) if shares else None,
        "vote_share_histogram": {
            "bin_edges": [i / HISTOGRAM_BINS for i in range(HISTOGRAM_BINS + 1)],
            "counts": histogram,
        },
        "options": asdict(options),
    }


def write_label_sets(
    problems: list[Problem], done: dict[str, list[str | None]], options: LabelOptions, out_dir: Path
) -> dict[str, Any]:
    """Label every sampled problem (in data order) and write all/correct/incorrect/stats."""
    grader = Grader(mode=options.grading)
    rows = [label_row(p, done[p.id], options, grader) for p in problems if p.id in done]
    write_jsonl(out_dir / "all.jsonl", rows)
    write_jsonl(out_dir / "correct.jsonl", [r for r in rows if r["label_correct"] is True])
    keep_empty = options.empty_label_in_incorrect
    write_jsonl(
        out_dir / "incorrect.jsonl",
        [r for r in rows if r["label_correct"] is False and (r["label"] or keep_empty)],
    )
    stats = label_stats(rows, options)
    (out_dir / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    logger.info("labelled %d problems: accuracy %s", len(rows), stats["label_accuracy"])
    return stats


def _sampled_ids(out_dir: Path) -> set[str]:
    path = out_dir / ANSWERS_FILE
    return {str(r["id"]) for r in read_jsonl(path)} if path.exists() else set()


def run_labelling(
    options: LabelOptions,
    out_dir: Path,
    *,
    backend: Literal["hf", "vllm"] = "hf",
    limit: int | None = None,
    resume: bool = False,
    batch_size: int = 16,
    generator: Any = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Whole job: load problems, sample what is missing, label, write outputs; returns the stats.

    `generator` (anything with `.tokenizer` and `.generate(prompts, params)`) overrides building one
    from `options.model` with `backend`; it is built only when some problem still needs samples."""
    from rlvrlab.data import load_problems
    from rlvrlab.folders import check_out
    from rlvrlab.models import resolve_model

    problems = load_problems(options.data, limit=limit)
    sampled = _sampled_ids(out_dir) if resume else set()
    needs_model = generator is None and any(p.id not in sampled for p in problems)  # relabelling needs none
    model = resolve_model(options.model) if needs_model else options.model
    check_out(out_dir, "labels", inputs=[model, options.data])
    done = prepare_out_dir(out_dir, options, resume)
    todo = [p for p in problems if p.id not in done]
    logger.info(
        "%d problems, %d already sampled, %d to sample", len(problems), len(problems) - len(todo), len(todo)
    )
    if todo:
        if generator is None:
            from rlvrlab.generate import make_generator

            generator = make_generator(backend, options.model, batch_size=batch_size)
        sample_answers(todo, generator, options, out_dir, on_progress)
        done = {str(r["id"]): r["answers"] for r in read_jsonl(out_dir / ANSWERS_FILE)}
    return write_label_sets(problems, done, options, out_dir)
