"""The transformers backend on a tiny local model: stop strings, truncation, batching, the factory."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rlvrlab.generate import GenerationParams, HFGenerator, make_generator


@pytest.fixture(scope="module")
def generator(tiny_model_dir: Path) -> HFGenerator:
    return make_generator("hf", str(tiny_model_dir), batch_size=3)


PROMPTS = ["Compute 1 + 1.", "What is the area of a circle of radius 2?", "x", "Solve for y: 2y = 8."]


def test_generate_batches_covers_every_prompt_once(generator: HFGenerator) -> None:
    seen = [
        i
        for indices, samples in generator.generate_batches(PROMPTS, GenerationParams(max_new_tokens=4))
        for i in indices
    ]
    assert sorted(seen) == list(range(len(PROMPTS))) and len(seen) == len(PROMPTS)


def test_budget_hit_is_reported_as_truncation(generator: HFGenerator) -> None:
    for sample in generator.generate(PROMPTS, GenerationParams(max_new_tokens=5)):
        assert sample.n_tokens <= 5
        assert sample.finish_reason == ("length" if sample.n_tokens == 5 else "stop")


def test_stop_string_cuts_the_text_and_ends_the_sample(generator: HFGenerator) -> None:
    full = generator.generate(PROMPTS[:1], GenerationParams(max_new_tokens=24))[0]
    assert len(full.text) >= 6, "the tiny model generated too little text to pick a stop string from"
    stop = full.text[4:6]
    cut = generator.generate(PROMPTS[:1], GenerationParams(max_new_tokens=24, stop=(stop,)))[0]
    assert cut.text == full.text[: full.text.find(stop)]
    assert cut.finish_reason == "stop" and stop not in cut.text


def test_sampling_is_reproducible_per_seed(generator: HFGenerator) -> None:
    params = GenerationParams(temperature=1.0, max_new_tokens=8, seed=3)
    first = generator.generate(PROMPTS, params)
    assert generator.generate(PROMPTS, params) == first


def test_padding_side_is_restored(generator: HFGenerator) -> None:
    generator.tokenizer.padding_side = "right"
    generator.generate(PROMPTS[:2], GenerationParams(max_new_tokens=2))
    assert generator.tokenizer.padding_side == "right"


def test_unknown_backend_names_the_choices() -> None:
    with pytest.raises(ValueError, match="use 'hf'"):
        make_generator("tgi", "some/model")  # type: ignore[arg-type]


def test_stop_strings_match_generated_text_only(generator: HFGenerator) -> None:
    """A stop string spanning the prompt's end and the first generated token must not stop generation
    (transformers' own stop_strings does; vLLM, the paper's engine, does not)."""
    from rlvrlab.generate.hf import StopOnText

    tok = generator.tokenizer
    prompt = tok("Compute 1 + 1.", add_special_tokens=False)["input_ids"]
    dot = tok(".", add_special_tokens=False)["input_ids"]
    criteria = StopOnText(tok, ("..",), prompt_len=len(prompt))
    one_dot = torch.tensor([prompt + dot])
    assert not criteria(one_dot, None).item()
    assert criteria(torch.tensor([prompt + dot + dot]), None).item()
