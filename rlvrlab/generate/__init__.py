"""Completion backends with one interface: transformers (`hf`, CPU or one GPU) and vLLM (`vllm`, GPU)."""

from rlvrlab.generate.hf import HFGenerator, load_model_and_tokenizer
from rlvrlab.generate.types import GenerationParams, Sample

__all__ = ["GenerationParams", "HFGenerator", "Sample", "load_model_and_tokenizer"]
