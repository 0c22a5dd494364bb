"""Fresh problems: contamination-free benchmarks generated on demand, with exact answers.

A model cannot have memorised a problem that did not exist when it was trained, so a freshly generated set
tells real reasoning from recall (arXiv 2507.10532 built RandomCalculation for this). Families:

- `random-calculation`: RandomCalculation-style arithmetic. A random expression of `min_steps..max_steps`
  operations (+, -, x, /) over integers 1..`max_operand` and, at rate `fraction_rate`, proper fractions with
  denominators up to `max_denominator`. Difficulty is the number of operations and the operand size.
- `sim-calculation`: the same generator shaped like the model organism's world (a left-nested chain of
  4 additions/subtractions of digits, the sim phrasings, plain notation), so the organism can be audited on
  problems it never saw. Fresh by construction, not by a check: the sim world has ~945k such expressions
  and its pretraining pool covers ~21% of them (a 0.42M-parameter model does not memorise them; it
  learned the world's arithmetic, which is what a fresh set of the same world measures).
- `linear-equation`: one linear equation in x with integer coefficients on both sides.

Answers are `fractions.Fraction` values computed while the problem is built (never floats), written as
`answer` in the row format every loader reads ({id, problem, answer, source}) plus `answer_exact` ("p/q"
or "p"). `answer_format` chooses LaTeX (`\\frac{p}{q}`) or plain (`p/q`); tests check that the project's
grader accepts every written answer against itself and across formats.

Rows are a deterministic function of (family, seed, parameters): the generator is `random.Random` seeded
with a string (hashed with SHA-512, stable across processes and platforms), never the global RNG.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, get_args, get_type_hints

from rlvrlab.data.load import Problem

AnswerFormat = Literal["latex", "plain"]
MAX_ATTEMPTS_PER_ROW = 1000


@dataclass(frozen=True)
class CalculationConfig:
    """Parameters of the arithmetic families (defaults: `random-calculation`)."""

    min_steps: int = 1
    """fewest operations per problem"""
    max_steps: int = 20
    """most operations per problem (RandomCalculation: 1-20); each problem draws uniformly in between"""
    max_operand: int = 100
    """integer operands are drawn from 1..max_operand"""
    fraction_rate: float = 0.2
    """probability that an operand is a proper fraction p/q (q in 2..max_denominator) instead"""
    max_denominator: int = 12
    ops: str = "+-*/"
    """operators to draw from, any of + - * /"""
    shape: Literal["tree", "chain"] = "tree"
    """tree: a random binary expression tree; chain: ((a op b) op c) op d ..., as the sim world writes"""
    notation: Literal["latex", "plain"] = "latex"
    """latex: $\\frac{1}{2} \\times 3$; plain: 1/2 * 3 (fractions in parentheses)"""
    templates: tuple[str, ...] = ("Compute ${e}$.",)
    """phrasings, each with {e} for the expression; one is drawn per problem"""
    answer_format: AnswerFormat = "latex"
    max_answer_digits: int = 12
    """redraw a problem whose exact answer has a numerator or denominator longer than this"""

    def __post_init__(self) -> None:
        if not 1 <= self.min_steps <= self.max_steps:
            raise ValueError(f"need 1 <= min_steps <= max_steps, got {self.min_steps}, {self.max_steps}")
        if self.max_operand < 1 or self.max_denominator < 2 or self.max_answer_digits < 1:
            raise ValueError("max_operand must be >= 1, max_denominator >= 2, max_answer_digits >= 1")
        if not 0 <= self.fraction_rate <= 1:
            raise ValueError(f"fraction_rate must lie in [0, 1], got {self.fraction_rate}")
        if not self.ops or set(self.ops) - set("+-*/"):
            raise ValueError(f"ops must be a non-empty string of + - * /, got {self.ops!r}")
        _check_templates(self.templates, "{e}")


@dataclass(frozen=True)
class LinearEquationConfig:
    """Parameters of `linear-equation`: a x + b = c x + d with a != c, all in -max..max (a, c non-zero)."""

    max_coefficient: int = 20
    variable: str = "x"
    templates: tuple[str, ...] = ("Solve for ${v}$: ${q}$.",)
    """phrasings, each with {q} for the equation and {v} for the variable"""
    answer_format: AnswerFormat = "latex"

    def __post_init__(self) -> None:
        if self.max_coefficient < 2:
            raise ValueError(f"max_coefficient must be >= 2, got {self.max_coefficient}")
        if len(self.variable) != 1 or not self.variable.isalpha():
            raise ValueError(f"variable must be one letter, got {self.variable!r}")
        _check_templates(self.templates, "{q}")


def _check_templates(templates: tuple[str, ...], slot: str) -> None:
    if not templates or any(slot not in t for t in templates):
        raise ValueError(f"templates must be a non-empty list of phrasings that each contain {slot}")


def format_fraction(value: Fraction, answer_format: AnswerFormat) -> str:
    """An exact answer as text: "7", "-3/4" (plain) or "-\\frac{3}{4}" (latex)."""
    if value.denominator == 1:
        return str(value.numerator)
    sign = "-" if value < 0 else ""
    p, q = abs(value.numerator), value.denominator
    return f"{sign}{p}/{q}" if answer_format == "plain" else f"{sign}\\frac{{{p}}}{{{q}}}"


# ---- arithmetic expressions: a node is a Fraction (leaf) or (op, left, right)

Node = Any
_APPLY: dict[str, Callable[[Fraction, Fraction], Fraction]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}
_LATEX_OP = {"+": "+", "-": "-", "*": "\\times", "/": "\\div"}


def _operand(rng: random.Random, config: CalculationConfig) -> Fraction:
    if rng.random() < config.fraction_rate:
        q = rng.randint(2, config.max_denominator)
        return Fraction(rng.randint(1, q - 1), q)
    return Fraction(rng.randint(1, config.max_operand))


def _tree(rng: random.Random, n_ops: int, config: CalculationConfig) -> Node:
    if n_ops == 0:
        return _operand(rng, config)
    if config.shape == "chain":
        return (rng.choice(config.ops), _tree(rng, n_ops - 1, config), _operand(rng, config))
    left = rng.randint(0, n_ops - 1)
    return (rng.choice(config.ops), _tree(rng, left, config), _tree(rng, n_ops - 1 - left, config))


def evaluate_tree(node: Node) -> Fraction:
    """Exact value; ZeroDivisionError when a divisor is zero (the caller redraws)."""
    if isinstance(node, Fraction):
        return node
    op, left, right = node
    return _APPLY[op](evaluate_tree(left), evaluate_tree(right))


def render_tree(node: Node, notation: Literal["latex", "plain"], top: bool = True) -> str:
    """Fully parenthesised below the top level, so the text has one reading whatever the precedence."""
    if isinstance(node, Fraction):
        if node.denominator == 1:
            return str(node.numerator)
        if notation == "latex":
            return f"\\frac{{{node.numerator}}}{{{node.denominator}}}"
        return f"({node.numerator}/{node.denominator})"
    op, left, right = node
    symbol = _LATEX_OP[op] if notation == "latex" else op
    text = f"{render_tree(left, notation, False)} {symbol} {render_tree(right, notation, False)}"
    return text if top else f"({text})"


def calculation_problem(rng: random.Random, config: CalculationConfig) -> tuple[str, Fraction, dict]:
    """One problem: (text, exact answer, extra fields). Redraws on a zero divisor or an oversized answer."""
    for _ in range(MAX_ATTEMPTS_PER_ROW):
        steps = rng.randint(config.min_steps, config.max_steps)
        tree = _tree(rng, steps, config)
        try:
            value = evaluate_tree(tree)
        except ZeroDivisionError:
            continue
        if max(len(str(abs(value.numerator))), len(str(value.denominator))) > config.max_answer_digits:
            continue
        template = rng.choice(config.templates)
        return template.replace("{e}", render_tree(tree, config.notation)), value, {"steps": steps}
    raise ValueError(
        f"no problem within max_answer_digits={config.max_answer_digits} after {MAX_ATTEMPTS_PER_ROW} "
        "draws: raise max_answer_digits or lower max_steps / max_operand"
    )


# ---- linear equations


def _linear_side(coefficient: int, constant: int, variable: str) -> str:
    term = {1: variable, -1: f"-{variable}"}.get(coefficient, f"{coefficient}{variable}")
    if constant == 0:
        return term
    return f"{term} {'+' if constant > 0 else '-'} {abs(constant)}"


def linear_problem(rng: random.Random, config: LinearEquationConfig) -> tuple[str, Fraction, dict]:
    """a x + b = c x + d with a != c: x = (d - b) / (a - c), exactly."""
    m = config.max_coefficient
    nonzero = [k for k in range(-m, m + 1) if k != 0]
    a = rng.choice(nonzero)
    c = rng.choice([k for k in nonzero if k != a])
    b, d = rng.randint(-m, m), rng.randint(-m, m)
    v = config.variable
    equation = f"{_linear_side(a, b, v)} = {_linear_side(c, d, v)}"
    text = rng.choice(config.templates).replace("{q}", equation).replace("{v}", v)
    return text, Fraction(d - b, a - c), {"coefficients": [a, b, c, d]}


# ---- the family registry


@dataclass(frozen=True)
class Family:
    """A named generator: its problem function and its default parameters."""

    make: Callable[[random.Random, Any], tuple[str, Fraction, dict]]
    defaults: Any
    description: str


def _sim_calculation_defaults() -> CalculationConfig:
    from rlvrlab.sim.world import TEMPLATES as SIM_TEMPLATES
    from rlvrlab.sim.world import WorldConfig

    world = WorldConfig()
    return CalculationConfig(
        min_steps=world.n_ops,
        max_steps=world.n_ops,
        max_operand=world.max_digit,
        fraction_rate=0.0,
        ops="+-",
        shape="chain",
        notation="plain",
        templates=SIM_TEMPLATES,
        answer_format="plain",
    )


def families() -> dict[str, Family]:
    return {
        "random-calculation": Family(
            calculation_problem,
            CalculationConfig(),
            "RandomCalculation-style expressions: 1-20 operations over integers and fractions",
        ),
        "sim-calculation": Family(
            calculation_problem,
            _sim_calculation_defaults(),
            "fresh problems of the model organism's world (4-step +/- chains of digits)",
        ),
        "linear-equation": Family(
            linear_problem, LinearEquationConfig(), "one linear equation in x, exact fraction answer"
        ),
    }


def parse_settings(defaults: Any, items: Iterable[str]) -> Any:
    """Apply `key=value` strings to a config dataclass; tuples are `|`-separated (templates=A {e}|B {e})."""
    types = get_type_hints(type(defaults))
    values: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or key not in types:
            names = ", ".join(f.name for f in fields(defaults))
            raise ValueError(f"--set {item!r}: expected KEY=VALUE with KEY one of {names}")
        kind = types[key]
        try:
            if kind is int:
                values[key] = int(raw)
            elif kind is float:
                values[key] = float(raw)
            elif kind == tuple[str, ...]:
                values[key] = tuple(raw.split("|"))
            elif get_args(kind) and raw not in get_args(kind):
                raise ValueError
            else:
                values[key] = raw
        except ValueError:
            expected = " | ".join(get_args(kind)) if get_args(kind) else getattr(kind, "__name__", kind)
            raise ValueError(f"--set {item!r}: {key} expects {expected}, got {raw!r}") from None
    return replace(defaults, **values)


def generate_problems(
    family: str, n: int, seed: int = 0, settings: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """`n` distinct problems of `family` as benchmark rows; deterministic in (family, seed, settings)."""
    registry = families()
    if family not in registry:
        raise ValueError(f"unknown problem family {family!r}: choose one of {', '.join(registry)}")
    if n < 1:
        raise ValueError(f"--n must be >= 1, got {n}")
    spec = registry[family]
    config = parse_settings(spec.defaults, settings)
    rng = random.Random(f"rlvrlab.generate/{family}/{seed}")
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for _ in range(n * MAX_ATTEMPTS_PER_ROW):
        if len(rows) == n:
            break
        text, value, extra = spec.make(rng, config)
        if text in seen:
            continue
        seen.add(text)
        rows.append(
            {
                "id": f"{family}-s{seed}/{len(rows)}",
                "problem": text,
                "answer": format_fraction(value, config.answer_format),
                "source": family,
                "answer_exact": format_fraction(value, "plain"),
                **extra,
            }
        )
    if len(rows) < n:
        raise ValueError(f"{family}: only {len(rows)} distinct problems with these settings, asked for {n}")
    return rows


def generated_problems(family: str, n: int, seed: int = 0, settings: Iterable[str] = ()) -> list[Problem]:
    """The same rows as `Problem`s, for code that probes or evaluates them without a file."""
    known = {"id", "problem", "answer", "source"}
    return [
        Problem(
            r["id"], r["problem"], r["answer"], r["source"], {k: v for k, v in r.items() if k not in known}
        )
        for r in generate_problems(family, n, seed, settings)
    ]


def write_problems(rows: list[dict[str, Any]], out: Path) -> bool:
    """Write rows as JSONL; returns False when `out` already holds exactly these rows (nothing to do).
    Refuses to replace a different file: a benchmark someone evaluated on is never silently changed."""
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if out.exists():
        if out.read_text(encoding="utf-8") == text:
            return False
        raise ValueError(f"{out} exists with other content: choose another --out (or delete it first)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return True
