r"""Proximal Policy Optimization on CartPole, against vanilla policy gradient.

Paper: Schulman et al., *Proximal Policy Optimization Algorithms*, 2017,
<https://arxiv.org/abs/1707.06347>. Baseline: REINFORCE (Williams, 1992).

Implements the probability ratio $r_t(\theta)$ (Eq. 6), the clipped surrogate
objective $L^{CLIP}$ (Eq. 7), the squared-error value loss $L^{VF}$ (Eq. 9),
truncated generalized advantage estimation (Eq. 11-12) and Algorithm 1 (PPO,
actor-critic style) with the MuJoCo hyperparameters of Table 3. The baseline,
REINFORCE, is in ``paper2code.case_studies.reinforce``; ``--full`` runs both.

Differences from the paper: CartPole-v1 (two discrete actions, a categorical
policy) instead of MuJoCo (a Gaussian policy); 8 actors of 256 steps instead
of 1 actor of 2,048 (the same 2,048 samples per iteration); 200,000 steps
instead of 10^6. Everything else in Table 3 is used as printed.

    uv run python -m paper2code.case_studies.ppo --full      # minutes; records
    uv run python -m paper2code.case_studies.ppo --dry-run   # seconds
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
from torch import Tensor, nn

__all__ = [
    "PPOConfig", "clipped_surrogate", "evaluate", "gae", "mlp", "ppo_loss",
    "record_evaluation", "sample", "single_threaded", "solved_at", "train_ppo",
]

RECORD = Path(__file__).resolve().parents[3] / "docs" / "data" / "ppo_cartpole.json"
ENV_ID = "CartPole-v1"  # 4 observations, 2 actions, reward 1 per step, 500 steps
SOLVED = 475.0  # CartPole-v1's registered reward threshold


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
    while steps < cfg.total_steps:
        T, N = cfg.horizon, cfg.n_envs
        states = np.zeros((T, N, 4), np.float32)
        next_states = np.zeros((T, N, 4), np.float32)  # s_{t+1}, before resets
        rewards, terminated, truncated = np.zeros((3, T, N), np.float32)
        actions = torch.zeros(T, N, dtype=torch.long)
        log_prob_old = torch.zeros(T, N)
        for t in range(T):  # run the policy π_θold for T timesteps
            states[t] = obs
            with torch.no_grad():
                logits = policy(torch.from_numpy(obs))  # (N, 2)
            actions[t] = sample(logits, g)
            log_prob = torch.log_softmax(logits, -1)  # (N, 2)
            log_prob_old[t] = log_prob[torch.arange(N), actions[t]]
            for i, a in enumerate(actions[t].tolist()):
                o, r, term, trunc, _ = envs[i].step(a)
                next_states[t, i] = o  # the final state if the episode ended
                rewards[t, i] = r
                terminated[t, i], truncated[t, i] = term, trunc
                running[i] += r
                if term or trunc:  # the episode is over: start another
                    log["episodes"].append([steps + (t + 1) * N, running[i]])
                    running[i] = 0.0
                    o, _ = envs[i].reset()
                obs[i] = o
        steps += T * N
        arrays = (states, next_states, rewards, terminated, truncated)
        states, next_states, rewards, terminated, truncated = map(
            torch.from_numpy, arrays)
        with torch.no_grad():  # compute advantage estimates Â_1 ... Â_T
            v = value(states)[..., 0]  # (T, N)
            v_next = value(next_states)[..., 0]  # (T, N)
        adv, ret = gae(rewards, v, v_next, terminated, truncated,
                       cfg.gamma, cfg.lam)  # (T, N) each
        batch = (states, actions, log_prob_old, adv, ret)
        s, a, lp_old, adv, ret = (x.flatten(0, 1) for x in batch)  # (N·T, ...)
        # optimise the surrogate L w.r.t. θ, K epochs, minibatch M ≤ NT
        for _ in range(cfg.epochs):
            for idx in torch.randperm(T * N, generator=g).split(cfg.minibatch):
                loss = ppo_loss(policy(s[idx]), a[idx], lp_old[idx], adv[idx],
                                value(s[idx])[:, 0], ret[idx],
                                cfg.clip_eps, cfg.vf_coef)
                opt.zero_grad()
                loss.backward()
                opt.step()
        log["loss"].append(float(f"{loss.item():.6g}"))  # last minibatch's
        if steps // cfg.eval_every > (steps - T * N) // cfg.eval_every:
            record_evaluation(log, policy, steps, cfg, progress)
    log["seconds"] = round(time.perf_counter() - start, 1)
    log["cpu_seconds"] = round(time.process_time() - cpu, 1)
    return {"config": asdict(cfg), **log}
# --8<-- [end:ppo]


def solved_at(run: dict, threshold: float = SOLVED) -> int | None:
    """The first evaluated step with mean return ≥ ``threshold``, or None."""
    hits = (s for s, r in zip(run["eval_steps"], run["eval_return"], strict=True)
            if r >= threshold)
    return next(hits, None)


def _full_run(job: tuple[str, int]) -> dict:
    """One full-run job, in a worker process: ``(method, seed)``."""
    from paper2code.case_studies.reinforce import PGConfig, train_pg

    method, seed = job
    if method == "ppo":
        return train_ppo(PPOConfig(seed=seed))
    return train_pg(PGConfig(seed=seed, baseline=method == "reinforce_baseline"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="PPO vs REINFORCE on CartPole-v1.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--full", action="store_true", help=f"the full runs; writes {RECORD.name}")
    group.add_argument("--dry-run", action="store_true", help="a tiny run, seconds")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per method (full run)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (full run)")
    args = parser.parse_args(argv)
    for flag in ("seeds", "jobs"):
        if getattr(args, flag) < 1:
            print(f"ppo: --{flag} must be at least 1, not {getattr(args, flag)}", file=sys.stderr)
            return 2
    if args.dry_run:
        run = train_ppo(PPOConfig(total_steps=4096, eval_every=2048, eval_episodes=10), True)
        print(f"dry run done in {run['seconds']} s")
        return 0
    command = "uv run python -m paper2code.case_studies.ppo --full" + (
        f" --seeds {args.seeds}" if args.seeds != 3 else "")
    methods = ("ppo", "reinforce_baseline", "reinforce")  # the longest first
    jobs = [(m, seed) for m in methods for seed in range(args.seeds)]
    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        runs = {}
        for (method, seed), run in zip(jobs, pool.imap(_full_run, jobs), strict=True):
            runs[f"{method}/seed{seed}"] = run
            print(f"{method}, seed {seed}: solved at {solved_at(run)} steps, "
                  f"{run['seconds']} s", flush=True)
    cpu = sum(run["cpu_seconds"] for run in runs.values())
    record = {"command": command, "seconds": round(time.perf_counter() - start, 1),
              "cpu_seconds": round(cpu, 1), "jobs": args.jobs,
              "load_average": [round(x, 1) for x in os.getloadavg()],
              "torch": torch.__version__,
              "gymnasium": gym.__version__, "runs": runs}
    RECORD.write_text(json.dumps(record) + "\n")
    print(f"recorded to {RECORD} in {record['seconds']} s ({cpu:.0f} s of CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
