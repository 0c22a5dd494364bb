"""A pure-torch reference of the paper's GRPO objective, used as the test oracle for TRL's trainer.

Everything here is written from the paper's description, not from TRL's code:
- group advantage: A_i = (r_i - mean_group) / (std_group + eps), unbiased std; eps = 1e-4 as in TRL
  (OpenRLHF uses 1e-9; the difference only matters for near-constant groups). `scale=False` skips the
  division (advantage std off).
- optional second whitening (the paper's OpenRLHF code): over all response tokens of the rollout,
  A <- (A - mean_tok) / sqrt(max(var_tok, 1e-8)), with token-weighted mean and population variance.
  All-equal groups then get a small non-zero advantage. TRL does not do this.
- per-token ratio rho = exp(logp - logp_old); clipped surrogate -min(rho A, clip(rho, 1-eps_lo, 1+eps_hi) A);
  the no-clip variant is -rho A.
- clip counts: a token is "clipped low" when the clipped branch is the active one on the low side
  (rho < 1 - eps_lo and A < 0) and "clipped high" when rho > 1 + eps_hi and A > 0: exactly the tokens
  whose gradient the clip removes. Fractions are over all response tokens (token-weighted).
- optional KL term: kl_coef x the k3 estimator exp(ref - logp) - (ref - logp) - 1 per token (paper: 0).
- loss normalisation for one optimizer step on a mini-batch split into micro-batches of size m:
  "bnpo" token mean inside each micro-batch, then mean over micro-batches (the paper's code: packed
  micro-batches of 4); "grpo" per-sequence token mean, mean over sequences of a micro-batch, mean over
  micro-batches; "dapo" token sum over the mini-batch divided by the rollout's tokens per optimizer step
  (TRL divides by the average over the rollout, not by this mini-batch's own token count).
"""

from __future__ import annotations

import torch

ADVANTAGE_EPS = 1e-4
WHITEN_VAR_FLOOR = 1e-8


def group_advantages(
    rewards: torch.Tensor, group_size: int, *, scale: bool = True, eps: float = ADVANTAGE_EPS
) -> torch.Tensor:
    """rewards (N,) in group order (N = prompts x group_size) -> advantages (N,)."""
    if rewards.numel() % group_size:
        raise ValueError(f"{rewards.numel()} rewards do not split into groups of {group_size}")
    grouped = rewards.double().view(-1, group_size)
    centred = grouped - grouped.mean(dim=1, keepdim=True)
    if scale:
        centred = centred / (grouped.std(dim=1, unbiased=True, keepdim=True) + eps)
    return centred.view(-1).to(rewards.dtype)


def whiten_advantages(advantages: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Second whitening over all response tokens: every completion's advantage is repeated on its
    `lengths[i]` tokens, so the mean and (population) variance are token-weighted."""
    a, w = advantages.double(), lengths.double()
    mean = (a * w).sum() / w.sum()
    var = ((a - mean) ** 2 * w).sum() / w.sum()
    return ((a - mean) * var.clamp(min=WHITEN_VAR_FLOOR).rsqrt()).to(advantages.dtype)


def surrogate(
    logps: torch.Tensor,
    old_logps: torch.Tensor,
    advantages: torch.Tensor,
    *,
    eps_low: float = 0.2,
    eps_high: float = 0.2,
    clip: bool = True,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-token loss (B, T) and boolean masks (clipped_low, clipped_high) for logps (B, T), advantages (B,)."""
    ratio = torch.exp(logps - old_logps)
    adv = advantages.unsqueeze(1)
    unclipped = ratio * adv
    if not clip:
        zeros = torch.zeros_like(ratio, dtype=torch.bool)
        return -unclipped, zeros, zeros
    clipped = torch.clamp(ratio, 1 - eps_low, 1 + eps_high) * adv
    per_token = -torch.minimum(unclipped, clipped)
    return per_token, (ratio < 1 - eps_low) & (adv < 0), (ratio > 1 + eps_high) & (adv > 0)


def kl_penalty(
    logps: torch.Tensor, ref_logps: torch.Tensor, old_logps: torch.Tensor | None = None
) -> torch.Tensor:
    """Per-token k3 estimator of KL(policy || reference), added to the per-token loss times the KL
    coefficient (paper: coefficient 0, so no reference model). With `old_logps` it is multiplied by the
    ratio exp(logp - logp_old) (config kl_ratio_correction, TRL's use_bias_correction_kl)."""
    delta = ref_logps - logps
    kl = torch.exp(delta) - delta - 1
    return kl if old_logps is None else kl * torch.exp(logps - old_logps)


def normalise(
    per_token: torch.Tensor,
    mask: torch.Tensor,
    normalisation: str,
    *,
    micro_batch_size: int,
    tokens_per_update: float | None = None,
) -> torch.Tensor:
    """Loss of one optimizer step: per_token and mask (B, T) cover the whole mini-batch, in micro-batch order."""
    mask = mask.to(per_token.dtype)
    if normalisation == "dapo":
        if tokens_per_update is None:
            raise ValueError(
                "dapo needs tokens_per_update (the rollout's response tokens / updates per rollout)"
            )
        return (per_token * mask).sum() / tokens_per_update
    losses = []
    for start in range(0, per_token.size(0), micro_batch_size):
        p, m = per_token[start : start + micro_batch_size], mask[start : start + micro_batch_size]
        if normalisation == "bnpo":
            losses.append((p * m).sum() / m.sum().clamp(min=1.0))
        elif normalisation == "grpo":
            losses.append(((p * m).sum(-1) / m.sum(-1).clamp(min=1.0)).mean())
        else:
            raise ValueError(f"unknown loss normalisation {normalisation!r}: use bnpo, grpo or dapo")
    return torch.stack(losses).mean()


def clip_fractions(
    clipped_low: torch.Tensor, clipped_high: torch.Tensor, mask: torch.Tensor
) -> tuple[float, float]:
    """Token-weighted fractions of response tokens clipped on each side."""
    m = mask.bool()
    total = max(int(m.sum()), 1)
    return int((clipped_low & m).sum()) / total, int((clipped_high & m).sum()) / total


def token_logprobs(
    model: torch.nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor, n_completion: int
) -> torch.Tensor:
    """Log-probabilities of the last `n_completion` tokens of each row (plain forward + log_softmax)."""
    logits = model(input_ids=input_ids, attention_mask=attention_mask).logits[:, :-1].float()
    targets = input_ids[:, 1:]
    logps = torch.log_softmax(logits, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return logps[:, -n_completion:]
