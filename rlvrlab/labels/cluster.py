"""Cluster a problem's sampled answers by mathematical equivalence and pick a label from the clusters.

Clustering is greedy "leader" clustering, the same rule whether fast or naive:
- answers are visited in sample order; an answer joins the FIRST existing cluster whose leader (the
  cluster's first answer) it is equivalent to, as judged by `Grader.equivalent(leader, answer)` (the
  leader is the grader's `gold`, because equivalence is asymmetric); otherwise it starts a new cluster.
- empty answers (None or whitespace) are dropped before clustering: they are not votes.

The fast path (`cluster_answers`) first groups answers by a canonical key (`Grader.key`: the grading
mode's normalised string, or the exact rational value for plain numbers), so most
answers meet by hashing; the grader is called only once per (cluster, canonical group) pair, and not
at all between two plain numbers with different exact values (they cannot be equal), nor between a
plain number and a collection (interval, tuple, list: a top-level comma or \\cup) or a text word
(`\\text{east}`), which no grading mode equates (`structurally_different`). The naive path
(`cluster_answers_naive`) calls the grader for every (cluster, answer) pair; it exists as the
benchmark's reference and gives the same clusters whenever answers with one key get one verdict.

Label choice (`choose_label`), deterministic:
- `majority`: the biggest cluster; ties go to the cluster whose first answer came earliest in sample
  order (so a label never depends on dict ordering or string sorting);
- `minority`: the smallest cluster; ties likewise go to the earliest cluster;
- `random`: a uniformly random cluster (each distinct answer equally likely, not weighted by votes),
  drawn with a generator seeded by (seed, problem id) so a rerun gives the same labels.
The label string is the cluster's most common surface form (ties: the earliest seen). No answers at
all gives the empty label "" with vote share 0.
"""

from __future__ import annotations

import math
import random
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any, Literal

from rlvrlab.labels.never_equal import robust_never_equal

LabelMode = Literal["majority", "minority", "random"]
LABEL_MODES: tuple[str, ...] = ("majority", "minority", "random")
CanonicalKey = tuple[str, str]


@dataclass(frozen=True)
class Grader:
    """The equivalence used for clustering: `rlvrlab.grading.verify` in `mode`, plus the canonical key
    that agrees with that mode.

    The key must never join answers the grader would keep apart, so it follows the mode: `robust` keys
    on the grader's lossless `light_normalize` (the paper's normaliser deletes unit words, turning
    "c+b" into "+b") and on exact values of plain numbers, which the robust grader also compares
    exactly, so two different exact numbers are known to differ without a call. `paper` keys on
    `normalize_answer` only: the paper's grader keeps some equal values apart ("\\frac{2}{4}" is not
    "\\frac{1}{2}": two plain fractions must be equal strings). `cache`: a `VerdictCache`, or
    None for the grading module's shared one; `use_cache=False` grades every pair afresh."""

    mode: Literal["paper", "robust"] = "robust"
    timeout: float = 5.0
    cache: Any = field(default=None, compare=False, repr=False)
    use_cache: bool = True

    def __post_init__(self) -> None:
        if self.mode not in ("paper", "robust"):
            raise ValueError(f"grading mode must be 'paper' or 'robust', got {self.mode!r}")

    @property
    def distinct_numbers_differ(self) -> bool:
        return self.mode == "robust"

    def equivalent(self, gold: str, pred: str) -> bool:
        from rlvrlab.grading import DEFAULT_CACHE, verify

        cache = (DEFAULT_CACHE if self.cache is None else self.cache) if self.use_cache else None
        return verify(gold, pred, mode=self.mode, timeout=self.timeout, cache=cache).correct

    def key(self, answer: str) -> CanonicalKey:
        """('num', p/q) for an exact plain number, else ('str', normalised string)."""
        return canonical_key(answer, self.mode)


@lru_cache(maxsize=65536)
def canonical_key(answer: str, mode: str = "robust") -> CanonicalKey:
    """See `Grader.key`; memoised because a problem's 64 answers repeat a few strings."""
    from rlvrlab.grading import normalize_answer
    from rlvrlab.grading.numeric import may_be_rounded
    from rlvrlab.grading.verify import light_normalize

    if mode != "robust":
        return ("str", normalize_answer(answer))
    normalized = light_normalize(answer)
    value = exact_number(normalized)
    if value is not None and not may_be_rounded(normalized):  # "0.083333" equals 1/12 to the grader
        return ("num", f"{value.numerator}/{value.denominator}")
    return ("str", normalized)


