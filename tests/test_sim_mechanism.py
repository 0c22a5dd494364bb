"""The mechanism lab (rlvr sim mechanism): the clipping bias's directions, and the analytic drift against
the simulation it explains."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from rlvrlab.sim.mechanism import (
    Arm,
    advantage_moments,
    default_arms,
    expected_rollout_drift,
    expected_update,
    run_arm,
)
from rlvrlab.train.objective import surrogate

FAST = Arm(seeds=60, rollouts=30)


def final_p_code(arm: Arm, seed: int = 0) -> tuple[float, float]:
    """(mean final p(code), share of seeds ending on the majority mode)."""
    result = run_arm(arm, seed=seed)
    return float(np.mean([p[0] for p in result.final_p])), result.summary()["share_majority"]


def test_clipping_concentrates_zero_information_reward_on_the_majority_mode() -> None:
    arms = {a.name: a for a in default_arms(FAST)}
    clip_on, share_on = final_p_code(arms["clip on"])
    clip_off, share_off = final_p_code(arms["clip off"])
    on_policy, _ = final_p_code(arms["1 update per rollout"])
    small_one, _ = final_p_code(arms["8 prompts x 16, 1 update"])
    assert clip_on > 0.75 and share_on > 0.75  # from 0.65
    # no clipping, or nothing off-policy for the clip to act on: no pull (Adam's noise even lowers it)
    assert max(clip_off, on_policy, small_one) < 0.68
    assert share_on > share_off + 0.2


def test_eps_asymmetry_strengthens_or_removes_the_pull() -> None:
    arms = {a.name: a for a in default_arms(FAST)}
    symmetric, _ = final_p_code(arms["clip on"])
    tight_high, _ = final_p_code(arms["eps_high 0.1, eps_low 0.3"])
    tight_low, _ = final_p_code(arms["eps_high 0.3, eps_low 0.1"])
    assert tight_high > symmetric + 0.05
    assert tight_low < 0.65 < symmetric


def test_the_pull_is_toward_the_majority_not_the_better_mode_and_ground_truth_finds_the_better() -> None:
    arms = {a.name: a for a in default_arms(FAST)}
    prose_majority = run_arm(arms["start p(code) 0.35"]).summary()
    assert prose_majority["mean_p_majority"] > 0.75  # moves to prose, the worse mode
    assert prose_majority["expected_accuracy_end"] < prose_majority["expected_accuracy_start"]
    gt = run_arm(arms["ground truth, start p(code) 0.35"]).summary()
    assert gt["mean_p_majority"] < 0.05 and gt["expected_accuracy_end"] == pytest.approx(0.61, abs=0.01)


@pytest.mark.parametrize(
    ("p_old", "p_now"), [(0.65, 0.80), (0.65, 0.55), (0.65, 0.45), (0.35, 0.5), (0.9, 0.95)]
)
@pytest.mark.parametrize(("eps_low", "eps_high"), [(0.2, 0.2), (0.3, 0.1)])
def test_expected_update_is_the_mean_sgd_step_of_the_paper_objective(
    p_old: float, p_now: float, eps_low: float, eps_high: float
) -> None:
    """Independent of run_arm: many mini-batches sampled at p_old, advantages of real groups, the
    objective's surrogate evaluated at p_now; the mean SGD step of the log-odds vs the formula."""
    gen = torch.Generator().manual_seed(0)
    batches, n, group = 4000, 128, 16
    logits = (
        torch.log(torch.tensor([p_now, 1 - p_now], dtype=torch.float64)).repeat(batches, 1).requires_grad_()
    )
    modes = torch.multinomial(torch.tensor([p_old, 1 - p_old]).repeat(batches, 1), n, True, generator=gen)
    rewards = torch.bernoulli(
        torch.full((batches, n // group, group), 0.5, dtype=torch.float64), generator=gen
    )
    adv = (rewards - rewards.mean(-1, keepdim=True)) / (rewards.std(-1, keepdim=True) + 1e-4)
    old = torch.log(torch.tensor([p_old, 1 - p_old], dtype=torch.float64))[modes]
    logp = torch.log_softmax(logits, -1).gather(1, modes)
    per_token, _, _ = surrogate(
        logp.reshape(-1, 1), old.reshape(-1, 1), adv.reshape(-1), eps_low=eps_low, eps_high=eps_high
    )
    (per_token.view(batches, n).mean(1).sum()).backward()
    du = -(logits.grad[:, 0] - logits.grad[:, 1])  # SGD with lr 1
    h, _ = advantage_moments(group)
    expected = expected_update(p_old, p_now, eps_low, eps_high, 1.0, h)
    sem = float(du.std() / math.sqrt(batches))
    assert abs(float(du.mean()) - expected) < 4 * sem + 0.03 * abs(expected), (
        float(du.mean()),
        expected,
        sem,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("lr", "eps_low", "eps_high", "p"),
    [(1.0, 0.3, 0.1, 0.65), (1.0, 0.1, 0.3, 0.65), (2.0, 0.2, 0.2, 0.65), (2.0, 0.2, 0.2, 0.35)],
)
def test_analytic_rollout_drift_matches_the_simulation(
    lr: float, eps_low: float, eps_high: float, p: float
) -> None:
    arm = Arm(
        optimizer="sgd", lr=lr, eps_low=eps_low, eps_high=eps_high, p_start=(p, 1 - p), rollouts=1, seeds=4000
    )
    final = np.array(run_arm(arm, seed=1).final_p)[:, 0]
    du = np.log(final / (1 - final)) - math.log(p / (1 - p))
    simulated, sem = float(du.mean()), float(du.std() / math.sqrt(du.size))
    analytic = expected_rollout_drift(p, eps_low, eps_high, lr)
    assert np.sign(simulated) == np.sign(analytic)
    assert abs(simulated - analytic) < 0.2 * abs(analytic) + 3 * sem, (simulated, analytic, sem)
    unclipped = np.array(run_arm(replace(arm, clip=False), seed=1).final_p)[:, 0]
    du_off = np.log(unclipped / (1 - unclipped)) - math.log(p / (1 - p))
    assert (
        abs(float(du_off.mean())) < 3 * float(du_off.std() / math.sqrt(du_off.size)) + 0.002
    )  # a martingale


def test_analytic_drift_directions() -> None:
    assert expected_rollout_drift(0.65, lr=1.0, updates=1) == 0.0  # on-policy: nothing to clip
    assert expected_rollout_drift(0.65, lr=1.0) > 0 > expected_rollout_drift(0.35, lr=1.0)
    assert expected_rollout_drift(0.5, lr=1.0) == pytest.approx(0.0, abs=1e-9)
    symmetric = expected_rollout_drift(0.65, lr=1.0)
    assert (
        expected_rollout_drift(0.65, 0.3, 0.1, lr=1.0)
        > symmetric
        > 0
        > expected_rollout_drift(0.65, 0.1, 0.3, lr=1.0)
    )


def test_cli_json_and_outputs(tmp_path) -> None:
    from rlvrlab.cli import app

    result = CliRunner().invoke(
        app,
        [
            "sim",
            "mechanism",
            "--clip",
            "on",
            "--seeds",
            "10",
            "--rollouts",
            "5",
            "--json",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 1 and {"arm", "share_majority", "share_majority_ci95", "mean_p_majority"} <= set(
        rows[0]
    )
    assert (tmp_path / "mechanism.png").stat().st_size > 10_000
    saved = json.loads((tmp_path / "mechanism.json").read_text())
    assert len(saved[0]["p_mode"]) == 6 and len(saved[0]["expected_accuracy"]) == 6
    bad = CliRunner().invoke(app, ["sim", "mechanism", "--clip", "maybe"])
    assert bad.exit_code == 2 and "--clip must be on or off" in bad.output
