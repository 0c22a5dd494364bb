"""Completion backends with one interface: transformers (`hf`, CPU or one GPU) and vLLM (`vllm`, GPU).

A generator has `.tokenizer`, `.batch_size`, `.generate(prompts, params) -> list[Sample]` and
`.generate_batches(prompts, params)` yielding (input indices, samples) per batch.
"""

from __future__ import annotations

from typing import Any, Literal

from rlvrlab.generate.hf import HFGenerator, load_model_and_tokenizer
from rlvrlab.generate.types import GenerationParams, Sample

__all__ = ["GenerationParams", "HFGenerator", "Sample", "load_model_and_tokenizer", "make_generator"]


def make_generator(
    backend: Literal["hf", "vllm"],
    model_path: str,
    *,
    batch_size: int = 16,
    device: str | None = None,
    dtype: str = "auto",
) -> Any:
    """Build a generator for `model_path` (shipped sim name, local folder or hub id: `resolve_model`).
    vLLM is imported only when asked for (an optional GPU-only extra, untested on these CPU machines)."""
    from rlvrlab.models import resolve_model

    if backend in ("hf", "vllm"):
        model_path = resolve_model(model_path)
    if backend == "hf":
        model, tokenizer = load_model_and_tokenizer(model_path, device=device, dtype=dtype)
        return HFGenerator(model, tokenizer, batch_size=batch_size)
    if backend == "vllm":
        from rlvrlab.generate.vllm import VLLMGenerator

        return VLLMGenerator(model_path, batch_size=batch_size, dtype=dtype)
    raise ValueError(f"unknown backend {backend!r}: use 'hf' (transformers) or 'vllm' (GPU, rlvrlab[vllm])")