@dataclass(frozen=True)
class Cluster:
    """Answers judged equivalent. `answers` are the raw (stripped) answer strings in sample order;
    `first` is the sample position of the first one (the tie-break key)."""

    answers: tuple[str, ...]
    first: int

    @property
    def count(self) -> int:
        return len(self.answers)

    @property
    def leader(self) -> str:
        return self.answers[0]

    def surface_form(self) -> str:
        """Most common raw string in the cluster; ties go to the one seen first."""
        counts: dict[str, int] = {}
        for a in self.answers:
            counts[a] = counts.get(a, 0) + 1
        return max(counts, key=lambda a: counts[a])  # max keeps the first of equal counts (insertion order)


@dataclass(frozen=True)
class LabelChoice:
    """A problem's label: the chosen cluster's surface form, its share of the non-empty answers, the
    number of non-empty answers, and all clusters as (surface form, count) in creation order."""

    label: str
    vote_share: float
    n_answers: int
    clusters: tuple[tuple[str, int], ...]


def exact_number(normalized: str) -> Fraction | None:
    """Exact rational value of a closed-form number ("0.5", "1/2", "\\frac34", "2^{-1}"), else None.

    Uses the grading module's in-process evaluator and keeps only exact (Fraction) results: no
    rounding, so two different values here really are different numbers; sqrt/pi values (floats) and
    everything else are left to the string key and the grader."""
    from rlvrlab.grading.normalize import fix_fracs
    from rlvrlab.grading.numeric import evaluate_number

    value = evaluate_number(fix_fracs(normalized))  # fix_fracs: "\\frac12" -> "\\frac{1}{2}", lossless
    return value if isinstance(value, Fraction) else None


_TEXT_WORD = re.compile(r"^\\text\{[A-Za-z][A-Za-z ]*\}$")
_MATRIX = re.compile(r"^\\begin\{[pb]?matrix\}.*\\end\{[pb]?matrix\}$", re.DOTALL)
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


@lru_cache(maxsize=65536)
def _shape(key: CanonicalKey) -> str:
    """ "num" (exact plain number), "word" (\\text{word}), "matrix" (a pmatrix/bmatrix), "list" (a bare
    list "1,2"), "collection:N" (a bracketed tuple/interval "(1,2)", "[3,\\infty)" with N elements),
    "union" (of such intervals), else "other". Left as "other" because Math-Verify can read them as
    one number: a vmatrix (a determinant) and a closed "[a,b]" unless a and b are clearly different
    numbers ("[2,2]" is the set {2}, which equals "2"), and unions with such a piece."""
    kind, text = key
    if kind == "num":
        return "num"
    if _TEXT_WORD.match(text):
        return "word"
    if _MATRIX.match(text):
        return "matrix"
    if "\\cup" in text:
        pieces = text.split("\\cup")
        return "union" if all(_shape(("str", p)) == "collection:2" for p in pieces) else "other"
    if _THOUSANDS.match(text):
        return "other"  # "1,000" is a number to the grader, not a list
    depth, commas = 0, [0, 0]
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and 0 <= depth <= 1:
            commas[depth] += 1
    if commas[0]:
        return "list"  # bare lists may be compared as sets ("2,2,1" = "1,2"): no size
    if commas[1] and text[:1] in "([" and text[-1:] in ")]" and _one_bracket_pair(text):
        if commas[1] == 1 and text[0] + text[-1] == "[]" and not _proper_interval(text):
            return "other"  # a closed interval, possibly one point
        return f"collection:{commas[1] + 1}"
    return "other"


def _one_bracket_pair(text: str) -> bool:
    """The opening bracket closes only at the end: "(1,2)" yes, "(1,2)+(3,4)" no."""
    depth = 0
    for i, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0 and i < len(text) - 1:
            return False
    return True


_INFINITY = {"\\infty": math.inf, "+\\infty": math.inf, "-\\infty": -math.inf}
ENDPOINT_GAP = 1e-4  # beyond Math-Verify's 6-decimal rounding of floats


def _proper_interval(text: str) -> bool:
    """ "[a,b]" with a and b numbers (or infinities) clearly apart: more than one point."""
    from rlvrlab.grading.numeric import evaluate_number

    values = [_INFINITY.get(p, evaluate_number(p, shorthand=True)) for p in text[1:-1].split(",")]
    if len(values) != 2 or None in values:
        return False
    a, b = (float(v) for v in values)  # type: ignore[arg-type]
    return a != b and (math.isinf(a) or math.isinf(b) or abs(a - b) > ENDPOINT_GAP * max(1, abs(a), abs(b)))


