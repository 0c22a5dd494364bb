"""Pretrain a sim model family on CPU: a tiny causal LM reads its corpus mix (problem -> solution).

A plain torch loop: AdamW, linear warm-up then cosine decay, loss on the solution tokens only (the prompt
is the chat template around the problem, exactly as every other stage renders it). Seeded: the same
family, steps and seed give the same weights on the same machine.
"""

from __future__ import annotations

import json
import logging
import math
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import torch

from rlvrlab.sim.tokenizer import build_tokenizer, render_prompt, save_tokenizer
from rlvrlab.sim.world import CorpusMix, WorldConfig, build_corpus, make_splits

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelShape:
    """Transformer size. The default (~0.42M parameters, ~1.7 MB in float32) pretrains in ~15 minutes on
    one shared CPU core."""

    hidden_size: int = 96
    intermediate_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    max_position_embeddings: int = 320


@dataclass(frozen=True)
class Family:
    """A model family: architecture + corpus mix + pretraining length. Families differ only in these."""

    name: str
    architecture: Literal["qwen2", "llama"]
    mix: CorpusMix
    steps: int = 1000
    """optimizer steps of pretraining"""
    shape: ModelShape = field(default_factory=ModelShape)
    description: str = ""


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "sim-qwen-math",
            "qwen2",
            CorpusMix(code_fraction=(0.95, 0.7, 0.3)),
            description="Qwen2.5-Math-like: writes code on ~65% of problems; code is far more accurate",
        ),
        Family(
            "sim-llama",
            "llama",
            CorpusMix(code_fraction=(0.02, 0.01, 0.0)),
            description="Llama-like: (almost) never writes code, reasons in prose",
        ),
    )
}


@dataclass(frozen=True)
class PretrainConfig:
    """Optimiser settings of `pretrain` (defaults are the shipped models')."""

    steps: int | None = None
    """None = the family's own number of steps"""
    batch_size: int = 32
    lr: float = 3e-3
    warmup_steps: int = 50
    weight_decay: float = 0.01
    seed: int = 0
    threads: int = 2
    """torch threads (the machine is shared: 2 at most)"""
    checkpoint_every: int = 0
    init_from: str | None = None
    """continue from a saved sim model folder instead of a random initialisation (longer pretraining)"""
    data_offset: int = 0
    """skip this many pool problems (a continuation reads problems the first run did not)"""
    """also save out_dir/step-N every N steps (0 = only the final model); for saturation studies"""


def build_model(family: Family, vocab_size: int, seed: int):
    """A randomly initialised Qwen2ForCausalLM or LlamaForCausalLM of the family's shape."""
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    common = dict(
        vocab_size=vocab_size,
        tie_word_embeddings=True,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=None,
        **asdict(family.shape),
    )
    if family.architecture == "qwen2":
        return Qwen2ForCausalLM(Qwen2Config(**common))
    return LlamaForCausalLM(LlamaConfig(**common))


def encode_documents(tokenizer, docs) -> list[tuple[list[int], int]]:
    """(token ids of prompt + solution + EOS, number of prompt tokens) per document."""
    out = []
    for doc in docs:
        prompt = tokenizer(render_prompt(tokenizer, doc.problem), add_special_tokens=False)["input_ids"]
        solution = tokenizer(doc.solution, add_special_tokens=False)["input_ids"]
        out.append((prompt + solution + [tokenizer.eos_token_id], len(prompt)))
    return out


def make_batch(items: list[tuple[list[int], int]], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-padded batch; labels are -100 on the prompt and on padding (loss on solution tokens only)."""
    width = max(len(ids) for ids, _ in items)
    input_ids = torch.full((len(items), width), pad_id)
    labels = torch.full((len(items), width), -100)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    for i, (ids, n_prompt) in enumerate(items):
        input_ids[i, : len(ids)] = torch.tensor(ids)
        labels[i, n_prompt : len(ids)] = torch.tensor(ids[n_prompt:])
        mask[i, : len(ids)] = 1
    return {"input_ids": input_ids, "labels": labels, "attention_mask": mask}


def lr_at(step: int, total: int, config: PretrainConfig) -> float:
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, total - config.warmup_steps)
    return config.lr * 0.5 * (1 + math.cos(math.pi * progress))


def pretrain(family_name: str, out_dir: str | Path, config: PretrainConfig | None = None) -> Path:
    """Pretrain a family from scratch and save model + tokenizer (+ provenance) to `out_dir`."""
    from tqdm.auto import tqdm

    if family_name not in FAMILIES:
        raise ValueError(f"unknown sim family {family_name!r}; choose one of {sorted(FAMILIES)}")
    family, config = FAMILIES[family_name], config or PretrainConfig()
    steps = config.steps or family.steps
    torch.set_num_threads(config.threads)
    random.seed(config.seed)
    tokenizer = build_tokenizer()
    pool = make_splits(WorldConfig())["pretrain"]
    problems = pool[config.data_offset : config.data_offset + steps * config.batch_size]
    docs = build_corpus(problems, family.mix, seed=config.seed)
    data = encode_documents(tokenizer, docs)
    if config.init_from:
        from transformers import AutoModelForCausalLM

        model = AutoModelForCausalLM.from_pretrained(config.init_from, dtype=torch.float32)
    else:
        model = build_model(family, len(tokenizer), config.seed)
    n_params = sum(p.numel() for p in model.parameters())
    logger.info(
        "pretraining %s: %d parameters, %d steps, %d documents", family.name, n_params, steps, len(data)
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    rng = random.Random(config.seed)
    model.train()
    bar = tqdm(range(steps), desc=f"pretrain {family.name}")
    for step in bar:
        batch = make_batch(rng.sample(data, config.batch_size), tokenizer.pad_token_id)
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, steps, config)
        loss = model(**batch).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % 10 == 0:
            bar.set_postfix(loss=f"{loss.item():.4f}")
        if config.checkpoint_every and (step + 1) % config.checkpoint_every == 0 and step + 1 < steps:
            save_family(model, tokenizer, family, config, step + 1, Path(out_dir) / f"step-{step + 1}")
            model.train()
    return save_family(model, tokenizer, family, config, steps, out_dir)


def save_family(model, tokenizer, family: Family, config: PretrainConfig, steps: int, out_dir) -> Path:
    """Save safetensors weights, the tokenizer and a `sim_family.json` saying how the model was made."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.eval()
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(str(out), safe_serialization=True)
    save_tokenizer(tokenizer, out)
    provenance = {"family": asdict(family), "pretrain": asdict(config) | {"steps": steps}}
    (out / "sim_family.json").write_text(json.dumps(provenance, indent=2) + "\n")
    logger.info("saved %s to %s", family.name, out)
    return out
