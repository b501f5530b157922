r"""REINFORCE, the vanilla policy gradient PPO is measured against.

Paper: Williams, *Simple Statistical Gradient-Following Algorithms for
Connectionist Reinforcement Learning*, Machine Learning 8, 1992. Used as the
baseline of the PPO case study (Schulman et al., 2017,
<https://arxiv.org/abs/1707.06347>), on the same networks and CartPole-v1.

Implements $\nabla_\theta J = \mathbb{E}[\sum_t \nabla_\theta \log
\pi_\theta(a_t|s_t)\,(G_t - b(s_t))]$ with $G_t = \sum_k \gamma^k r_{t+k}$
to the end of the episode, with ``paper2code.losses.reinforce_loss``; the
baseline $b$ is a learned value network, or none.

Differences from the paper: Adam instead of plain gradient ascent, and
$G_t - b$ standardised over each batch (so the variant without a learned
baseline still subtracts the batch mean).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import gymnasium as gym
import numpy as np
import torch

from paper2code.case_studies.cartpole import (
    ENV_ID,
    mlp,
    record_evaluation,
    sample,
    single_threaded,
)
from paper2code.losses import discounted_returns, reinforce_loss

__all__ = ["PGConfig", "train_pg"]


# --8<-- [start:config]
@dataclass(frozen=True)
class PGConfig:
    episodes: int = 8  # whole episodes per gradient step
    lr: float = 3e-3  # Adam step size, the better of {1e-3, 3e-3}
    gamma: float = 0.99  # γ, as for PPO
    baseline: bool = True  # subtract a learned V(s_t) from G_t
    hidden: int = 64  # the same networks as PPO
    total_steps: int = 200_000
    eval_every: int = 8_192
    eval_episodes: int = 100
    seed: int = 0
# --8<-- [end:config]


# --8<-- [start:pg]
@single_threaded
def train_pg(cfg: PGConfig, progress: bool = False) -> dict:
    """REINFORCE: whole episodes, returns-to-go, one gradient step per batch."""
    torch.manual_seed(cfg.seed)
    g = torch.Generator().manual_seed(cfg.seed)
    policy, value = mlp(4, 2, cfg.hidden), mlp(4, 1, cfg.hidden)
    params = [*policy.parameters(), *value.parameters()]
    opt = torch.optim.Adam(params, lr=cfg.lr)
    envs = [gym.make(ENV_ID) for _ in range(cfg.episodes)]
    for i, env in enumerate(envs):
        env.reset(seed=1000 * cfg.seed + i)  # seeds each actor's generator
    log = {"eval_steps": [], "eval_return": [], "episodes": [], "loss": []}
    steps, start, cpu = 0, time.perf_counter(), time.process_time()
    record_evaluation(log, policy, steps, cfg, progress)
    E, L = cfg.episodes, envs[0].spec.max_episode_steps  # 500 steps at most
    while steps < cfg.total_steps:
        states = np.zeros((E, L, 4), np.float32)
        actions = np.zeros((E, L), np.int64)
        rewards = np.zeros((E, L), np.float32)
        obs = np.stack([e.reset()[0] for e in envs])  # (E, 4)
        length = np.zeros(E, np.int64)  # each episode's, once it has ended
        for t in range(L):  # every actor plays one whole episode
            states[:, t] = obs
            with torch.no_grad():
                actions[:, t] = sample(policy(torch.from_numpy(obs)), g).numpy()
            for i in np.flatnonzero(length == 0):  # the actors still playing
                step = envs[i].step(int(actions[i, t]))
                obs[i], rewards[i, t], term, trunc, _ = step
                if term or trunc:  # G_t needs no bootstrap: no critic here
                    length[i] = t + 1
                    steps += t + 1
                    log["episodes"].append([steps, float(rewards[i].sum())])
            if length.all():
                break
        n = length.max()  # the longest episode of the batch
        played = torch.from_numpy(np.arange(n) < length[:, None])  # (E, n)
        # G_t = Σ_k γ^k r_{t+k} to the episode's end (zeros pad each row)
        r = torch.from_numpy(rewards[:, :n])  # (E, n)
        G = discounted_returns(r, cfg.gamma)[played]  # (ΣT_i,)
        s = torch.from_numpy(states[:, :n])[played]  # (ΣT_i, 4)
        a = torch.from_numpy(actions[:, :n])[played]  # (ΣT_i,)
        log_prob = torch.log_softmax(policy(s), -1).gather(-1, a[:, None])[:, 0]
        v = value(s)[:, 0] if cfg.baseline else torch.zeros_like(G)
        loss = reinforce_loss(log_prob, G, baseline=v) + (v - G).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        log["loss"].append(float(f"{loss.item():.6g}"))
        if steps // cfg.eval_every > (steps - length.sum()) // cfg.eval_every:
            record_evaluation(log, policy, steps, cfg, progress)
    log["seconds"] = round(time.perf_counter() - start, 1)
    log["cpu_seconds"] = round(time.process_time() - cpu, 1)
    return {"config": asdict(cfg), **log}
# --8<-- [end:pg]