def structurally_different(a: CanonicalKey, b: CanonicalKey) -> bool:
    """True when no grading mode can call the two equal: different shapes among plain number, text
    word, matrix, union and N-element collection (so collections of different sizes differ too).
    Anything else ("other": expressions, +-, text with numbers) and bare lists go to the grader: a
    bare list is a set to Math-Verify, so "2,2" equals "2" and "1,2" may equal "(1,2)"; so does a union
    against one interval ("(0,9]\\cup(9,36)" is "(0,36)")."""
    shape_a, shape_b = _shape(a), _shape(b)
    if {shape_a, shape_b} == {"union", "collection:2"}:
        return False
    return not ({"other", "list"} & {shape_a, shape_b} or shape_a == shape_b)


def clean_answers(answers: Sequence[str | None]) -> list[tuple[int, str]]:
    """(sample position, stripped answer) for the non-empty answers: empty answers are not votes."""
    return [(i, a.strip()) for i, a in enumerate(answers) if a is not None and a.strip()]


def cluster_answers(answers: Sequence[str | None], grader: Grader) -> list[Cluster]:
    """Fast clustering: hash by canonical key, then leader clustering over the groups (see module doc)."""
    groups: dict[CanonicalKey, list[tuple[int, str]]] = {}
    for position, answer in clean_answers(answers):
        groups.setdefault(grader.key(answer), []).append((position, answer))
    clusters: list[tuple[CanonicalKey, list[tuple[int, str]]]] = []  # (leader's key, members)
    for key, members in groups.items():  # dict order = first appearance
        for leader_key, cluster_members in clusters:
            if grader.distinct_numbers_differ and leader_key[0] == key[0] == "num":
                continue  # two different exact numbers: not equivalent, no grader call
            if structurally_different(leader_key, key):
                continue
            robust = grader.mode == "robust"
            if robust and robust_never_equal(leader_key, key, _shape(leader_key), _shape(key)):
                continue  # e.g. a polynomial vs a number or a tuple: saves a ~30 ms sympy call
            if grader.equivalent(cluster_members[0][1], members[0][1]):
                cluster_members.extend(members)
                break
        else:
            clusters.append((key, list(members)))
    return [_to_cluster(members) for _, members in clusters]


def cluster_answers_naive(answers: Sequence[str | None], grader: Grader) -> list[Cluster]:
    """Reference clustering: the grader on every (cluster leader, answer) pair, no canonical keys."""
    clusters: list[list[tuple[int, str]]] = []
    for position, answer in clean_answers(answers):
        for members in clusters:
            if grader.equivalent(members[0][1], answer):
                members.append((position, answer))
                break
        else:
            clusters.append([(position, answer)])
    return [_to_cluster(members) for members in clusters]


def _to_cluster(members: list[tuple[int, str]]) -> Cluster:
    members = sorted(members)
    return Cluster(answers=tuple(a for _, a in members), first=members[0][0])


def choose_label(
    clusters: Sequence[Cluster], mode: LabelMode = "majority", seed: int = 0, key: str = ""
) -> LabelChoice:
    """Pick the label cluster by `mode` with the documented tie-break; `key` (the problem id) seeds
    `random` together with `seed`."""
    if mode not in LABEL_MODES:
        raise ValueError(f"label mode must be one of {', '.join(LABEL_MODES)}, got {mode!r}")
    ordered = sorted(clusters, key=lambda c: c.first)
    n_answers = sum(c.count for c in ordered)
    summary = tuple((c.surface_form(), c.count) for c in ordered)
    if not ordered:
        return LabelChoice(label="", vote_share=0.0, n_answers=0, clusters=())
    if mode == "majority":
        chosen = min(ordered, key=lambda c: (-c.count, c.first))
    elif mode == "minority":
        chosen = min(ordered, key=lambda c: (c.count, c.first))
    else:
        rng = random.Random(zlib.crc32(f"{seed}:{key}".encode()))
        chosen = ordered[rng.randrange(len(ordered))]
    return LabelChoice(
        label=chosen.surface_form(),
        vote_share=chosen.count / n_answers,
        n_answers=n_answers,
        clusters=summary,
    )
