"""The pure-torch objective (oracle) and TRL's GRPOTrainer agree: loss, gradients, clip fractions and
advantages, on a fixed batch and inside real training loops (clip on/off, 1 vs several updates)."""

from __future__ import annotations

import copy
import math

import pytest
import torch

from rlvrlab.train import objective
from rlvrlab.train.run import build_trainer
from rlvrlab.train.trainer import RLVRTrainer
from tests.test_train_support import random_reward, tiny_config

TOL = 1e-5


# ---- the oracle on hand-checked values ------------------------------------------------------------
def test_group_advantages_by_hand():
    rewards = torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0])
    adv = objective.group_advantages(rewards, 4)
    std = math.sqrt(0.75**2 + 3 * 0.25**2) / math.sqrt(3)  # unbiased
    assert adv[0].item() == pytest.approx(0.75 / (std + 1e-4))
    assert adv[1].item() == pytest.approx(-0.25 / (std + 1e-4))
    assert torch.all(adv[4:] == 0)  # all-equal group: zero advantage without whitening
    assert objective.group_advantages(rewards, 4, scale=False)[0].item() == pytest.approx(0.75)


def test_second_whitening_gives_all_equal_groups_a_nonzero_advantage():
    adv = objective.group_advantages(torch.tensor([1.0, 0.0, 1.0, 1.0]), 2)
    lengths = torch.tensor([3.0, 5.0, 2.0, 2.0])
    white = objective.whiten_advantages(adv, lengths)
    assert (white * lengths).sum().item() == pytest.approx(0.0, abs=1e-6)
    assert ((white**2) * lengths).sum().item() / lengths.sum().item() == pytest.approx(1.0)
    assert white[2].item() != 0 and white[2].item() == white[3].item()


def test_surrogate_clip_sides_and_no_clip():
    old = torch.zeros(1, 4)
    logps = torch.log(torch.tensor([[0.5, 1.5, 1.0, 0.9]]))
    # A < 0: ratio 0.5 is clipped low (loss uses 0.8); ratio 1.5 is not clipped (min picks 1.5 * A)
    loss, is_low, is_high = objective.surrogate(logps, old, torch.tensor([-1.0]))
    assert is_low.tolist() == [[True, False, False, False]] and not is_high.any()
    assert loss[0].tolist() == pytest.approx([0.8, 1.5, 1.0, 0.9])
    # A > 0: ratio 1.5 is clipped high (loss uses 1.2); ratio 0.5 is not
    loss, is_low, is_high = objective.surrogate(logps, old, torch.tensor([1.0]))
    assert is_high.tolist() == [[False, True, False, False]] and not is_low.any()
    assert loss[0].tolist() == pytest.approx([-0.5, -1.2, -1.0, -0.9])
    loss, is_low, is_high = objective.surrogate(logps, old, torch.tensor([1.0]), clip=False)
    assert torch.allclose(loss, -torch.exp(logps)) and not is_low.any() and not is_high.any()


def test_normalisations_differ_as_documented():
    per_token = torch.tensor([[1.0, 1.0, 0.0], [3.0, 0.0, 0.0]])
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    assert objective.normalise(per_token, mask, "bnpo", micro_batch_size=2).item() == pytest.approx(5 / 3)
    assert objective.normalise(per_token, mask, "bnpo", micro_batch_size=1).item() == pytest.approx(
        (1 + 3) / 2
    )
    assert objective.normalise(per_token, mask, "grpo", micro_batch_size=2).item() == pytest.approx(
        (1 + 3) / 2
    )
    assert (
        objective.normalise(per_token, mask, "dapo", micro_batch_size=2, tokens_per_update=10).item() == 0.5
    )


