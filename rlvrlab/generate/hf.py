"""transformers backend: batched `model.generate` with left padding, KV cache and stop strings.

Prompts are sorted by length before batching so a batch pads little; results come back in input order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import torch
from transformers import StoppingCriteria, StoppingCriteriaList

from rlvrlab.generate.types import GenerationParams, Generator, Sample

logger = logging.getLogger(__name__)


def load_model_and_tokenizer(
    name_or_path: str, device: str | None = None, dtype: str = "auto"
) -> tuple[Any, Any]:
    """Load a causal LM + tokenizer from a local folder or hub id (the same path for both).

    dtype "auto": bfloat16 on CUDA, float32 on CPU (bf16 matmuls are slow on most CPUs)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if dtype == "auto":
        torch_dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    else:
        torch_dtype = getattr(torch, dtype)
    tokenizer = AutoTokenizer.from_pretrained(name_or_path)
    model = AutoModelForCausalLM.from_pretrained(name_or_path, dtype=torch_dtype).to(device)
    model.eval()
    return model, tokenizer


class StopOnText(StoppingCriteria):
    """Stop a row once its *generated* text contains a stop string.

    transformers' own `stop_strings` matches against the whole sequence, so a stop string spanning the
    end of the prompt and the first generated token ends generation at once (prompt "... 1 + 1." with stop
    ".." stops after one "."). vLLM, which the paper used, matches generated text only; so does this.
    Only the last few generated tokens are decoded each step (a stop string ending now lies in them)."""

    def __init__(self, tokenizer: Any, stops: tuple[str, ...], prompt_len: int) -> None:
        self.tokenizer, self.stops, self.prompt_len = tokenizer, stops, prompt_len
        self.window = max(len(s) for s in stops) + 2  # every token decodes to >= 1 character

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        tails = input_ids[:, max(self.prompt_len, input_ids.shape[1] - self.window) :].tolist()
        texts = self.tokenizer.batch_decode(tails, skip_special_tokens=True)
        done = [any(stop in text for stop in self.stops) for text in texts]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)


class HFGenerator(Generator):
    """Generate one completion per prompt string (repeat a prompt to get several samples)."""

    def __init__(self, model: Any, tokenizer: Any, batch_size: int = 16) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token

    def generate_batches(
        self, prompts: list[str], params: GenerationParams, on_batch: Callable[[int], None] | None = None
    ) -> Iterator[tuple[list[int], list[Sample]]]:
        """Yield (input indices, samples) batch by batch so callers can save results as they finish.

        Seeds torch's global RNG once with `params.seed`: samples are reproducible for the same prompts,
        batch size and device. Callers that resume (rlvrlab.evaluate) seed each planned batch instead."""
        torch.manual_seed(params.seed)
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        for start in range(0, len(order), self.batch_size):
            indices = order[start : start + self.batch_size]
            samples = self._generate_batch([prompts[i] for i in indices], params)
            if on_batch is not None:
                on_batch(len(indices))
            yield indices, samples

    @torch.inference_mode()
    def _generate_batch(self, prompts: list[str], params: GenerationParams) -> list[Sample]:
        tok = self.tokenizer
        side, tok.padding_side = tok.padding_side, "left"  # restored below: the trainer shares this tokenizer
        try:
            enc = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(
                self.model.device
            )
        finally:
            tok.padding_side = side
        kwargs: dict[str, Any] = {"max_new_tokens": params.max_new_tokens, "pad_token_id": tok.pad_token_id}
        if params.temperature > 0:
            kwargs.update(do_sample=True, temperature=params.temperature, top_p=params.top_p, top_k=0)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if params.stop:
            prompt_len = enc["input_ids"].shape[1]
            kwargs["stopping_criteria"] = StoppingCriteriaList([StopOnText(tok, params.stop, prompt_len)])
        generated = self.model.generate(**enc, **kwargs)[:, enc["input_ids"].shape[1] :]
        return [self._to_sample(row, params) for row in generated]

    def _to_sample(self, token_ids: torch.Tensor, params: GenerationParams) -> Sample:
        ids = token_ids.tolist()
        eos = self.model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos]) | {self.tokenizer.eos_token_id}
        eos_ids.discard(None)
        # a finished row is padded with pad tokens (pad may equal eos): those are not generated tokens
        end_ids = eos_ids | {self.tokenizer.pad_token_id}
        n_tokens, ended = len(ids), False
        for j, t in enumerate(ids):
            if t in end_ids:
                n_tokens, ended = j + (t in eos_ids), t in eos_ids
                break
        text = self.tokenizer.decode(ids[:n_tokens], skip_special_tokens=True)
        for stop in params.stop:
            cut = text.find(stop)
            if cut >= 0:
                text, ended = text[:cut], True
        # a row that hit neither EOS nor a stop string ran out of budget: truncated
        return Sample(text=text, n_tokens=n_tokens, finish_reason="stop" if ended else "length")
