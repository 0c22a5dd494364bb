"""The r1 prompt's stop string `</answer>` ends training rollouts with the transformers backend too
(TRL 1.16 honours stop strings only through vLLM), tested with TRL on a tiny model taught to keep writing
after `</answer>`."""

from __future__ import annotations

import pytest

from rlvrlab.data import load_problems, read_jsonl
from rlvrlab.prompts import R1_TEMPLATE, get_prompt
from rlvrlab.train.run import train
from tests.test_train_support import tiny_config
from tests.tiny import build_tiny_model, teach_continuation

ANSWER = " 1 + 1 = 2 </think> <answer> 2 </answer>"
AFTER = " and then some more words that go on and on and on"
MAX_NEW = 48  # the taught text runs past this: without the stop every completion is truncated


@pytest.fixture(scope="module")
def chatty_base_model(tmp_path_factory):
    """A base model (no chat template, so prompt "auto" resolves to r1) that writes past </answer>."""
    path = build_tiny_model(tmp_path_factory.mktemp("chatty"), arch="qwen2", style="olmo2-base", hidden=64)
    prompts = [get_prompt("r1").render(p.problem) for p in load_problems("math500", limit=8)]
    return teach_continuation(path, prompts, ANSWER + AFTER, steps=80)


def _rollout(model_dir, out, *overrides):
    config = tiny_config(
        model_dir, out, "max_steps=1", "learning_rate=1e-7", f"max_completion_length={MAX_NEW}",
        "temperature=0.2",  # sample near-greedily: the taught text comes out (this test is about stopping)
        "data_limit=8", "updates_per_rollout=1", *overrides,
    )  # fmt: skip
    train(config)
    return read_jsonl(out / "completions.jsonl"), read_jsonl(out / "metrics.jsonl")[0]


@pytest.mark.slow
def test_r1_rollouts_end_at_answer_tag(chatty_base_model, tmp_path):
    completions, metrics = _rollout(chatty_base_model, tmp_path / "r1")  # prompt auto -> r1
    assert len(completions) == 16
    stopped = [c for c in completions if "</answer>" in c["completion"]]
    assert len(stopped) >= 12, [c["completion"] for c in completions]  # the taught model nearly always stops
    for row in stopped:  # nothing after the stop string is kept (the same token may end in a space)
        assert row["completion"].split("</answer>", 1)[1].strip() == "", row["completion"]
        assert row["length"] < MAX_NEW
    assert metrics["completion/truncated_fraction"] == pytest.approx(1 - len(stopped) / 16)


@pytest.mark.slow
def test_without_a_stop_string_the_same_model_writes_on(chatty_base_model, tmp_path):
    """The control: the same text template without a stop string keeps generating past </answer>."""
    completions, metrics = _rollout(chatty_base_model, tmp_path / "nostop", f"prompt={R1_TEMPLATE}")
    after = [c["completion"].split("</answer>", 1)[1] for c in completions if "</answer>" in c["completion"]]
    assert len(after) >= 12 and sum("and then" in a for a in after) >= 12
    assert all(c["length"] == MAX_NEW for c in completions)
    assert metrics["completion/truncated_fraction"] == 1.0
