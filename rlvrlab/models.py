"""Model names -> what `from_pretrained` loads: one resolver for every command that accepts a model.

`resolve_model(name)` accepts a shipped sim model name (`sim-qwen-math`, `sim-llama`, whatever
`rlvrlab/sim/models/` holds), a local model folder, or a hub id. Folders and hub ids are checked by
loading their config (local: config.json; hub: the cache, or the hub where it is reachable), so a bad name
is a one-line ValueError naming it, the shipped names and the offline hint before any work starts, not a
40-frame hub traceback. Run folders pass their config unchanged (the name, not the resolved path, is what
config.yaml keeps, so a run folder stays portable).

A model folder may ship `train-recipe.yaml`: TrainConfig keys that `rlvr train` uses as the default preset
for that model (the sim models ship the organism's tested recipe; see `recipe_path`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from rlvrlab.sim.info import MODELS_DIR, shipped_models

RECIPE_FILE = "train-recipe.yaml"


def _offline_hint() -> str:
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
    where = "HF_HUB_OFFLINE=1 is set" if offline else "the hub is unreachable from this machine"
    return f"hub ids load only from the local cache when {where}"


def _check_folder(path: Path) -> None:
    config = path / "config.json"
    if not config.is_file():
        raise ValueError(f"model folder {path} has no config.json (not a saved transformers model)")
    try:
        json.loads(config.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise ValueError(f"{config}: not UTF-8 text (byte {err.start})") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{config}:{err.lineno}: not valid JSON ({err.msg})") from None


def _check_hub_id(name: str) -> None:
    from transformers import AutoConfig

    try:
        AutoConfig.from_pretrained(name)
    except Exception:  # any hub/cache failure: say what was tried, in one line
        shipped = ", ".join(shipped_models()) or "none"
        raise ValueError(
            f"unknown model {name!r}: not a shipped sim model ({shipped}), not a local folder, and not "
            f"loadable as a hub id ({_offline_hint()})"
        ) from None


def resolve_model(name: str) -> str:
    """The path or hub id to load for `name` (see the module docstring); ValueError in one line if none."""
    if not name or not str(name).strip():
        raise ValueError("no model given: pass --model (a shipped sim name, a local folder or a hub id)")
    name = str(name)
    shipped = MODELS_DIR / name
    if name in shipped_models():
        return str(shipped)
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ValueError(f"model {name!r} is a file; give a model folder, a shipped name or a hub id")
        _check_folder(path)
        return str(path)
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise ValueError(f"model folder not found: {name}")
    _check_hub_id(name)
    return name


def recipe_path(name: str) -> Path | None:
    """The `train-recipe.yaml` a shipped or local model folder holds (None: no folder or no recipe; hub
    ids are not looked up)."""
    folder = MODELS_DIR / name if name in shipped_models() else Path(name).expanduser()
    path = folder / RECIPE_FILE
    return path if path.is_file() else None
