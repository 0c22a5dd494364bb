"""Type-check config dataclasses against their annotations, and parse `key=value` text by field type.

Config values arrive as YAML (where `1e-5` is a *string*: YAML 1.1 needs a dot, `1.0e-5`) and as
`--set key=value` text. `parse_field` turns text into the field's type; `check_types` (called from each
config's `__post_init__`) rejects a value of the wrong type or a float that is not finite, naming the
key, so a bad value is a one-line error before any work starts, never a TypeError deep in torch or TRL.
Ranges (top_p in (0, 1], lengths >= 1, ...) stay with each config's own validation.
"""

from __future__ import annotations

import math
import types
from dataclasses import fields
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def _options(kind: Any) -> tuple[Any, ...]:
    """The alternatives of `X | Y | None` (or the type itself)."""
    return get_args(kind) if get_origin(kind) in (Union, types.UnionType) else (kind,)


def _type_name(kind: Any) -> str:
    names = []
    for option in _options(kind):
        if get_origin(option) is Literal:
            names.append(" | ".join(repr(a) for a in get_args(option)))
        else:
            names.append("None" if option is type(None) else getattr(option, "__name__", str(option)))
    return " or ".join(names)


def _matches(option: Any, value: Any) -> bool:
    if option is type(None):
        return value is None
    if get_origin(option) is Literal:
        return value in get_args(option)
    if option is bool:
        return isinstance(value, bool)
    if option is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if option is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    origin = get_origin(option) or option
    return isinstance(value, origin) if isinstance(origin, type) else True


def check_value(name: str, kind: Any, value: Any) -> None:
    """Raise ValueError unless `value` fits annotation `kind`; floats must be finite."""
    if not any(_matches(option, value) for option in _options(kind)):
        raise ValueError(f"config key {name!r} expects {_type_name(kind)}, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"config key {name!r} must be a finite number, got {value!r}")


def check_types(config: Any) -> None:
    """Check every field of a dataclass instance against its annotation (first bad key named)."""
    hints = get_type_hints(type(config))
    for field in fields(config):
        check_value(field.name, hints[field.name], getattr(config, field.name))


def parse_field(cls: type, name: str, text: str) -> Any:
    """Parse `text` as the type of field `name` of dataclass `cls` (bool, int, float, None, or str);
    ValueError naming the key and the expected type. Unknown keys are the caller's to report."""
    kind = get_type_hints(cls)[name]
    options = _options(kind)
    if text.strip().lower() in ("none", "null") and type(None) in options:
        return None
    for option in options:
        try:
            if option is bool and text.lower() in _TRUE + _FALSE:
                return text.lower() in _TRUE
            if option is int:
                return int(text)
            if option is float:
                return float(text)
        except ValueError:
            continue
        if option is str or (get_origin(option) is Literal and text in get_args(option)):
            return text
    raise ValueError(f"config key {name!r} expects {_type_name(kind)}, got {text!r}")
