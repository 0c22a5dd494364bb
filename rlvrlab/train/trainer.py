"""The one training engine: TRL's GRPOTrainer (pinned trl==1.16.0) plus what the paper needs.

`RLVRTrainer` adds, without touching TRL's loss code:
- optional second advantage whitening (the paper's OpenRLHF code; `second_whitening=True`), applied to the
  advantages TRL computed, over all response tokens of the rollout across processes;
- token-weighted clip statistics per rollout: `clip/low_fraction` (ratio < 1 - eps and A < 0) and
  `clip/high_fraction` (ratio > 1 + eps and A > 0), i.e. the tokens whose gradient the clip removes, summed
  over every micro-batch of the rollout and divided by all their response tokens. TRL's own
  `clip_ratio/low_mean` uses the same per-token test but averages per-micro-batch fractions (not
  token-weighted); it is kept under `trl/clip_ratio/*` for reference. `clip/ratio_outside_fraction` counts
  tokens with the ratio outside [1 - eps, 1 + eps] regardless of the advantage sign (meaningful with clip off);
- `policy/mean_token_prob`: mean probability the sampling policy gave the tokens it sampled, over every
  response token of the rollout (from TRL's old logps when updates_per_rollout > 1, else from the update
  forward pass, which then is the sampling policy); `policy/entropy`: token-weighted mean entropy from the
  update forward passes (the policy as it moves through the rollout's mini-batches);
- the same split by position and mode: `clip/first_token/*` (the first completion token, where the
  organism, and often a real model, picks its reasoning mode) vs `clip/other_tokens/*`,
  `policy/first_token/mean_abs_log_ratio` (how far the mode decision moved within the rollout),
  `policy/first_token/mean_prob`, and `policy/{code,prose}/{mean_token_prob,entropy}` per completion mode;
- stop strings (the r1 prompt's "</answer>") in training rollouts: `stop_strings` ends generation there with
  the transformers backend too (TRL 1.16 honours them only through vLLM's SamplingParams, which
  `rlvrlab.train.run` sets), and each completion is cut right after its first stop string, so the tokens
  `generate` pads a finished row with are never trained on. `completion/truncated_fraction` counts such a
  completion as finished, not truncated;
- per-completion records (id, sample_index, completion, rewards, final advantage, uses_code, correct) for completions.jsonl
  and `train/accuracy` (grading.grade against the `answer` column, whatever the training reward) and
  `train/code_rate`; `time/reward_s` and `time/grading_s` per rollout.

Clip off is TRL's loss with epsilon = inf (clamp(r, -inf, inf) = r, so -min(rA, rA) = -rA exactly); no
loss override is needed. The oracle in `objective.py` checks both.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from typing import Any

import torch
from accelerate.utils import gather_object
from transformers import StoppingCriteriaList
from trl import GRPOTrainer

from rlvrlab.generate.hf import StopOnText
from rlvrlab.metrics import uses_code

logger = logging.getLogger(__name__)

_SUM_KEYS = (
    "tokens",
    "clip_low",
    "clip_high",
    "ratio_outside",
    "prob",
    "entropy",
    "samples",
    "code",
    "graded",
    "correct",
    "first_tokens",
    "first_clip_low",
    "first_clip_high",
    "first_abs_log_ratio",
    "first_prob",
    "code_tokens",
    "code_prob",
    "code_entropy",
    "prose_tokens",
    "prose_prob",
    "prose_entropy",
)


def _grade_fn(grading_mode: str, extract_mode: str) -> Any:
    """grading.grade bound to the modes, or None if the grading module is unavailable."""
    try:
        from rlvrlab.grading import grade
    except ImportError:
        logger.warning("rlvrlab.grading.grade is not available: train/accuracy will not be logged")
        return None
    return lambda response, gold: grade(response, gold, mode=grading_mode, extract_mode=extract_mode)


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else math.nan


def with_sample_index(
    inputs: list[dict[str, Any]], process_index: int, group_size: int
) -> list[dict[str, Any]]:
    """Copies of the local rows with `sample_index`, the completion's index within its prompt's group,
    taken from its place in the global rollout (so it is the same whatever the process layout).

    What TRL 1.16 guarantees: RepeatSampler yields each prompt `num_generations` times in a row and whole
    groups per generation batch; accelerate hands process p the p-th consecutive slice of that batch, all
    slices of equal length; TRL itself relies on this (it gathers rewards, views them as
    (-1, num_generations) and takes back `process_index * len(prompts)` onward). So local row i is global
    row p * len(inputs) + i, and its index in the group is that modulo num_generations, also when a group
    spans two processes (a per-process counter would restart at 0 there and repeat random draws)."""
    offset = process_index * len(inputs)
    return [{**row, "sample_index": (offset + i) % group_size} for i, row in enumerate(inputs)]


class RLVRTrainer(GRPOTrainer):
    """GRPOTrainer with the paper's second whitening option and the logging the science needs."""

    def __init__(
        self,
        *args: Any,
        second_whitening: bool = False,
        ratio_epsilon: float = 0.2,
        grading_mode: str = "paper",
        extract_mode: str = "paper",
        log_completions_every: int = 1,
        stop_strings: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.stop_strings = tuple(stop_strings)
        self._stopped: list[bool] = []
        self.second_whitening = second_whitening
        self.ratio_epsilon = ratio_epsilon
        self.log_completions_every = log_completions_every
        self._grade = _grade_fn(grading_mode, extract_mode)
        self._sums: dict[str, float] = defaultdict(float)
        self._times: dict[str, float] = defaultdict(float)
        self._captured: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None
        self._last_rewards: tuple[list[dict], list[Any], torch.Tensor] | None = None
        self.pending_records: list[dict[str, Any]] = []
        self.extra_metrics: dict[str, float] = {}

    @property
    def updates_per_rollout(self) -> int:
        return self.args.steps_per_generation // self.args.gradient_accumulation_steps

    @property
    def rollout_index(self) -> int:
        """1-based index of the rollout being trained (the paper's step)."""
        return self.state.global_step // self.updates_per_rollout + 1

    # ---- generation: stop strings -------------------------------------------------------------
    def _generate_single_turn(
        self, prompt_ids, images, multimodal_fields, num_generations, has_tool_images=False
    ):
        if not self.stop_strings:
            return super()._generate_single_turn(
                prompt_ids, images, multimodal_fields, num_generations, has_tool_images
            )
        model = self.accelerator.unwrap_model(self.model)  # the object TRL calls .generate on
        generate = model.generate

        def generate_with_stops(*args: Any, **kwargs: Any) -> Any:
            prompt_len = kwargs["input_ids"].shape[1]
            stop = StopOnText(self.processing_class, self.stop_strings, prompt_len)
            kwargs["stopping_criteria"] = StoppingCriteriaList([stop])
            return generate(*args, **kwargs)

        if not self.use_vllm:  # vLLM stops by itself (generation_kwargs["stop"])
            model.generate = generate_with_stops
        try:
            completion_ids, logprobs = super()._generate_single_turn(
                prompt_ids, images, multimodal_fields, num_generations, has_tool_images
            )
        finally:
            model.__dict__.pop("generate", None)
        cuts = [self._stop_cut(ids) for ids in completion_ids]
        self._stopped = [cut is not None for cut in cuts]
        completion_ids = [
            ids if cut is None else ids[:cut] for ids, cut in zip(completion_ids, cuts, strict=True)
        ]
        if logprobs is not None:
            logprobs = [lp if cut is None else lp[:cut] for lp, cut in zip(logprobs, cuts, strict=True)]
        return completion_ids, logprobs

    def _stop_cut(self, ids: list[int]) -> int | None:
        """Length of the shortest prefix of `ids` whose text contains a stop string (None: no stop string).
        A prefix's text only grows with its length, so a binary search needs ~log2(len) decodes."""
        decode = self.processing_class.decode
        if not any(stop in decode(ids, skip_special_tokens=True) for stop in self.stop_strings):
            return None
        low, high = 1, len(ids)
        while low < high:
            mid = (low + high) // 2
            if any(stop in decode(ids[:mid], skip_special_tokens=True) for stop in self.stop_strings):
                high = mid
            else:
                low = mid + 1
        return low

    def _generate(self, prompts: list):
        output = super()._generate(prompts)
        if self.stop_strings and self._stopped:  # TRL counts a completion not ending in EOS as truncated
            completion_ids = output[1]
            ends = {*self.eos_token_ids, self.processing_class.pad_token_id}
            truncated = [
                not stopped and (not ids or ids[-1] not in ends)
                for ids, stopped in zip(completion_ids, self._stopped, strict=True)
            ]
            device = self.accelerator.device
            share = self.accelerator.gather(torch.tensor(truncated, device=device)).float().mean().item()
            self._metrics["train" if self.model.training else "eval"]["completions/clipped_ratio"][-1] = share
        return output

    # ---- rewards and advantages -------------------------------------------------------------
    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        start = time.perf_counter()
        group = self.num_generations if self.model.training else self.num_generations_eval
        inputs = with_sample_index(inputs, self.accelerator.process_index, group)
        rewards = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        self._times["reward"] += time.perf_counter() - start
        self._last_rewards = (inputs, completions, rewards)
        return rewards

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        if not self.model.training:
            return output
        if self.second_whitening:
            output["advantages"] = self._whiten(output["advantages"], output["completion_mask"])
        self._record_rollout(output["advantages"], output["completion_mask"].sum(dim=1).tolist())
        return output

    def _whiten(self, advantages: torch.Tensor, completion_mask: torch.Tensor) -> torch.Tensor:
        """objective.whiten_advantages, with the token-weighted sums reduced across processes."""
        lengths = completion_mask.sum(dim=1).to(torch.float64)
        adv = advantages.to(torch.float64)
        totals = self.accelerator.reduce(torch.stack([(adv * lengths).sum(), lengths.sum()]), reduction="sum")
        mean = totals[0] / totals[1]
        var = self.accelerator.reduce(((adv - mean) ** 2 * lengths).sum(), reduction="sum") / totals[1]
        return ((adv - mean) * var.clamp(min=1e-8).rsqrt()).to(advantages.dtype)

    def _record_rollout(self, advantages: torch.Tensor, lengths: list[int]) -> None:
        """Per-completion code use and correctness (local), and the completions.jsonl rows (gathered)."""
        assert self._last_rewards is not None, (
            "_calculate_rewards runs inside _generate_and_score_completions"
        )
        inputs, completions, rewards = self._last_rewards
        texts = [c if isinstance(c, str) else c[-1]["content"] for c in completions]
        codes = [uses_code(t) for t in texts]
        start = time.perf_counter()
        correct: list[bool | None] = [None] * len(texts)
        if self._grade is not None:
            correct = [
                bool(self._grade(t, x["answer"]).correct) if x.get("answer") else None
                for t, x in zip(texts, inputs, strict=True)
            ]
        self._times["grading"] += time.perf_counter() - start
        self._sums["samples"] += len(texts)
        self._sums["code"] += sum(codes)
        self._sums["graded"] += sum(c is not None for c in correct)
        self._sums["correct"] += sum(bool(c) for c in correct)
        every = self.log_completions_every
        if every and (self.rollout_index - 1) % every == 0:
            self._gather_records(inputs, texts, lengths, rewards, advantages, codes, correct)

    def _gather_records(self, inputs, texts, lengths, rewards, advantages, codes, correct) -> None:
        n = len(texts)
        local = rewards[
            self.accelerator.process_index * n : (self.accelerator.process_index + 1) * n
        ].tolist()
        rows = []
        for i, x in enumerate(inputs):
            rows.append(
                {
                    "step": self.rollout_index,
                    "id": x.get("id"),
                    "sample_index": x.get("sample_index"),
                    "completion": texts[i],
                    "length": int(lengths[i]),
                    "rewards": dict(zip(self.reward_func_names, local[i], strict=True)),
                    "advantage": float(advantages[i]),
                    "uses_code": codes[i],
                    "correct": correct[i],
                }
            )
        rows = gather_object(rows)
        if self.accelerator.is_main_process:
            self.pending_records.extend(rows)

    # ---- loss-side statistics -----------------------------------------------------------------
    def _get_per_token_logps_and_entropies(
        self, model, input_ids, attention_mask, logits_to_keep, *args, **kwargs
    ):
        logps, entropies, aux = super()._get_per_token_logps_and_entropies(
            model, input_ids, attention_mask, logits_to_keep, *args, **kwargs
        )
        if torch.is_grad_enabled() and entropies is not None:  # the update forward pass inside _compute_loss
            self._captured = (logps.detach(), entropies.detach(), attention_mask[:, -logits_to_keep:])
        return logps, entropies, aux

    def _compute_loss(self, model, inputs):
        self._captured = None
        loss = super()._compute_loss(model, inputs)
        if self.model.training and self._captured is not None:
            self._accumulate_loss_stats(inputs)
        return loss

    @torch.no_grad()
    def _accumulate_loss_stats(self, inputs: dict[str, Any]) -> None:
        logps, entropies, mask = self._captured
        mask = mask.bool() & inputs["completion_mask"].bool()
        old = inputs.get("old_per_token_logps")
        ratio = torch.ones_like(logps) if old is None else torch.exp(logps - old)
        adv = inputs["advantages"].unsqueeze(1) if inputs["advantages"].dim() == 1 else inputs["advantages"]
        low = (ratio < 1 - self.epsilon_low) & (adv < 0)
        high = (ratio > 1 + self.epsilon_high) & (adv > 0)
        outside = (ratio < 1 - self.ratio_epsilon) | (ratio > 1 + self.ratio_epsilon)
        self._sums["tokens"] += float(mask.sum())
        self._sums["clip_low"] += float((low & mask).sum())
        self._sums["clip_high"] += float((high & mask).sum())
        self._sums["ratio_outside"] += float((outside & mask).sum())
        sampling = (
            logps if old is None else old
        )  # old = the sampling policy's logps (updates_per_rollout > 1)
        self._sums["prob"] += float((torch.exp(sampling) * mask).sum())
        self._sums["entropy"] += float((entropies * mask).sum())
        self._accumulate_position_and_mode_stats(inputs, mask, ratio, low, high, sampling, entropies)

    def _accumulate_position_and_mode_stats(
        self, inputs, mask, ratio, low, high, sampling, entropies
    ) -> None:
        """The first completion token (where a reasoning mode is usually chosen: the organism decides
        code vs prose there) apart from the rest, and token probability / entropy per mode (code or not),
        so clipping at the mode decision can be told apart from clipping on the skill tokens."""
        first = mask[:, 0]
        self._sums["first_tokens"] += float(first.sum())
        self._sums["first_clip_low"] += float((low[:, 0] & first).sum())
        self._sums["first_clip_high"] += float((high[:, 0] & first).sum())
        self._sums["first_abs_log_ratio"] += float((torch.log(ratio[:, 0]).abs() * first).sum())
        self._sums["first_prob"] += float((torch.exp(sampling[:, 0]) * first).sum())
        texts = self.processing_class.batch_decode(inputs["completion_ids"], skip_special_tokens=True)
        is_code = torch.tensor([uses_code(t) for t in texts], device=mask.device).unsqueeze(1)
        for name, rows in (("code", mask & is_code), ("prose", mask & ~is_code)):
            self._sums[f"{name}_tokens"] += float(rows.sum())
            self._sums[f"{name}_prob"] += float((torch.exp(sampling) * rows).sum())
            self._sums[f"{name}_entropy"] += float((entropies * rows).sum())

    # ---- logging --------------------------------------------------------------------------------
    def rollout_metrics(self) -> dict[str, float]:
        """The rollout's token-weighted statistics, summed across processes; resets the accumulators."""
        device = self.accelerator.device
        local = torch.tensor([self._sums[k] for k in _SUM_KEYS], dtype=torch.float64, device=device)
        s = dict(zip(_SUM_KEYS, self.accelerator.reduce(local, reduction="sum").tolist(), strict=True))
        times = torch.tensor(
            [self._times["reward"], self._times["grading"]], dtype=torch.float64, device=device
        )
        reward_s, grading_s = self.accelerator.reduce(times, reduction="mean").tolist()
        self._sums.clear()
        self._times.clear()
        tokens = max(s["tokens"], 1.0)
        out = {
            "clip/low_fraction": s["clip_low"] / tokens,
            "clip/high_fraction": s["clip_high"] / tokens,
            "clip/ratio_outside_fraction": s["ratio_outside"] / tokens,
            "policy/mean_token_prob": s["prob"] / tokens,
            "policy/entropy": s["entropy"] / tokens,
            "clip/first_token/low_fraction": s["first_clip_low"] / max(s["first_tokens"], 1.0),
            "clip/first_token/high_fraction": s["first_clip_high"] / max(s["first_tokens"], 1.0),
            "clip/other_tokens/low_fraction": _share(
                s["clip_low"] - s["first_clip_low"], tokens - s["first_tokens"]
            ),
            "clip/other_tokens/high_fraction": _share(
                s["clip_high"] - s["first_clip_high"], tokens - s["first_tokens"]
            ),
            "policy/first_token/mean_abs_log_ratio": s["first_abs_log_ratio"] / max(s["first_tokens"], 1.0),
            "policy/first_token/mean_prob": s["first_prob"] / max(s["first_tokens"], 1.0),
            "policy/code/mean_token_prob": _share(s["code_prob"], s["code_tokens"]),
            "policy/code/entropy": _share(s["code_entropy"], s["code_tokens"]),
            "policy/prose/mean_token_prob": _share(s["prose_prob"], s["prose_tokens"]),
            "policy/prose/entropy": _share(s["prose_entropy"], s["prose_tokens"]),
            "train/code_rate": s["code"] / max(s["samples"], 1.0),
            "train/accuracy": s["correct"] / s["graded"] if s["graded"] else math.nan,
            "time/reward_s": reward_s,
            "time/grading_s": grading_s,
        }
        return out

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if self.model.training and "loss" in logs:
            logs.update(self.rollout_metrics())
            logs.update(self.extra_metrics)
            self.extra_metrics = {}
        super().log(logs, start_time)
