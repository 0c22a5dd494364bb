"""Build tiny models and tokenizers locally for tests (the hub is unreachable; real users load hub ids
through the same `from_pretrained` path)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from rlvrlab.data import shipped_dir

# Qwen2.5's chat template, trimmed to what the project uses (system + user + assistant turns).
QWEN_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def build_tiny_tokenizer(vocab_size: int = 400):
    """A byte-level BPE tokenizer trained on MATH-500 text, with Qwen's special tokens and chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    lines = (shipped_dir() / "math500.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["problem"] for line in lines]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        chat_template=QWEN_CHAT_TEMPLATE,
    )
    return fast


def build_tiny_model(
    path: Path,
    arch: Literal["qwen2", "llama", "olmo2"] = "qwen2",
    seed: int = 0,
    hidden: int = 32,
    layers: int = 2,
    heads: int = 4,
    mlp_ratio: int = 2,
) -> Path:
    """Save a randomly initialised causal LM of the given family plus tokenizer to `path` (~100k
    parameters by default; benchmarks ask for bigger ones so compute, not Python, dominates)."""
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig, Olmo2Config, Qwen2Config

    tokenizer = build_tiny_tokenizer()
    common = dict(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=mlp_ratio * hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads // 2,
        max_position_embeddings=1024,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
        tie_word_embeddings=True,
    )
    config = {"qwen2": Qwen2Config, "llama": LlamaConfig, "olmo2": Olmo2Config}[arch](**common)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
