"""vLLM backend with the same interface as `HFGenerator` (optional extra: `pip install rlvrlab[vllm]`).

UNTESTED IN THIS REPOSITORY'S CI: vLLM needs a CUDA GPU, and the machines the project is developed and
tested on have none. The adapter is deliberately thin (one `LLM.generate` call per batch, outputs mapped
to `Sample`) so there is little to get wrong; please report problems with a failing command line.

Differences from the transformers backend: vLLM seeds each request (`SamplingParams.seed`), so sampled
completions do not depend on batch composition; stop strings are excluded from the text
(`include_stop_str_in_output=False`, as in the paper's runs).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from rlvrlab.generate.types import GenerationParams, Generator, Sample

logger = logging.getLogger(__name__)


class VLLMGenerator(Generator):
    """Generate one completion per prompt string with a vLLM engine (loaded from `model_path`)."""

    def __init__(
        self, model_path: str, batch_size: int = 256, dtype: str = "auto", **engine_kwargs: Any
    ) -> None:
        try:
            from vllm import LLM
        except ImportError:
            raise ValueError(
                "backend 'vllm' needs vLLM (GPU only): pip install vllm (the package's 'vllm' extra), "
                "or use --backend hf"
            ) from None
        self.llm = LLM(model=model_path, dtype=dtype, **engine_kwargs)
        self.tokenizer = self.llm.get_tokenizer()
        self.batch_size = batch_size

    def generate_batches(
        self, prompts: list[str], params: GenerationParams, on_batch: Callable[[int], None] | None = None
    ) -> Iterator[tuple[list[int], list[Sample]]]:
        """Yield (input indices, samples) per batch of `batch_size` prompts, in input order."""
        from vllm import SamplingParams

        for start in range(0, len(prompts), self.batch_size):
            indices = list(range(start, min(start + self.batch_size, len(prompts))))
            sampling = [
                SamplingParams(
                    temperature=params.temperature,
                    top_p=params.top_p,
                    max_tokens=params.max_new_tokens,
                    stop=list(params.stop) or None,
                    seed=params.seed + i,
                    include_stop_str_in_output=False,
                )
                for i in indices
            ]
            outputs = self.llm.generate([prompts[i] for i in indices], sampling, use_tqdm=False)
            samples = [_to_sample(o.outputs[0]) for o in outputs]
            if on_batch is not None:
                on_batch(len(indices))
            yield indices, samples


def _to_sample(completion: Any) -> Sample:
    finish = "length" if completion.finish_reason == "length" else "stop"
    return Sample(text=completion.text, n_tokens=len(completion.token_ids), finish_reason=finish)
