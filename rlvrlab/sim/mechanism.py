"""`rlvr sim mechanism`: the clipping bias of the paper's GRPO objective, on a bandit of reasoning modes.

The policy is a categorical distribution over reasoning modes (mode 0 = "code", mode 1 = "prose", ...),
each with its own accuracy. One rollout draws `prompts x group_size` modes, rewards them, computes group
advantages and takes `updates_per_rollout` optimizer steps on disjoint mini-batches with the paper's
clipped surrogate: exactly `rlvrlab.train.objective` (group_advantages, surrogate, normalise), the oracle
TRL's trainer is tested against, with one token per sample (the mode choice). Seeds run side by side as
rows of one parameter tensor; Adam and SGD act elementwise, so the rows are independent runs.

What it shows (docs/sim-experiments.md has the measured table): with clipping and several off-policy
updates per rollout, a reward that carries no information drives the policy to the mode it already
prefers; without clipping, or with one (on-policy) update per rollout, it is a random walk.

Why, in one paragraph (`expected_update` and `expected_rollout_drift` compute it). Within a rollout the
policy wanders from the one that sampled the data. A move of the log-odds u = log p/(1-p) by d changes
the ratio of the majority mode by about exp((1-p) d) and of the minority mode by exp(-p d): the
minority's ratio moves faster and reaches the clip bound first. Once a mode's ratio is past a bound,
the clip removes the updates that would push it further and keeps the ones that push it back, a
restoring force. With p > 1/2 that force starts sooner (and is stronger) on the side that favours the
minority, so the end-of-rollout position, the next rollout's starting point, is biased toward the
majority. A smaller eps_high moves the minority-side bound closer (stronger pull); a smaller eps_low
moves the majority-side bound closer (the pull weakens or reverses).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from rlvrlab.train.objective import ADVANTAGE_EPS, group_advantages, normalise, surrogate


@dataclass(frozen=True)
class Arm:
    """One experimental condition. Defaults are the paper's rollout shape (64 prompts x 16 samples, 8
    updates per rollout, eps 0.2 symmetric) on a Qwen2.5-Math-7B-like prior (65% code, code 61% accurate
    vs 30% without), with a step size large enough for the policy to move within one rollout."""

    name: str = "clip on"
    reward: str = "random:0.5"
    """random:G (Bernoulli(G), no information), ground_truth (Bernoulli(accuracy of the mode)) or format
    (Bernoulli(format_rate of the mode))"""
    clip: bool = True
    eps_low: float = 0.2
    eps_high: float = 0.2
    updates_per_rollout: int = 8
    prompts: int = 64
    group_size: int = 16
    optimizer: Literal["adam", "sgd"] = "adam"
    lr: float = 0.2
    """step size on the mode logits (Adam (0.9, 0.95) as in the paper, or plain SGD)"""
    p_start: tuple[float, ...] = (0.65, 0.35)
    """starting mode probabilities; the largest is the majority mode"""
    accuracy: tuple[float, ...] = (0.61, 0.30)
    """P(correct | mode)"""
    format_rate: tuple[float, ...] = (0.9, 0.9)
    """P(the response is well formatted | mode), for the format reward"""
    rollouts: int = 50
    seeds: int = 100

    def __post_init__(self) -> None:
        n = len(self.p_start)
        if n < 2 or len(self.accuracy) != n or len(self.format_rate) != n:
            raise ValueError("p_start, accuracy and format_rate need one entry per mode (at least 2 modes)")
        if any(p <= 0 for p in self.p_start) or abs(sum(self.p_start) - 1) > 1e-6:
            raise ValueError(f"p_start must be positive and sum to 1, got {self.p_start}")
        if (self.prompts * self.group_size) % self.updates_per_rollout:
            raise ValueError("prompts x group_size must split evenly into updates_per_rollout mini-batches")
        if min(self.prompts, self.group_size, self.updates_per_rollout, self.rollouts, self.seeds) < 1:
            raise ValueError("prompts, group_size, updates_per_rollout, rollouts and seeds must be >= 1")
        if self.group_size < 2:
            raise ValueError("group_size must be >= 2 (a group of one has no advantage)")
        if self.lr <= 0 or self.eps_low <= 0 or self.eps_high <= 0:
            raise ValueError("lr, eps_low and eps_high must be > 0")
        _reward_kind(self.reward)

    @property
    def majority(self) -> int:
        return int(np.argmax(self.p_start))


def _reward_kind(spec: str) -> tuple[str, float]:
    if spec.startswith("random:"):
        gamma = float(spec.split(":", 1)[1])
        if not 0 <= gamma <= 1:
            raise ValueError(f"random:G needs 0 <= G <= 1, got {spec!r}")
        return "random", gamma
    if spec in ("ground_truth", "format"):
        return spec, 0.0
    raise ValueError(f"unknown mechanism reward {spec!r}: use random:G, ground_truth or format")


@dataclass
class ArmResult:
    """Per-rollout means over seeds, the seeds' final mode probabilities, and the arm summary."""

    arm: Arm
    p_mode: list[list[float]]
    """[rollout][mode] mean probability over seeds, rollouts + 1 entries (the start included)"""
    expected_accuracy: list[float]
    clip_low: list[float]
    clip_high: list[float]
    abs_log_ratio: list[float]
    """per rollout: mean |log pi / pi_old| of the sampled mode over the rollout's updates (the dose: how far
    the mode decision moves off-policy; compare the organism's policy/first_token/mean_abs_log_ratio)"""
    final_p: list[list[float]] = field(default_factory=list)
    """[seed][mode] after the last rollout"""

    def summary(self) -> dict[str, Any]:
        from rlvrlab.stats import proportion_ci

        major = self.arm.majority
        ends = [int(np.argmax(p)) == major for p in self.final_p]
        low, high = proportion_ci(sum(ends), len(ends))
        return {
            "arm": self.arm.name,
            "share_majority": sum(ends) / len(ends),
            "share_majority_ci95": [low, high],
            "mean_p_majority": float(np.mean([p[major] for p in self.final_p])),
            "p_majority_start": self.arm.p_start[major],
            "expected_accuracy_start": self.expected_accuracy[0],
            "expected_accuracy_end": self.expected_accuracy[-1],
            "mean_clip_fraction": float(np.mean(self.clip_low) + np.mean(self.clip_high)),
            "mean_abs_log_ratio": float(np.mean(self.abs_log_ratio)),
            "config": asdict(self.arm),
            "p_mode": self.p_mode,
            "expected_accuracy": self.expected_accuracy,
        }


