"""Reward functions for GRPO with TRL's signature, built from specs like "random:0.5" or "format&!python"."""

from rlvrlab.rewards.library import (
    AllReward,
    CorrectnessReward,
    FormatReward,
    NoRepetitionReward,
    NotReward,
    PythonReward,
    RandomReward,
    Reward,
    RewardError,
    completion_text,
    has_repetition,
)
from rlvrlab.rewards.specs import REWARDS, build_reward, parse_reward_spec

__all__ = [
    "REWARDS",
    "AllReward",
    "CorrectnessReward",
    "FormatReward",
    "NoRepetitionReward",
    "NotReward",
    "PythonReward",
    "RandomReward",
    "Reward",
    "RewardError",
    "build_reward",
    "completion_text",
    "has_repetition",
    "parse_reward_spec",
]
