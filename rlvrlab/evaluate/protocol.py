"""Per-benchmark evaluation protocols: the paper's defaults, each field overridable per benchmark.

The paper (arXiv 2506.10947, "Evaluation protocol"): MATH-500 greedy with 1 sample; AIME 2024, AIME 2025
and AMC with 8 samples at T=0.6, top_p 1, reported as avg@8; at most 3072 new tokens. Benchmarks the
paper does not name (sim500, local files) get the MATH-500 protocol: greedy, one sample.

Overrides are plain strings `NAME.FIELD=VALUE` (or `FIELD=VALUE` for every benchmark), e.g.
`aime24.n_samples=16` or `max_new_tokens=1024`, so the CLI and YAML recipes share one syntax.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

GradingMode = Literal["paper", "robust"]


@dataclass(frozen=True)
class BenchmarkProtocol:
    """How one benchmark is sampled and graded.

    n_samples: completions per problem (avg@n_samples is the headline number).
    temperature: 0 means greedy (n_samples must then be 1: greedy samples would be identical copies).
    top_p: nucleus sampling mass; 1.0 disables it (the paper's setting).
    max_new_tokens: generation budget per completion; a completion that hits it counts as truncated.
    grading_mode: "paper" reproduces the paper's grader, "robust" is the stricter/fairer equivalence.
    """

    name: str
    n_samples: int = 1
    temperature: float = 0.0
    top_p: float = 1.0
    max_new_tokens: int = 3072
    grading_mode: GradingMode = "paper"

    def __post_init__(self) -> None:
        for key in ("temperature", "top_p"):
            if not math.isfinite(getattr(self, key)):
                raise ValueError(f"{self.name}: {key} must be a finite number, got {getattr(self, key)}")
        if self.n_samples < 1:
            raise ValueError(f"{self.name}: n_samples must be >= 1, got {self.n_samples}")
        if self.temperature < 0:
            raise ValueError(f"{self.name}: temperature must be >= 0 (0 = greedy), got {self.temperature}")
        if self.temperature == 0 and self.n_samples > 1:
            raise ValueError(
                f"{self.name}: greedy decoding (temperature=0) with n_samples={self.n_samples} repeats one "
                f"answer; set {self.name}.temperature=0.6 (the paper's sampled protocol) or n_samples=1"
            )
        if not 0 < self.top_p <= 1:
            raise ValueError(f"{self.name}: top_p must be in (0, 1], got {self.top_p}")
        if self.max_new_tokens < 1:
            raise ValueError(f"{self.name}: max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if self.grading_mode not in ("paper", "robust"):
            raise ValueError(
                f"{self.name}: grading_mode must be 'paper' or 'robust', got {self.grading_mode!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


PAPER_PROTOCOLS: dict[str, BenchmarkProtocol] = {
    "math500": BenchmarkProtocol("math500"),
    "aime24": BenchmarkProtocol("aime24", n_samples=8, temperature=0.6),
    "aime25": BenchmarkProtocol("aime25", n_samples=8, temperature=0.6),
    "amc": BenchmarkProtocol("amc", n_samples=8, temperature=0.6),
}
_FIELD_TYPES = {f.name: f.type for f in fields(BenchmarkProtocol) if f.name != "name"}


def parse_overrides(items: list[str] | tuple[str, ...]) -> dict[str | None, dict[str, Any]]:
    """Parse `NAME.FIELD=VALUE` / `FIELD=VALUE` strings into {benchmark or None: {field: value}}."""
    out: dict[str | None, dict[str, Any]] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ValueError(
                f"override {item!r}: expected NAME.FIELD=VALUE or FIELD=VALUE, e.g. aime24.n_samples=16"
            )
        bench, _, field = key.strip().rpartition(".")
        if field not in _FIELD_TYPES:
            raise ValueError(
                f"override {item!r}: unknown field {field!r}; choose from {', '.join(_FIELD_TYPES)}"
            )
        out.setdefault(bench or None, {})[field] = _convert(field, raw.strip(), item)
    return out


def _convert(field: str, raw: str, item: str) -> Any:
    kind = _FIELD_TYPES[field]
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        raise ValueError(f"override {item!r}: {field} needs a {kind}, got {raw!r}") from None
    return raw


def resolve_protocol(
    benchmark: str, overrides: dict[str | None, dict[str, Any]] | None = None
) -> BenchmarkProtocol:
    """The paper's protocol for `benchmark` (greedy/1 sample if unknown), then global overrides, then
    this benchmark's own overrides (the most specific wins)."""
    overrides = overrides or {}
    base = PAPER_PROTOCOLS.get(benchmark, BenchmarkProtocol(benchmark))
    values = {**base.to_dict(), **overrides.get(None, {}), **overrides.get(benchmark, {})}
    return replace(base, **{k: v for k, v in values.items() if k != "name"})
