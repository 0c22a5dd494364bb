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
# Llama 3.1 Instruct's template, trimmed: BOS in the text (and the tokenizer adds BOS too, as Llama's does),
# header tokens, <|eot_id|> ends a turn and is the instruct model's EOS.
LLAMA3_CHAT_TEMPLATE = (
    "{{ bos_token }}{% if messages[0]['role'] != 'system' %}"
    "{{ '<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023<|eot_id|>' }}"
    "{% endif %}{% for message in messages %}"
    "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)
LLAMA3_SPECIAL = [
    "<|begin_of_text|>",
    "<|end_of_text|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eot_id|>",
]
# OLMo 2 SFT/Instruct (Tulu) template: <|user|> / <|assistant|> turns after a leading <|endoftext|>.
OLMO2_CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\n' + message['content'] + '\n' }}"
    "{% if loop.last and add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}{% endfor %}"
)
OLMO2_SPECIAL = ["<|endoftext|>", "<|pad|>", "<|user|>", "<|assistant|>", "<|system|>"]
# style -> (special tokens, chat template or None, eos, pad, bos, tokenizer adds BOS itself)
STYLES = {
    "qwen": (SPECIAL, QWEN_CHAT_TEMPLATE, "<|im_end|>", "<|endoftext|>", None, False),
    "llama3": (LLAMA3_SPECIAL, LLAMA3_CHAT_TEMPLATE, "<|eot_id|>", None, "<|begin_of_text|>", True),
    "olmo2": (OLMO2_SPECIAL, OLMO2_CHAT_TEMPLATE, "<|endoftext|>", "<|pad|>", "<|endoftext|>", False),
    "olmo2-base": (OLMO2_SPECIAL, None, "<|endoftext|>", "<|pad|>", "<|endoftext|>", False),  # no template
}


def build_tiny_tokenizer(vocab_size: int = 400, style: str = "qwen"):
    """A byte-level BPE tokenizer trained on MATH-500 text, with the special tokens, chat template (or none,
    for a base model) and BOS/EOS/pad choices of a model family in the paper (`style`: see STYLES)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    special, template, eos, pad, bos, adds_bos = STYLES[style]

    lines = (shipped_dir() / "math500.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["problem"] for line in lines]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=special, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(texts, trainer=trainer)
    if adds_bos:
        tok.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A", pair=f"{bos} $A {bos} $B", special_tokens=[(bos, tok.token_to_id(bos))]
        )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token=eos, pad_token=pad, bos_token=bos, chat_template=template
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
    style: str = "qwen",
    max_positions: int = 1024,
) -> Path:
    """Save a randomly initialised causal LM of the given family plus tokenizer to `path` (~100k
    parameters by default; benchmarks ask for bigger ones so compute, not Python, dominates). `style`
    picks the tokenizer's chat template and special tokens (tests/tiny.py STYLES)."""
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig, Olmo2Config, Qwen2Config

    tokenizer = build_tiny_tokenizer(style=style)
    common = dict(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=mlp_ratio * hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads // 2,
        max_position_embeddings=max_positions,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
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


def teach_continuation(path: Path, prompts: list[str], continuation: str, steps: int = 100) -> Path:
    """Overfit the tiny model at `path` to answer every prompt with `continuation` (a few seconds of Adam on
    CPU), so tests can rely on what it generates; saved in place."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    rows = [
        (tokenizer(p)["input_ids"], tokenizer(continuation, add_special_tokens=False)["input_ids"])
        for p in prompts
    ]
    width = max(len(a) + len(b) for a, b in rows)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    ids = torch.tensor([a + b + [pad] * (width - len(a) - len(b)) for a, b in rows])
    labels = torch.tensor([[-100] * len(a) + b + [-100] * (width - len(a) - len(b)) for a, b in rows])
    mask = torch.tensor([[1] * (len(a) + len(b)) + [0] * (width - len(a) - len(b)) for a, b in rows])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(steps):
        model(input_ids=ids, attention_mask=mask, labels=labels).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.save_pretrained(path)
    return path
