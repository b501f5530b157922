"""CartPole helpers shared by the PPO case study and its REINFORCE baseline.

Paper: Schulman et al., *Proximal Policy Optimization Algorithms*, 2017,
<https://arxiv.org/abs/1707.06347>, Section 6.1 (the networks); the
environment is gymnasium's CartPole-v1. ``ppo`` and ``reinforce`` both
import from here, so neither imports the other at module level.

Differences from the paper: logits over CartPole's two actions instead of a
Gaussian's mean (MuJoCo's continuous actions).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import gymnasium as gym
import numpy as np
import torch
from torch import Tensor, nn

__all__ = [
    "ENV_ID", "SOLVED", "evaluate", "mlp", "record_evaluation", "sample",
    "single_threaded", "solved_at",
]

ENV_ID = "CartPole-v1"  # 4 observations, 2 actions, reward 1 per step, 500 steps
SOLVED = 475.0  # CartPole-v1's registered reward threshold


# --8<-- [start:nets]
def mlp(n_in: int, n_out: int, hidden: int = 64) -> nn.Sequential:
    """Two tanh hidden layers, as the paper's MuJoCo networks (Section 6.1)."""
    return nn.Sequential(
        nn.Linear(n_in, hidden), nn.Tanh(),
        nn.Linear(hidden, hidden), nn.Tanh(),
        nn.Linear(hidden, n_out),
    )


def sample(logits: Tensor, generator: torch.Generator) -> Tensor:
    """Draw one action per row of ``(B, A)`` logits, from ``generator`` only."""
    cdf = torch.softmax(logits, -1).cumsum(-1)  # (B, A)
    u = torch.rand(logits.shape[0], 1, generator=generator)  # (B, 1)
    return (u > cdf).sum(-1).clamp(max=logits.shape[-1] - 1)  # (B,)


def evaluate(policy: nn.Module, episodes: int, seed: int) -> list[float]:
    """Returns of ``episodes`` fresh episodes of the stochastic policy."""
    env = gym.make_vec(ENV_ID, num_envs=episodes,
                       vectorization_mode="vector_entry_point")
    obs, _ = env.reset(seed=seed)
    g = torch.Generator().manual_seed(seed)
    returns, alive = np.zeros(episodes), np.ones(episodes, dtype=bool)
    while alive.any():  # each actor's first episode only
        with torch.no_grad():
            action = sample(policy(torch.as_tensor(obs)), g)
        obs, reward, terminated, truncated, _ = env.step(action.numpy())
        returns += reward * alive
        alive &= ~(terminated | truncated)
    env.close()
    return returns.tolist()
# --8<-- [end:nets]


def single_threaded(train: Callable[..., dict]) -> Callable[..., dict]:
    """Run ``train`` with one torch thread (tiny networks), then restore the count."""
    @functools.wraps(train)
    def wrapper(*args, **kwargs) -> dict:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return train(*args, **kwargs)
        finally:
            torch.set_num_threads(threads)

    return wrapper


def record_evaluation(log: dict, policy: nn.Module, steps: int, cfg, progress: bool) -> None:
    """Evaluate ``policy`` on ``cfg.eval_episodes`` episodes; append to ``log``."""
    returns = evaluate(policy, cfg.eval_episodes, seed=10_000 + cfg.seed)
    log["eval_steps"].append(steps)
    log["eval_return"].append(round(float(np.mean(returns)), 2))
    if progress:
        print(f"  step {steps:>7}  mean return {log['eval_return'][-1]:6.1f}", flush=True)


def solved_at(run: dict, threshold: float = SOLVED) -> int | None:
    """The first evaluated step with mean return ≥ ``threshold``, or None."""
    hits = (s for s, r in zip(run["eval_steps"], run["eval_return"], strict=True)
            if r >= threshold)
    return next(hits, None)
