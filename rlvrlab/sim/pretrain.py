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
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Literal

import torch

from rlvrlab.sim.tokenizer import build_tokenizer, render_prompt, save_tokenizer
from rlvrlab.sim.world import CorpusMix, WorldConfig, build_corpus, make_splits

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelShape:
    """Transformer size. The default (0.80M parameters, 3.2 MB in float32) pretrains 4,000 steps of batch
    32 in ~25-35 minutes on one CPU core."""

    hidden_size: int = 128
    intermediate_size: int = 384
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    max_position_embeddings: int = 256
    tie_word_embeddings: bool = False
    """untied: the output row of a mode's opening character is its own parameter (v3 ties nothing)"""


@dataclass(frozen=True)
class Phase:
    """One stage of pretraining: `steps` optimizer steps on a corpus mix, warm-up then cosine decay to 0."""

    steps: int
    mix: CorpusMix
    lr: float = 3e-3
    warmup_steps: int = 50
    weight_noise: float = 0.0
    """std of Gaussian noise added to every weight for each forward/backward pass (removed before the
    optimizer step): trains a solution whose skills survive small random parameter moves, like the
    zero-mean updates of RL with an uninformative reward (docs/sim-experiments.md, 2026-12-01)"""


@dataclass(frozen=True)
class Family:
    """A model family: architecture + pretraining phases (corpus mixes). Families differ only in these.

    Each phase reads fresh problems from the pool (the next slice) with a fresh AdamW."""

    name: str
    architecture: Literal["qwen2", "llama"]
    phases: tuple[Phase, ...]
    shape: ModelShape = field(default_factory=ModelShape)
    description: str = ""


def _mix(**styles: float) -> CorpusMix:
    return CorpusMix(styles=tuple(styles.items()))


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "sim-qwen-math",
            "qwen2",
            (Phase(4000, _mix(code=0.65, sloppy=0.35), lr=2e-3, warmup_steps=100, weight_noise=1e-3),),
            description="Qwen2.5-Math-like: writes code on ~65% of problems (~95% accurate); otherwise "
            "sloppy prose (~28% accurate)",
        ),
        Family(
            "sim-llama",
            "llama",
            (
                Phase(2000, _mix(steps=0.5, sloppy=0.5), lr=2e-3, warmup_steps=100, weight_noise=1e-3),
                Phase(2000, _mix(steps=0.2, sloppy=0.8), lr=1e-3, warmup_steps=50, weight_noise=1e-3),
            ),
            description="Llama-like: never writes code; mostly sloppy prose (~28% accurate), sometimes "
            "careful step-by-step prose (accurate, the minority style)",
        ),
    )
}


@dataclass(frozen=True)
class PretrainConfig:
    """Settings of `pretrain` shared by all phases (defaults are the shipped models')."""

    steps: int | None = None
    """None = the family's phases as defined; N = every phase scaled so they total N steps (quick runs)"""
    batch_size: int = 32
    weight_decay: float = 0.01
    seed: int = 0
    """phase i samples its corpus styles and batches with seed + i"""
    threads: int = 1
    """torch threads (the shipped models were made with 1; two families pretrain side by side on 2 cores)"""
    checkpoint_every: int = 0
    """also save out_dir/step-N every N steps (0 = only the final model); for saturation studies"""


def build_model(family: Family, vocab_size: int, seed: int):
    """A randomly initialised Qwen2ForCausalLM or LlamaForCausalLM of the family's shape."""
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    common = dict(
        vocab_size=vocab_size,
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


def lr_at(step: int, phase: Phase) -> float:
    if step < phase.warmup_steps:
        return phase.lr * (step + 1) / phase.warmup_steps
    progress = (step - phase.warmup_steps) / max(1, phase.steps - phase.warmup_steps)
    return phase.lr * 0.5 * (1 + math.cos(math.pi * progress))


def scaled_phases(family: Family, steps: int | None) -> list[Phase]:
    if steps is None:
        return list(family.phases)
    total = sum(p.steps for p in family.phases)
    return [replace(p, steps=max(1, round(p.steps * steps / total))) for p in family.phases]


def pretrain(family_name: str, out_dir: str | Path, config: PretrainConfig | None = None) -> Path:
    """Pretrain a family from scratch, phase by phase, and save model + tokenizer (+ provenance)."""
    if family_name not in FAMILIES:
        raise ValueError(f"unknown sim family {family_name!r}; choose one of {sorted(FAMILIES)}")
    family, config = FAMILIES[family_name], config or PretrainConfig()
    torch.set_num_threads(config.threads)
    tokenizer = build_tokenizer()
    model = build_model(family, len(tokenizer), config.seed)
    logger.info("pretraining %s: %d parameters", family.name, sum(p.numel() for p in model.parameters()))
    pool = make_splits(WorldConfig())["pretrain"]
    offset, done = 0, 0
    for index, phase in enumerate(scaled_phases(family, config.steps)):
        n_docs = phase.steps * config.batch_size
        if offset + n_docs > len(pool):
            raise ValueError(
                "pretraining reads more problems than the pool holds: raise WorldConfig.n_pretrain"
            )
        docs = build_corpus(pool[offset : offset + n_docs], phase.mix, seed=config.seed + index)
        data = encode_documents(tokenizer, docs)
        train_phase(model, tokenizer, data, phase, config, index, done, Path(out_dir), family)
        offset, done = offset + n_docs, done + phase.steps
    return save_family(model, tokenizer, family, config, done, out_dir)


def train_phase(
    model, tokenizer, data, phase: Phase, config: PretrainConfig, index: int, done: int, out_dir, family
):
    """One phase: fresh AdamW, batches sampled with seed + index, loss on solution tokens only."""
    from tqdm.auto import tqdm

    optimizer = torch.optim.AdamW(model.parameters(), lr=phase.lr, weight_decay=config.weight_decay)
    rng = random.Random(config.seed + index)
    model.train()
    bar = tqdm(range(phase.steps), desc=f"pretrain {family.name} phase {index + 1}")
    for step in bar:
        batch = make_batch(rng.sample(data, config.batch_size), tokenizer.pad_token_id)
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, phase)
        noise = _perturb(model, phase.weight_noise)
        loss = model(**batch).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        _restore(model, noise)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % 10 == 0:
            bar.set_postfix(loss=f"{loss.item():.4f}")
        if config.checkpoint_every and (done + step + 1) % config.checkpoint_every == 0:
            save_family(
                model, tokenizer, family, config, done + step + 1, out_dir / f"step-{done + step + 1}"
            )
            model.train()


@torch.no_grad()
def _perturb(model, std: float) -> list[torch.Tensor]:
    if std <= 0:
        return []
    noise = [torch.randn_like(p) * std for p in model.parameters()]
    for p, n in zip(model.parameters(), noise, strict=True):
        p.add_(n)
    return noise


@torch.no_grad()
def _restore(model, noise: list[torch.Tensor]) -> None:
    for p, n in zip(model.parameters(), noise, strict=False):
        p.sub_(n)


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
