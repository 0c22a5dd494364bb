"""A character-level tokenizer for the sim models, saved so `AutoTokenizer.from_pretrained` returns it exactly.

Why the care: in transformers 5, AutoTokenizer on a folder whose config.json says `qwen2` always builds
`Qwen2Tokenizer` (qwen2 is on its list of model types whose declared tokenizer_class is ignored). That class
rebuilds a byte-level BPE from the saved vocab and merges, so a plain character vocabulary loses its spaces
(a space is "Ġ" in byte-level form). We therefore store the characters in byte-level form and use the
ByteLevel pre-tokenizer and decoder ourselves: the folder then loads to the same ids whichever class
AutoTokenizer picks (Qwen2Tokenizer for sim-qwen*, the generic fast tokenizer for sim-llama).
Tests check `decode(encode(x)) == x` after a save/load round trip through AutoTokenizer.

The chat template is deliberately short (the model is tiny): "Q: <problem>\\nA: ". System turns are not
rendered: the sim models never saw a system prompt in pretraining, and a long unseen prefix would only
measure their confusion, not their reasoning.
"""

from __future__ import annotations

import string
from pathlib import Path

PAD, EOS = "<|pad|>", "<|endoftext|>"

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}Q: {{ message['content'] }}\n"
    "{% elif message['role'] == 'assistant' %}A: {{ message['content'] }}" + EOS + "\n"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}A: {% endif %}"
)
"""User turn -> "Q: ...\\n"; generation prompt "A: ". System turns are skipped (see module docstring)."""

CHARACTERS: str = string.printable.replace("\r", "").replace("\x0b", "").replace("\x0c", "").replace("\t", "")
"""The vocabulary: printable ASCII, space and newline (tab and the rarer whitespace are left out)."""


def byte_level_symbol(ch: str) -> str:
    """GPT-2's bytes_to_unicode for ASCII: printable characters are themselves, bytes 0-32 are chr(256+b)."""
    code = ord(ch)
    if code > 126:
        raise ValueError(f"the sim tokenizer is ASCII only, got {ch!r}")
    return ch if 33 <= code <= 126 else chr(256 + code)


def build_tokenizer():  # -> PreTrainedTokenizerFast
    """A fresh character tokenizer: ids 0 and 1 are pad and EOS, then one id per character."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {PAD: 0, EOS: 1}
    for ch in CHARACTERS:
        vocab.setdefault(byte_level_symbol(ch), len(vocab))
    # BPE without merges splits text into single characters, as Qwen2Tokenizer rebuilds it from the vocab
    core = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token=None, fuse_unk=False))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    core.decoder = decoders.ByteLevel()
    core.add_special_tokens([PAD, EOS])
    tok = PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token=PAD,
        eos_token=EOS,
        clean_up_tokenization_spaces=False,
        model_max_length=512,
    )
    tok.chat_template = CHAT_TEMPLATE
    return tok


def save_tokenizer(tokenizer, folder: str | Path) -> None:
    """Save with the class named explicitly so AutoTokenizer never substitutes the model type's class."""
    tokenizer.save_pretrained(str(folder))
    config_path = Path(folder) / "tokenizer_config.json"
    import json

    config = json.loads(config_path.read_text())
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    config["clean_up_tokenization_spaces"] = False
    config_path.write_text(json.dumps(config, indent=2) + "\n")


def render_prompt(tokenizer, problem: str) -> str:
    """The prompt every stage of the project builds for a sim model (the chat template, user turn only)."""
    return tokenizer.apply_chat_template(
        [{"role": "user", "content": problem}], tokenize=False, add_generation_prompt=True
    )