def _rewards(arm: Arm, modes: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    kind, gamma = _reward_kind(arm.reward)
    if kind == "random":
        p = torch.full(modes.shape, gamma, dtype=torch.float64)
    else:
        table = torch.tensor(arm.accuracy if kind == "ground_truth" else arm.format_rate, dtype=torch.float64)
        p = table[modes]
    return torch.bernoulli(p, generator=gen)


def _optimizer(arm: Arm, params: list[torch.Tensor]) -> torch.optim.Optimizer:
    if arm.optimizer == "adam":
        return torch.optim.Adam(params, lr=arm.lr, betas=(0.9, 0.95))
    return torch.optim.SGD(params, lr=arm.lr)


def run_arm(arm: Arm, seed: int = 0) -> ArmResult:
    """Simulate `arm.seeds` independent runs of `arm.rollouts` rollouts each."""
    gen = torch.Generator().manual_seed(seed)
    logits = torch.log(torch.tensor(arm.p_start, dtype=torch.float64)).repeat(arm.seeds, 1).requires_grad_()
    optimizer = _optimizer(arm, [logits])
    accuracy = torch.tensor(arm.accuracy, dtype=torch.float64)
    n = arm.prompts * arm.group_size
    mini = n // arm.updates_per_rollout
    probs = torch.softmax(logits.detach(), -1)
    p_mode, exp_acc = [probs.mean(0).tolist()], [float((probs @ accuracy).mean())]
    clip_low: list[float] = []
    clip_high: list[float] = []
    abs_log_ratio: list[float] = []
    for _ in range(arm.rollouts):
        modes = torch.multinomial(probs, n, replacement=True, generator=gen)  # (seeds, n)
        advantages = group_advantages(_rewards(arm, modes, gen).view(-1), arm.group_size).view(arm.seeds, n)
        old = torch.log_softmax(logits.detach(), -1).gather(1, modes)
        order = torch.randperm(n, generator=gen)
        low = high = 0
        moved = 0.0
        for start in range(0, n, mini):
            idx = order[start : start + mini]
            logp = torch.log_softmax(logits, -1).gather(1, modes[:, idx])
            per_token, cl, ch = surrogate(
                logp.reshape(-1, 1),
                old[:, idx].reshape(-1, 1),
                advantages[:, idx].reshape(-1),
                eps_low=arm.eps_low,
                eps_high=arm.eps_high,
                clip=arm.clip,
            )
            # bnpo token mean; every seed's mini-batch has the same size, so the mean over all rows x seeds
            # is the sum of each seed's own loss: every seed gets exactly its own gradient
            mask = torch.ones_like(per_token)
            loss = normalise(per_token, mask, "bnpo", micro_batch_size=per_token.size(0)) * arm.seeds
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            low, high = low + int(cl.sum()), high + int(ch.sum())
            moved += float((logp.detach() - old[:, idx]).abs().sum())
        probs = torch.softmax(logits.detach(), -1)
        p_mode.append(probs.mean(0).tolist())
        exp_acc.append(float((probs @ accuracy).mean()))
        clip_low.append(low / (n * arm.seeds))
        clip_high.append(high / (n * arm.seeds))
        abs_log_ratio.append(moved / (n * arm.seeds))
    return ArmResult(arm, p_mode, exp_acc, clip_low, clip_high, abs_log_ratio, probs.tolist())


def default_arms(base: Arm | None = None) -> list[Arm]:
    """The sweep of docs/sim-experiments.md (after ../notes/clipping-bias.md): the paper's clipping
    ablations, the eps asymmetry, the starting prior, step size and optimizer, and informative rewards."""
    b = base or Arm()
    return [
        b,
        replace(b, name="clip off", clip=False),
        replace(b, name="1 update per rollout", updates_per_rollout=1),
        replace(b, name="8 prompts x 16, 1 update", prompts=8, updates_per_rollout=1),
        replace(b, name="8 prompts x 16, 8 updates", prompts=8),
        replace(b, name="eps_high 0.1, eps_low 0.3", eps_high=0.1, eps_low=0.3),
        replace(b, name="eps_high 0.3, eps_low 0.1", eps_high=0.3, eps_low=0.1),
        replace(b, name="start p(code) 0.35", p_start=(0.35, 0.65)),
        replace(b, name="start p(code) 0.90", p_start=(0.9, 0.1)),
        replace(b, name="lr 0.05, clip on", lr=0.05),
        replace(b, name="lr 0.05, clip off", lr=0.05, clip=False),
        replace(b, name="lr 0.4, clip on", lr=0.4),
        replace(b, name="lr 0.4, clip off", lr=0.4, clip=False),
        replace(b, name="SGD lr 2, clip on", optimizer="sgd", lr=2.0),
        replace(b, name="SGD lr 2, clip off", optimizer="sgd", lr=2.0, clip=False),
        replace(b, name="ground truth", reward="ground_truth"),
        replace(b, name="ground truth, start p(code) 0.35", reward="ground_truth", p_start=(0.35, 0.65)),
    ]


# ---- the analytic drift (two modes, random reward, SGD on the two logits) ----


def advantage_moments(group_size: int, gamma: float = 0.5, eps: float = ADVANTAGE_EPS) -> tuple[float, float]:
    """(h, E[A^2]) of a group advantage under Bernoulli(gamma) rewards: h = E[max(A, 0)] = E[max(-A, 0)],
    by exact enumeration over the number of rewarded samples in the group (unbiased std, as TRL)."""
    h = second = 0.0
    for k in range(group_size + 1):
        weight = math.comb(group_size, k) * gamma**k * (1 - gamma) ** (group_size - k)
        if k in (0, group_size):
            continue
        mean = k / group_size
        std = math.sqrt(k * (group_size - k) / (group_size * (group_size - 1)))
        pos, neg = (1 - mean) / (std + eps), mean / (std + eps)
        h += weight * k / group_size * pos
        second += weight * (k * pos**2 + (group_size - k) * neg**2) / group_size
    return h, second


def expected_update(
    p_old: float, p_now: float, eps_low: float, eps_high: float, lr: float, h: float
) -> float:
    """Expected SGD change of the log-odds u = z_A - z_B of mode A in one update, for a mini-batch sampled
    at p_old and a policy now at p_now, under zero-information reward.

    Per sample i (mode m_i, advantage A_i, ratio r_i = pi(m_i) / pi_old(m_i)) the surrogate's gradient is
    -A_i r_i d log pi(m_i) when its clip is inactive and 0 when active. A rewards are independent of the
    mode, so E[A 1{active}] is 0 when no bound binds, -h when the ratio is past 1 + eps_high (positive
    advantages are cut) and +h past 1 - eps_low (negative ones are cut). With d log p_A / d u = 1 - p and
    d log p_B / d u = -p, and SGD moving both logits (du = 2 x the step on z_A):
        E[du] = 2 lr [ p_old a_A r_A (1 - p) - (1 - p_old) a_B r_B p ]."""
    r_a, r_b = p_now / p_old, (1 - p_now) / (1 - p_old)

    def active_mean(r: float) -> float:
        return -h if r > 1 + eps_high else h if r < 1 - eps_low else 0.0

    return (
        2 * lr * (p_old * active_mean(r_a) * r_a * (1 - p_now) - (1 - p_old) * active_mean(r_b) * r_b * p_now)
    )


def expected_rollout_drift(
    p_old: float,
    eps_low: float = 0.2,
    eps_high: float = 0.2,
    lr: float = 1.0,
    updates: int = 8,
    mini_batch: int = 128,
    group_size: int = 16,
    gamma: float = 0.5,
    grid: int = 4001,
) -> float:
    """Expected change of the log-odds u = log p/(1 - p) of mode A over one rollout of `updates` SGD
    steps under zero-information reward (positive = toward mode A).

    The within-rollout log-odds is a Markov chain: each update adds `expected_update` (the clip's
    restoring force, zero inside the trust region) and Gaussian noise of variance
    s^2 = 4 lr^2 E[A^2] p (1 - p) / mini_batch (the mini-batch gradient's spread). Its density is
    propagated on a grid, update by update, and the drift is summed under it; update 0 is on-policy (no
    drift). Without clipping u is a martingale (drift 0); the clipped drift is the small asymmetry
    between the two restoring walls. Checked against the simulation in tests/test_sim_mechanism.py."""
    h, second = advantage_moments(group_size, gamma)
    s = 2 * lr * math.sqrt(second * p_old * (1 - p_old) / mini_batch)
    u0 = math.log(p_old / (1 - p_old))
    span = 8 * s * math.sqrt(updates) + 1.0
    x = np.linspace(-span, span, grid)
    dx = x[1] - x[0]
    drift = np.array(
        [expected_update(p_old, 1 / (1 + math.exp(-(u0 + v))), eps_low, eps_high, lr, h) for v in x]
    )
    kernel_x = np.arange(-int(6 * s / dx) - 1, int(6 * s / dx) + 2) * dx
    kernel = np.exp(-0.5 * (kernel_x / s) ** 2)
    kernel /= kernel.sum()
    density = np.zeros(grid)
    density[grid // 2] = 1.0
    total = 0.0
    for k in range(updates):
        step = drift if k else np.zeros(grid)
        total += float(density @ step)
        moved, _ = np.histogram(x + step, bins=grid, range=(x[0] - dx / 2, x[-1] + dx / 2), weights=density)
        density = np.convolve(moved, kernel, mode="same")
        density /= density.sum()
    return total


# ---- sweeps, output ----


def run_sweep(arms: list[Arm], seed: int = 0, on_arm: Any = None) -> list[ArmResult]:
    results = []
    for i, arm in enumerate(arms):
        results.append(run_arm(arm, seed=seed + i))
        if on_arm is not None:
            on_arm(results[-1])
    return results


def arms_from_flags(flags: dict[str, Any], seeds: int = 100, rollouts: int = 50) -> list[Arm]:
    """The CLI's arms: the default sweep when no arm flag is set, else one arm from the flags."""
    base = Arm(seeds=seeds, rollouts=rollouts)
    given = {k: v for k, v in flags.items() if v is not None}
    if not given:
        return default_arms(base)
    if "clip" in given:
        if given["clip"] not in ("on", "off"):
            raise ValueError(f"--clip must be on or off, got {given['clip']!r}")
        given["clip"] = given["clip"] == "on"
    if "optimizer" in given and given["optimizer"] not in ("adam", "sgd"):
        raise ValueError(f"--optimizer must be adam or sgd, got {given['optimizer']!r}")
    if "p_start" in given:
        p = given["p_start"]
        if not 0 < p < 1:
            raise ValueError(f"--p-start must lie in (0, 1), got {p}")
        given["p_start"] = (p, 1 - p)
    name = ", ".join(f"{k}={v}" for k, v in flags.items() if v is not None)
    return [replace(base, name=name, **given)]


def format_table(results: list[ArmResult]) -> str:
    """A plain-text table of the arms (one line each)."""
    lines = [
        f"{'arm':38s} {'-> majority [95% CI]':>22s} {'p(majority) start -> end':>25s} {'E[acc] start -> end':>20s}"
    ]
    for r in results:
        s = r.summary()
        low, high = s["share_majority_ci95"]
        lines.append(
            f"{s['arm'][:38]:38s} {s['share_majority']:>6.2f} [{low:.2f}, {high:.2f}]   "
            f"{s['p_majority_start']:>10.2f} -> {s['mean_p_majority']:.2f}       "
            f"{s['expected_accuracy_start']:.3f} -> {s['expected_accuracy_end']:.3f}"
        )
    return "\n".join(lines)


def write_outputs(results: list[ArmResult], out: Path) -> None:
    """mechanism.json (one object per arm) and mechanism.png (p(majority) and accuracy per rollout)."""
    import json

    out.mkdir(parents=True, exist_ok=True)
    (out / "mechanism.json").write_text(json.dumps([r.summary() for r in results], indent=2) + "\n")
    plot(results, out / "mechanism.png")


def plot(results: list[ArmResult], path: Path) -> None:
    """Small multiples, one panel per arm: mean p(code) (mode 0) and expected accuracy per rollout."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(4, len(results))
    rows = math.ceil(len(results) / cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(3.4 * cols, 2.5 * rows), sharex=True, sharey=True, squeeze=False
    )
    for ax, r in zip(axes.flat, results, strict=False):
        ax.plot([p[0] for p in r.p_mode], color="C0", label="p(code), mean over seeds")
        ax.plot(r.expected_accuracy, color="C2", linestyle="--", label="expected accuracy")
        ax.set_title(r.arm.name, fontsize=9)
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(results) :]:
        ax.axis("off")
    for ax in axes[-1]:
        ax.set_xlabel("rollout")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=2, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.22 / rows))
    fig.savefig(path, dpi=110)
    plt.close(fig)
