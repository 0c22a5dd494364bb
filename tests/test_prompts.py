"""Prompt presets rendered with a locally built tokenizer that has Qwen's chat template."""

from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from rlvrlab.prompts import CODE_PREFILL, QWEN_MATH_SYSTEM, get_prompt

PROBLEM = "What is $1+1$?"


@pytest.fixture(scope="module")
def tokenizer(tiny_tokenizer_dir):
    return AutoTokenizer.from_pretrained(tiny_tokenizer_dir)


def test_qwen_math_matches_the_paper_prompt(tokenizer) -> None:
    text = get_prompt("qwen-math").render(PROBLEM, tokenizer)
    # byte-identical to the prompt in the paper's released Qwen2.5-Math-1.5B generations
    assert text == (
        f"<|im_start|>system\n{QWEN_MATH_SYSTEM}<|im_end|>\n<|im_start|>user\n{PROBLEM}<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_chat_has_no_custom_system_prompt(tokenizer) -> None:
    text = get_prompt("chat").render(PROBLEM, tokenizer)
    assert QWEN_MATH_SYSTEM not in text
    assert text.endswith(f"<|im_start|>user\n{PROBLEM}<|im_end|>\n<|im_start|>assistant\n")


def test_code_forcing_prefills_after_generation_prompt(tokenizer) -> None:
    text = get_prompt("code-forcing").render(PROBLEM, tokenizer)
    assert text.endswith("<|im_start|>assistant\n" + CODE_PREFILL)


def test_r1_template_is_plain_text_with_real_newlines_and_stop() -> None:
    spec = get_prompt("r1")
    text = spec.render(PROBLEM)
    assert "\nUser: What is $1+1$?\nAssistant: <think>" in text
    assert "\\n" not in text
    assert spec.stop == ("</answer>",)
    assert spec.answer_mode == "r1"


def test_user_template() -> None:
    assert get_prompt("Problem: {problem}\nSolution:").render("2+2") == "Problem: 2+2\nSolution:"


def test_errors_say_how_to_fix(tokenizer) -> None:
    with pytest.raises(ValueError, match="use one of qwen-math"):
        get_prompt("qwen")
    tokenizer_without_template = AutoTokenizer.from_pretrained(tokenizer.name_or_path)
    tokenizer_without_template.chat_template = None
    with pytest.raises(ValueError, match="--prompt r1"):
        get_prompt("qwen-math").render(PROBLEM, tokenizer_without_template)


def test_paper_prompt_matches_shared_generation_file() -> None:
    """The prompt stored with the real Qwen2.5-Math-1.5B generations uses exactly our system prompt."""
    import json
    from pathlib import Path

    path = Path(__file__).parent / "data" / "qwen_math_1p5b" / "base_MATH-500.json"
    if not path.exists():
        pytest.skip("real generations not copied into tests/data yet")
    prompt = json.loads(path.read_text())["metadata"][0]["prompt"]
    assert prompt.startswith(f"<|im_start|>system\n{QWEN_MATH_SYSTEM}<|im_end|>")