# ---- TRL's loss on a fixed batch ------------------------------------------------------------------
def _fixed_batch(trainer: RLVRTrainer, n: int = 8, seed: int = 0) -> dict[str, torch.Tensor]:
    """n completions (two groups of 4) of varied length with mixed-sign advantages, right-padded."""
    tok = trainer.processing_class
    gen = torch.Generator().manual_seed(seed)
    prompts = tok(
        ["What is 1+1?", "Compute 2x3."] * (n // 2), padding=True, return_tensors="pt", padding_side="left"
    )
    length = 12
    completion = torch.randint(10, len(tok) - 3, (n, length), generator=gen)
    lengths = torch.randint(4, length + 1, (n,), generator=gen)
    mask = (torch.arange(length)[None] < lengths[:, None]).long()
    completion = completion.masked_fill(mask == 0, tok.pad_token_id)
    advantages = torch.tensor([1.2, -0.7, 0.0, -0.5, 0.9, -1.1, 0.4, -0.2])[:n]
    return {
        "prompt_ids": prompts["input_ids"],
        "prompt_mask": prompts["attention_mask"],
        "completion_ids": completion,
        "completion_mask": mask,
        "advantages": advantages,
        "num_items_in_batch": mask.sum(),
    }


def _oracle_logps(model, batch):
    ids = torch.cat([batch["prompt_ids"], batch["completion_ids"]], 1)
    att = torch.cat([batch["prompt_mask"], batch["completion_mask"]], 1)
    return objective.token_logprobs(model, ids, att, batch["completion_ids"].size(1))


def _perturb(model: torch.nn.Module, scale: float, seed: int = 1) -> None:
    """Move the policy away from the sampling policy, as the earlier updates of a rollout do."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=gen) * scale)


def _grads(model) -> torch.Tensor:
    return torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])


@pytest.mark.parametrize("clip", ["on", "off"])
@pytest.mark.parametrize("off_policy", [False, True], ids=["1-update", "several-updates"])
@pytest.mark.parametrize("norm", ["bnpo", "grpo", "dapo"])
def test_trl_loss_matches_oracle_on_fixed_batch(tiny_model_dir, tmp_path, clip, off_policy, norm):
    config = tiny_config(
        tiny_model_dir, tmp_path, f"clip={clip}", f"loss_normalisation={norm}", "micro_batch_size=4"
    )
    trainer = build_trainer(config, reward_funcs=[random_reward()], run_logs=False)
    model = trainer.model
    model.train()
    trainer.current_gradient_accumulation_steps = 2  # the two micro-batches of 4 below make one mini-batch
    batch = _fixed_batch(trainer)
    if off_policy:
        with torch.no_grad():
            batch["old_per_token_logps"] = _oracle_logps(model, batch)
        _perturb(model, scale=0.5)

    # TRL: one call per micro-batch, as the accumulation loop does
    model.zero_grad()
    trl_loss = 0.0
    for start in (0, 4):
        micro = {k: (v[start : start + 4] if v.dim() else v) for k, v in batch.items()}
        micro["num_items_in_batch"] = batch["num_items_in_batch"]
        loss = trainer.compute_loss(model, micro)
        loss.backward()
        trl_loss += loss.item()
    trl_grads = _grads(model).clone()
    stats = trainer.rollout_metrics()

    # oracle: the same mini-batch from a plain forward
    model.zero_grad()
    logps = _oracle_logps(model, batch)
    old = batch.get("old_per_token_logps", logps.detach())
    per_token, low, high = objective.surrogate(logps, old, batch["advantages"], clip=clip == "on")
    # dapo: TRL divides by the generation batch's tokens / steps_per_generation x accumulation steps
    tokens = batch["num_items_in_batch"].item() * 2 / trainer.args.steps_per_generation
    oracle_loss = objective.normalise(
        per_token, batch["completion_mask"], norm, micro_batch_size=4, tokens_per_update=tokens
    )
    oracle_loss.backward()
    low_frac, high_frac = objective.clip_fractions(low, high, batch["completion_mask"])

    assert trl_loss == pytest.approx(oracle_loss.item(), abs=TOL)
    assert torch.allclose(trl_grads, _grads(model), atol=TOL, rtol=1e-4)
    assert stats["clip/low_fraction"] == pytest.approx(low_frac, abs=TOL)
    assert stats["clip/high_fraction"] == pytest.approx(high_frac, abs=TOL)
    mask = batch["completion_mask"].bool()
    # TRL's own clip_ratio/* use the same per-token test, one fraction per micro-batch (averaged unweighted
    # when logged); ours are token-weighted over the whole rollout
    for i, start in enumerate((0, 4)):
        low_mb, high_mb = objective.clip_fractions(
            low[start : start + 4], high[start : start + 4], mask[start : start + 4]
        )
        assert trainer._metrics["train"]["clip_ratio/low_mean"][i] == pytest.approx(low_mb, abs=TOL)
        assert trainer._metrics["train"]["clip_ratio/high_mean"][i] == pytest.approx(high_mb, abs=TOL)
    assert stats["policy/mean_token_prob"] == pytest.approx(
        torch.exp(old)[mask].mean().item(), abs=TOL
    )  # sampler's
    if clip == "on" and off_policy:
        assert low_frac + high_frac > 0, "the perturbation must move some ratios past 1 +- eps"
    else:
        assert low_frac == high_frac == 0


@pytest.mark.parametrize("correction", [False, True])
def test_kl_term_matches_oracle(tiny_model_dir, tmp_path, correction):
    config = tiny_config(tiny_model_dir, tmp_path, "kl_coef=0.3", f"kl_ratio_correction={correction}")
    trainer = build_trainer(config, reward_funcs=[random_reward()], run_logs=False)
    model = trainer.model
    model.train()
    trainer.current_gradient_accumulation_steps = 1
    batch = _fixed_batch(trainer, n=4)
    with torch.no_grad():
        batch["old_per_token_logps"] = batch["ref_per_token_logps"] = _oracle_logps(model, batch)
    _perturb(model, scale=0.3)
    trl_loss = trainer.compute_loss(model, batch).item()
    with torch.no_grad():
        logps = _oracle_logps(model, batch)
        per_token, _, _ = objective.surrogate(logps, batch["old_per_token_logps"], batch["advantages"])
        old = batch["old_per_token_logps"] if correction else None
        per_token = per_token + 0.3 * objective.kl_penalty(logps, batch["ref_per_token_logps"], old)
        expected = objective.normalise(per_token, batch["completion_mask"], "bnpo", micro_batch_size=4)
    assert objective.kl_penalty(logps, batch["ref_per_token_logps"]).abs().sum() > 0
    assert trl_loss == pytest.approx(expected.item(), abs=TOL)


# ---- inside real training loops -------------------------------------------------------------------
class OracleCheckingTrainer(RLVRTrainer):
    """Recomputes every micro-batch's loss and every rollout's advantages with the oracle during train()."""

    def __init__(self, *args, norm: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.norm = norm
        self.loss_errors: list[float] = []
        self.adv_errors: list[float] = []
        self.clip_counts = [0, 0]
        self._rollout_tokens = 0.0

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        rewards = self._last_rewards[2][:, 0]
        expected = objective.group_advantages(
            rewards, self.num_generations, scale=self.scale_rewards != "none"
        )
        if self.second_whitening:
            expected = objective.whiten_advantages(expected, output["completion_mask"].sum(1).float())
        self.adv_errors.append((expected - output["advantages"]).abs().max().item())
        self._rollout_tokens = output["num_items_in_batch"].item()
        return output

    def _compute_loss(self, model, inputs):
        loss = super()._compute_loss(model, inputs)
        with torch.no_grad():
            logps = _oracle_logps(model, inputs)
            old = inputs.get("old_per_token_logps", logps)
            per_token, low, high = objective.surrogate(
                logps,
                old,
                inputs["advantages"],
                eps_low=self.ratio_epsilon,
                eps_high=self.ratio_epsilon,
                clip=self.epsilon_low < 1,
            )
            ga = self.current_gradient_accumulation_steps
            tokens = self._rollout_tokens / self.updates_per_rollout
            expected = objective.normalise(
                per_token,
                inputs["completion_mask"],
                self.norm,
                micro_batch_size=per_token.size(0),
                tokens_per_update=tokens,
            )
            expected = expected if self.norm == "dapo" else expected / ga
        self.loss_errors.append(abs(loss.item() - expected.item()))
        self.clip_counts[0] += int((low & inputs["completion_mask"].bool()).sum())
        self.clip_counts[1] += int((high & inputs["completion_mask"].bool()).sum())
        return loss


@pytest.mark.slow
@pytest.mark.parametrize(
    ("clip", "updates", "norm", "whiten"),
    [("on", 4, "bnpo", True), ("off", 4, "dapo", False), ("on", 1, "grpo", True)],
)
def test_training_loop_matches_oracle(tiny_model_dir, tmp_path, clip, updates, norm, whiten):
    config = tiny_config(
        tiny_model_dir,
        tmp_path,
        f"clip={clip}",
        f"updates_per_rollout={updates}",
        f"loss_normalisation={norm}",
        f"second_whitening={whiten}",
        "micro_batch_size=2",
    )
    base = build_trainer(config, reward_funcs=[random_reward()], run_logs=False)
    trainer = OracleCheckingTrainer(
        model=base.model,
        reward_funcs=[random_reward()],
        args=copy.deepcopy(base.args),
        train_dataset=base.train_dataset,
        processing_class=base.processing_class,
        second_whitening=whiten,
        ratio_epsilon=0.2,
        norm=norm,
    )
    trainer.train()
    assert len(trainer.adv_errors) == 2 and max(trainer.adv_errors) <= TOL
    assert len(trainer.loss_errors) == 2 * 16 // 2 and max(trainer.loss_errors) <= TOL
    if clip == "on" and updates > 1:
        assert sum(trainer.clip_counts) > 0
    else:
        assert trainer.clip_counts == [0, 0]
