"""Shared helpers for the training tests (no tests here): a tiny config and the random reward."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rlvrlab.train.config import TrainConfig, resolve_config


def random_reward(p: float = 0.5, seed: int = 42) -> Any:
    from rlvrlab.rewards import build_reward

    return build_reward(f"random:{p}", seed=seed)


# a random-init tiny model needs a big step to move ratios past 1 +- eps within a rollout; short completions
RANDOM_MODEL = ["learning_rate=1e-2", "max_completion_length=16"]


def tiny_config(model_dir: Path, out: Path, *overrides: str) -> TrainConfig:
    """cpu-small on math500 with 2-rollout runs by default; `overrides` are --set strings."""
    return resolve_config(
        preset="cpu-small",
        model=str(model_dir),
        data="math500",
        reward="random:0.5",
        output_dir=str(out),
        overrides=["max_steps=2", "data_limit=64", "save_every=0", *RANDOM_MODEL, *overrides],
    )
