r"""Proximal Policy Optimization on CartPole, against vanilla policy gradient.

Paper: Schulman et al., *Proximal Policy Optimization Algorithms*, 2017,
<https://arxiv.org/abs/1707.06347>. Baseline: REINFORCE (Williams, 1992).

Implements the probability ratio $r_t(\theta)$ (Eq. 6), the clipped surrogate
objective $L^{CLIP}$ (Eq. 7), the squared-error value loss $L^{VF}$ (Eq. 9),
truncated generalized advantage estimation (Eq. 11-12) and Algorithm 1 (PPO,
actor-critic style) with the MuJoCo hyperparameters of Table 3. The baseline,
REINFORCE, is in ``paper2code.case_studies.reinforce``.

Also the two comparison arms of Table 1 (Section 6.1): no clipping
(``clip_eps=1e9``, all else equal) and the adaptive KL penalty of Section 4
(Eq. 8, ``kl_target``).

Differences from the paper: CartPole-v1 (two discrete actions, a categorical
policy) instead of MuJoCo (a Gaussian policy); 8 actors of 256 steps instead
of 1 actor of 2,048 (the same 2,048 samples per iteration); 100,352 steps
instead of 10^6. Everything else in Table 3 is used as printed.

The experiment (the arms, seeds and full run) is in ``ppo_experiment``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import gymnasium as gym
import numpy as np
import torch
from torch import Tensor, nn

from paper2code.case_studies.cartpole import (
    ENV_ID,
    SOLVED,
    evaluate,
    mlp,
    record_evaluation,
    sample,
    single_threaded,
    solved_at,
)

__all__ = [
    "ENV_ID", "SOLVED", "PPOConfig", "clipped_surrogate", "evaluate", "gae", "kl_penalty_loss",
    "mlp", "ppo_loss", "record_evaluation", "rollout", "sample", "single_threaded", "solved_at",
    "train_ppo", "update_beta",
]


# --8<-- [start:config]
@dataclass(frozen=True)
class PPOConfig:
    n_envs: int = 8  # N actors; Table 3 has 1 (see the page)
    horizon: int = 256  # T steps per actor: N·T = 2,048, Table 3's horizon
    lr: float = 3e-4  # Adam step size (Table 3)
    epochs: int = 10  # K, passes over each batch (Table 3)
    minibatch: int = 64  # M (Table 3)
    gamma: float = 0.99  # γ, discount (Table 3)
    lam: float = 0.95  # λ, GAE parameter (Table 3)
    clip_eps: float = 0.2  # ε, the best in Table 1 (Section 6.1)
    kl_target: float | None = None  # d_targ: the KL penalty (Eq. 8), no clip
    kl_beta: float = 1.0  # β's first value ("not important", Section 4)
    vf_coef: float = 1.0  # c1 (Eq. 9); moot: no shared parameters
    hidden: int = 64  # two tanh layers of 64 units (Section 6.1)
    total_steps: int = 100_000  # env steps; the paper runs 10^6
    eval_every: int = 8_192  # env steps between evaluations
    eval_episodes: int = 100  # "solved": mean return ≥ 475 over 100
    seed: int = 0
# --8<-- [end:config]


# --8<-- [start:gae]
def gae(
    rewards: Tensor,
    values: Tensor,
    next_values: Tensor,
    terminated: Tensor,
    truncated: Tensor,
    gamma: float,
    lam: float,
) -> tuple[Tensor, Tensor]:
    r"""Truncated GAE, Eq. (11)-(12), over a segment of ``T`` steps.

    All arguments are ``(T, N)``: step ``t`` of actor ``n``. ``next_values``
    holds $V(s_{t+1})$ of the state the step led to, the episode's final
    state where it ended, not the state after the reset.

    Args:
        rewards: $r_t$.
        values: $V(s_t)$.
        next_values: $V(s_{t+1})$.
        terminated: 1.0 where $s_{t+1}$ is terminal: its value is 0.
        truncated: 1.0 where a time limit cut the episode at $s_{t+1}$: its
            value is bootstrapped, but the next step is another episode.
        gamma: $\gamma$.
        lam: $\lambda$.

    Returns:
        ``(advantages, returns)``: $\hat A_t$ and the value targets
        $\hat A_t + V(s_t)$, both ``(T, N)``.
    """
    advantages = torch.zeros_like(rewards)  # (T, N)
    running = torch.zeros_like(rewards[0])  # Â_{t+1}, (N,)
    for t in reversed(range(rewards.shape[0])):
        # δ_t = r_t + γ V(s_{t+1}) - V(s_t)   (Eq. 12); V(terminal) = 0
        bootstrap = gamma * next_values[t] * (1.0 - terminated[t])
        delta = rewards[t] + bootstrap - values[t]
        # Â_t = δ_t + (γλ) Â_{t+1}   (Eq. 11); it stops where an episode ends
        ended = torch.maximum(terminated[t], truncated[t])
        running = delta + gamma * lam * (1.0 - ended) * running
        advantages[t] = running
    return advantages, advantages + values
# --8<-- [end:gae]


# --8<-- [start:loss]
def clipped_surrogate(
    log_prob: Tensor, log_prob_old: Tensor, advantage: Tensor, eps: float
) -> Tensor:
    r"""The clipped surrogate objective $L^{CLIP}$ of Eq. (7), a batch mean.

    Args:
        log_prob: $\log\pi_\theta(a_t|s_t)$, ``(B,)``, with gradient.
        log_prob_old: $\log\pi_{\theta_{old}}(a_t|s_t)$, ``(B,)``.
        advantage: $\hat A_t$, ``(B,)``.
        eps: $\epsilon$, the clip range.
    """
    # r_t(θ) = π_θ(a_t|s_t) / π_θold(a_t|s_t)   (Eq. 6)
    ratio = torch.exp(log_prob - log_prob_old.detach())
    clipped = torch.clamp(ratio, 1.0 - eps, 1.0 + eps)
    # L^CLIP = Ê_t[min(r_t Â_t, clip(r_t, 1-ε, 1+ε) Â_t)]   (Eq. 7)
    return torch.minimum(ratio * advantage, clipped * advantage).mean()


def ppo_loss(
    logits: Tensor,
    actions: Tensor,
    log_prob_old: Tensor,
    advantage: Tensor,
    value: Tensor,
    value_target: Tensor,
    clip_eps: float,
    vf_coef: float,
) -> Tensor:
    r"""The minibatch loss $-L^{CLIP} + c_1 L^{VF}$ (Eq. 9 with $c_2 = 0$).

    Args:
        logits: ``(B, A)`` policy outputs for the minibatch's states.
        actions: ``(B,)`` the actions taken.
        log_prob_old: ``(B,)`` their log-probabilities when sampled.
        advantage: ``(B,)`` $\hat A_t$, normalised here over the minibatch.
        value: ``(B,)`` $V_\theta(s_t)$.
        value_target: ``(B,)`` $V_t^{targ}$.
        clip_eps: $\epsilon$.
        vf_coef: $c_1$.
    """
    log_prob = torch.log_softmax(logits, -1).gather(-1, actions[:, None])[:, 0]
    # Advantage normalisation: mean 0, std 1 over the minibatch (not in the
    # paper; in its code, OpenAI baselines, and nearly every PPO since)
    advantage = (advantage - advantage.mean()) / (advantage.std() + 1e-8)
    # L^VF = (V_θ(s_t) - V_t^targ)²   (Eq. 9)
    value_loss = (value - value_target).pow(2).mean()
    # Minus: the optimiser descends, PPO ascends L^CLIP
    return -clipped_surrogate(log_prob, log_prob_old, advantage, clip_eps) \
        + vf_coef * value_loss
# --8<-- [end:loss]


# --8<-- [start:kl]
def kl_penalty_loss(
    logits: Tensor,
    actions: Tensor,
    log_probs_old: Tensor,
    advantage: Tensor,
    value: Tensor,
    value_target: Tensor,
    beta: float,
    vf_coef: float,
) -> Tensor:
    r"""The minibatch loss $-L^{KLPEN} + c_1 L^{VF}$ (Eq. 8), Table 1's KL arm.

    Args:
        logits: ``(B, A)`` policy outputs.
        actions: ``(B,)`` the actions taken.
        log_probs_old: ``(B, A)`` $\log\pi_{\theta_{old}}(\cdot|s_t)$, all actions.
        advantage: ``(B,)`` $\hat A_t$, normalised here as in ``ppo_loss``.
        value: ``(B,)``; value_target: ``(B,)``.
        beta: $\beta$, the penalty coefficient.
        vf_coef: $c_1$.
    """
    log_pi = torch.log_softmax(logits, -1)  # (B, A)
    log_prob = log_pi.gather(-1, actions[:, None])[:, 0]
    log_prob_old = log_probs_old.gather(-1, actions[:, None])[:, 0]
    advantage = (advantage - advantage.mean()) / (advantage.std() + 1e-8)
    ratio = torch.exp(log_prob - log_prob_old)  # r_t(θ), Eq. (6)
    # KL[π_θold(·|s_t), π_θ(·|s_t)], a sum over the actions
    kl = (log_probs_old.exp() * (log_probs_old - log_pi)).sum(-1)
    # L^KLPEN = Ê_t[r_t Â_t − β KL]   (Eq. 8)
    objective = (ratio * advantage - beta * kl).mean()
    return -objective + vf_coef * (value - value_target).pow(2).mean()


def update_beta(beta: float, d: float, d_targ: float) -> float:
    """Section 4, after each policy update: halve β below d_targ/1.5, double it above 1.5·d_targ."""
    if d < d_targ / 1.5:
        return beta / 2
    if d > d_targ * 1.5:
        return beta * 2
    return beta
# --8<-- [end:kl]


# --8<-- [start:rollout]
def rollout(envs: list, obs: np.ndarray, policy: nn.Module, T: int,
            g: torch.Generator, running: np.ndarray) -> dict:
    """Run π_θold for ``T`` steps in each of the ``N`` envs, resetting those that end.

    ``obs`` ``(N, d)``, the observations to start from, is overwritten with the
    next segment's; ``running`` ``(N,)`` with each actor's return so far.
    Returns ``(T, N, ...)`` arrays: ``states``, ``next_states`` (s_{t+1},
    the episode's final observation where it ended, before the reset),
    ``actions``, ``log_probs`` (all actions, ``(T, N, A)``), ``rewards``,
    ``terminated``, ``truncated``; and ``ended``: ``(t, return)`` of each
    episode that ended, in order.
    """
    N = len(envs)
    states = np.zeros((T, *obs.shape), np.float32)
    next_states = np.zeros((T, *obs.shape), np.float32)  # s_{t+1}, before resets
    rewards, terminated, truncated = np.zeros((3, T, N), np.float32)
    actions = torch.zeros(T, N, dtype=torch.long)
    log_probs, ended = [], []
    for t in range(T):
        states[t] = obs
        with torch.no_grad():
            logits = policy(torch.from_numpy(obs))  # (N, A)
        actions[t] = sample(logits, g)
        log_probs.append(torch.log_softmax(logits, -1))  # (N, A)
        for i, a in enumerate(actions[t].tolist()):
            o, r, term, trunc, _ = envs[i].step(a)
            next_states[t, i] = o  # the final state if the episode ended
            rewards[t, i] = r
            terminated[t, i], truncated[t, i] = term, trunc
            running[i] += r
            if term or trunc:  # the episode is over: start another
                ended.append((t, running[i]))
                running[i] = 0.0
                o, _ = envs[i].reset()
            obs[i] = o
    return dict(states=states, next_states=next_states, actions=actions,
                log_probs=torch.stack(log_probs), rewards=rewards,
                terminated=terminated, truncated=truncated, ended=ended)
# --8<-- [end:rollout]


# --8<-- [start:ppo]
@single_threaded
def train_ppo(cfg: PPOConfig, progress: bool = False) -> dict:
    """Algorithm 1: sample N·T steps, then K epochs of minibatch Adam steps."""
    torch.manual_seed(cfg.seed)
    g = torch.Generator().manual_seed(cfg.seed)  # actions and minibatches
    policy, value = mlp(4, 2, cfg.hidden), mlp(4, 1, cfg.hidden)
    params = [*policy.parameters(), *value.parameters()]
    opt = torch.optim.Adam(params, lr=cfg.lr, fused=True)  # fused: faster
    envs = [gym.make(ENV_ID) for _ in range(cfg.n_envs)]
    obs = np.stack([e.reset(seed=1000 * cfg.seed + i)[0]
                    for i, e in enumerate(envs)])  # (N, 4)
    log = {"eval_steps": [], "eval_return": [], "episodes": [], "loss": []}
    running = np.zeros(cfg.n_envs)  # return of each actor's current episode
    steps, start, cpu = 0, time.perf_counter(), time.process_time()
    record_evaluation(log, policy, steps, cfg, progress)
    beta = cfg.kl_beta  # the KL arm's penalty coefficient
    while steps < cfg.total_steps:
        T, N = cfg.horizon, cfg.n_envs
        seg = rollout(envs, obs, policy, T, g, running)  # π_θold, T timesteps
        for t, episode_return in seg["ended"]:
            log["episodes"].append([steps + (t + 1) * N, episode_return])
        actions, log_probs = seg["actions"], seg["log_probs"]  # (T, N), (T, N, 2)
        log_prob_old = log_probs.gather(-1, actions[..., None])[..., 0]  # (T, N)
        steps += T * N
        states, next_states, rewards, terminated, truncated = (torch.from_numpy(
            seg[k]) for k in ("states", "next_states", "rewards", "terminated", "truncated"))
        with torch.no_grad():  # compute advantage estimates Â_1 ... Â_T
            v = value(states)[..., 0]  # (T, N)
            v_next = value(next_states)[..., 0]  # (T, N)
        adv, ret = gae(rewards, v, v_next, terminated, truncated,
                       cfg.gamma, cfg.lam)  # (T, N) each
        batch = (states, actions, log_prob_old, log_probs, adv, ret)
        s, a, lp_old, lps_old, adv, ret = (x.flatten(0, 1) for x in batch)  # (N·T, ...)
        # optimise the surrogate L w.r.t. θ, K epochs, minibatch M ≤ NT
        for _ in range(cfg.epochs):
            for idx in torch.randperm(T * N, generator=g).split(cfg.minibatch):
                if cfg.kl_target is None:  # L^CLIP, Eq. (7)
                    loss = ppo_loss(policy(s[idx]), a[idx], lp_old[idx], adv[idx],
                                    value(s[idx])[:, 0], ret[idx], cfg.clip_eps, cfg.vf_coef)
                else:  # L^KLPEN, Eq. (8)
                    loss = kl_penalty_loss(policy(s[idx]), a[idx], lps_old[idx], adv[idx],
                                           value(s[idx])[:, 0], ret[idx], beta, cfg.vf_coef)
                opt.zero_grad()
                loss.backward()
                opt.step()
        if cfg.kl_target is not None:  # d = Ê_t[KL[π_old, π_θ]], then adapt β
            with torch.no_grad():
                log_pi = torch.log_softmax(policy(s), -1)
                d = (lps_old.exp() * (lps_old - log_pi)).sum(-1).mean().item()
            beta = update_beta(beta, d, cfg.kl_target)
            log.setdefault("beta", []).append(beta)
        log["loss"].append(float(f"{loss.item():.6g}"))  # last minibatch's
        if steps // cfg.eval_every > (steps - T * N) // cfg.eval_every:
            record_evaluation(log, policy, steps, cfg, progress)
    log["seconds"] = round(time.perf_counter() - start, 1)
    log["cpu_seconds"] = round(time.process_time() - cpu, 1)
    return {"config": asdict(cfg), **log}
# --8<-- [end:ppo]
