"""`verify` (gold vs extracted answer) and `grade` (gold vs full response), with a verdict cache.

Fast paths run in-process (normalised string equality, plain numbers, simple closed forms); only
what is left goes to sympy in the killable worker, under one wall-clock budget per comparison.
A timeout is a False verdict with reason "timeout: ..." and `timed_out=True`; nothing raises.

All work is bounded. Extraction is linear in the response. An answer or gold longer than
`MAX_ANSWER_CHARS` is not normalised or parsed at all: the verdict is True only for identical
strings, else False with reason "too long: ..." (no real answer comes near: the longest of the
1,000 shared real responses' extracted answers has 672 characters). The worker runs under a time
limit per comparison and an address-space limit (worker.py); running out of memory is a False
verdict with reason "memory limit: ...". What this changes in paper mode (the grader the paper ran
has no such limits): answers over the length cap, and comparisons that would need more memory than
the worker's limit, are graded False instead of being normalised/simplified without bound.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import Literal

from rlvrlab.grading.extract import ExtractMode, extract_answer
from rlvrlab.grading.forms import ROBUST_FORMS, AnswerForm
from rlvrlab.grading.normalize import strip_string
from rlvrlab.grading.paper import paper_equal
from rlvrlab.grading.robust import light_normalize, robust_fast
from rlvrlab.grading.verdict import Grade, Verdict
from rlvrlab.grading.worker import default_worker

logger = logging.getLogger(__name__)

GradingMode = Literal["paper", "robust"]
GRADING_MODES: tuple[str, ...] = ("paper", "robust")
MAX_ANSWER_CHARS = 1000  # longer answers (or golds) are not normalised: see the module docstring
__all__ = ["Grade", "Verdict", "light_normalize"]  # re-exported: callers import them from here


class VerdictCache:
    """Thread-safe LRU of verdicts keyed on (normalised pred, normalised gold, mode).

    GRPO samples 16 completions per prompt and many share an answer, so most verdicts repeat.
    Timeouts are cached too: a pair that hung once would hang again.
    """

    def __init__(self, max_entries: int = 200_000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str, str], Verdict] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[str, str, str]) -> Verdict | None:
        with self._lock:
            verdict = self._entries.get(key)
            if verdict is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return verdict

    def put(self, key: tuple[str, str, str], verdict: Verdict) -> None:
        with self._lock:
            self._entries[key] = verdict
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


DEFAULT_CACHE = VerdictCache()


class _Abandoned(Exception):
    """Raised inside one comparison when the worker hit a limit; `reason` starts the verdict's reason."""

    reason = "abandoned"


class _Timeout(_Abandoned):
    reason = "timeout"


class _OverMemory(_Abandoned):
    reason = "memory limit"


def _worker_check(name: str, deadline: float, *args: str) -> object:
    reply = default_worker().call(name, args, timeout=deadline - time.monotonic())
    if reply.status == "timeout":
        raise _Timeout(reply.detail)
    if reply.status == "memory":
        raise _OverMemory(reply.detail)
    if reply.status == "error":
        logger.debug("worker error in %s%r: %s", name, args, reply.detail)
        return None
    return reply.value


def _robust_verdict(pred: str, gold: str, deadline: float) -> Verdict:
    fast = robust_fast(pred, gold)
    if fast is not None:
        return fast
    result = _worker_check("robust_equal", deadline, gold, pred)
    if result is None:
        return Verdict(False, "comparison error")
    correct, reason = result
    return Verdict(bool(correct), str(reason))


def _paper_verdict(pred: str, gold: str, deadline: float) -> Verdict:
    def sympy_check(gold_element: str, pred_element: str) -> bool:
        return bool(_worker_check("paper_sympy_equal", deadline, gold_element, pred_element))

    correct = paper_equal(pred, gold, sympy_check)
    return Verdict(correct, "paper equivalent" if correct else "paper not equivalent")


def _normalized_pair(gold: str, pred: str, mode: str) -> tuple[str, str]:
    """(pred, gold) as the mode's grader receives them. Paper: the paper's extractor ends with
    `strip_string` of the prediction; its grader normalises the raw gold itself."""
    if mode == "paper":
        return strip_string(pred), gold.strip()
    return light_normalize(pred), light_normalize(gold)


def oversize_verdict(gold: str, pred: str) -> Verdict | None:
    """The verdict for an answer or gold over `MAX_ANSWER_CHARS` (None when both are within it)."""
    if len(gold) <= MAX_ANSWER_CHARS and len(pred) <= MAX_ANSWER_CHARS:
        return None
    if gold.strip() == pred.strip():
        return Verdict(True, "identical strings (over the length limit)")
    which, size = ("answer", len(pred)) if len(pred) > MAX_ANSWER_CHARS else ("gold", len(gold))
    return Verdict(False, f"too long: {which} has {size} characters (MAX_ANSWER_CHARS={MAX_ANSWER_CHARS})")


def verify(
    gold: str,
    pred: str | None,
    mode: GradingMode = "paper",
    timeout: float = 5.0,
    cache: VerdictCache | None = DEFAULT_CACHE,
) -> Verdict:
    """Is `pred` equivalent to `gold`? Never raises on model output; a timeout is a False verdict."""
    if mode not in GRADING_MODES:
        raise ValueError(f"unknown grading mode {mode!r}; use one of {GRADING_MODES}")
    if pred is None or not str(pred).strip():
        return Verdict(False, "no answer extracted")
    oversize = oversize_verdict(str(gold), str(pred))
    if oversize is not None:
        return oversize
    norm_pred, norm_gold = _normalized_pair(str(gold), str(pred), mode)
    key = (norm_pred, norm_gold, mode)
    cached = cache.get(key) if cache is not None else None
    if cached is not None:
        return cached
    deadline = time.monotonic() + timeout
    try:
        if mode == "paper":
            verdict = _paper_verdict(norm_pred, norm_gold, deadline)
        else:
            verdict = _robust_verdict(norm_pred, norm_gold, deadline)
    except _Abandoned as error:
        verdict = Verdict(False, f"{error.reason}: {error}")
    except Exception as error:  # grading never raises into training
        logger.warning("grading error on gold=%r pred=%r: %r", gold, pred, error)
        verdict = Verdict(False, f"error: {type(error).__name__}")
    if cache is not None:
        cache.put(key, verdict)
    return verdict


def grade(
    response: str,
    gold: str,
    mode: GradingMode = "paper",
    extract_mode: ExtractMode | None = None,
    timeout: float = 5.0,
    forms: tuple[AnswerForm, ...] = ROBUST_FORMS,
) -> Grade:
    """Extract the final answer from `response` and verify it against `gold`.

    `extract_mode` None means the grading mode's own extractor: the paper's for paper mode, the
    robust one (answer tags, boxes, anchors, final math, bare answers; `forms` to trust) for robust.
    """
    extracted = extract_answer(response, extract_mode or mode, forms)
    verdict = verify(gold, extracted, mode=mode, timeout=timeout)
    return Grade(extracted, verdict.correct, verdict.reason, verdict.timed_out)
