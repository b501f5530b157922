"""Exercises from the case studies: LoRA, DDPM, PPO (ResNet: :mod:`paper2code.exercises.resnet`)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from paper2code.case_studies.ddpm import linear_schedule, posterior, q_sample
from paper2code.case_studies.lora import LoRALinear
from paper2code.case_studies.ppo import clipped_surrogate, gae
from paper2code.exercises.common import F64, build, gen, randn
from paper2code.exercises.engine import Bug, Case, Spec

LORA = "LoRA § The implementation"
DDPM = "DDPM § The bugs these checks catch"
PPO_GAE = "PPO § Gymnasium's two flags: terminated and truncated"
PPO_LOSS = "PPO § Checks against references"


# --- LoRA ----------------------------------------------------------------------------------


def _lora_cases() -> list[Case]:
    g = gen(10)
    return [Case("square, r 3, alpha 1", (4, 4, 3, 1.0, True, randn(g, 1, 4))),
            Case("r 2, alpha 16", (5, 4, 2, 16.0, True, randn(g, 3, 5))),
            Case("alpha None (scale 1)", (5, 4, 2, None, True, randn(g, 3, 5))),
            Case("r 1, no bias", (6, 3, 1, 4.0, False, randn(g, 2, 6)))]


def _run_lora(impl, c: Case) -> list[Tensor]:
    k, d, r, alpha, bias, x = c.args
    base = nn.Linear(k, d, bias=bias)
    module = build(impl, LoRALinear, base, r, alpha)
    merged = module.merged()
    no_bias = torch.zeros(0, dtype=merged.weight.dtype)
    return [module(x), merged.weight, merged(x), no_bias if merged.bias is None else merged.bias]


def _lora(scale=lambda r, a: (a if a is not None else r) / r, forward_scaled=True, keep_bias=True, transpose=False):
    class Buggy(LoRALinear):
        def __init__(self, base, r, alpha=None):
            super().__init__(base, r, alpha)
            self.scale = scale(r, alpha)

        def forward(self, x):
            return self.base(x) + (x @ self.A.T @ self.B.T) * (self.scale if forward_scaled else 1.0)

        def delta_weight(self):
            return (self.A.T @ self.B.T if transpose else self.B @ self.A) * self.scale

        @torch.no_grad()
        def merged(self):
            w = self.base.weight
            out = nn.Linear(w.size(1), w.size(0), bias=keep_bias and self.base.bias is not None, dtype=w.dtype)
            out.weight.copy_(w + self.delta_weight())
            if out.bias is not None:
                out.bias.copy_(self.base.bias)
            return out

    return Buggy


LORA_SPEC = Spec(
    name="lora",
    reference=LoRALinear,
    cases=_lora_cases,
    run=_run_lora,
    bugs=(
        Bug("scale r/alpha instead of alpha/r", LORA, _lora(scale=lambda r, a: r / (a if a is not None else r))),
        Bug("scale alpha/r in the merged weight but not in forward", LORA, _lora(forward_scaled=False)),
        Bug("the merged layer drops the base bias", LORA, _lora(keep_bias=False)),
        Bug("ΔW = Aᵀ Bᵀ: the transpose of B A", LORA, _lora(transpose=True)),
    ),
)


# --- DDPM: q(x_t | x_0) and the posterior ---------------------------------------------------


def _ddpm_cases() -> list[Case]:
    g, sched = gen(11), linear_schedule(1000)
    t = torch.tensor([1, 10, 500, 1000])
    return [
        Case("t = 1, 10, 500, 1000", (sched, randn(g, 4, 2), t, randn(g, 4, 2))),
        Case("images (B, C, H, W)", (sched, randn(g, 2, 3, 4, 4), torch.tensor([3, 700]), randn(g, 2, 3, 4, 4))),
        Case("batch of 1 at t = 2", (sched, randn(g, 1, 3), torch.tensor([2]), randn(g, 1, 3))),
        Case("float32", (sched, randn(g, 4, 2, dtype=torch.float32), t, randn(g, 4, 2, dtype=torch.float32))),
    ]


def _at(values, t, like):
    return values.to(like.dtype)[t].reshape(-1, *([1] * (like.dim() - 1)))


def _q(which="alpha_bar", sqrt_x0=True, sqrt_noise=True, shift=0):
    def sample(sched, x0, t, eps):
        a = _at(getattr(sched, which), t - shift, x0)
        return (a.sqrt() if sqrt_x0 else a) * x0 + ((1 - a).sqrt() if sqrt_noise else 1 - a) * eps

    return sample


Q_SAMPLE = Spec(
    name="q_sample",
    reference=q_sample,
    cases=_ddpm_cases,
    bugs=(
        Bug("alpha_t where alpha_bar_t belongs (one step of noise, not t)", DDPM, _q(which="alpha")),
        Bug("noise scaled by the variance 1 - alpha_bar_t, not its square root", DDPM, _q(sqrt_noise=False)),
        Bug("x_0 scaled by alpha_bar_t, not its square root", DDPM, _q(sqrt_x0=False)),
        Bug("off by one: alpha_bar_{t-1} used for step t", DDPM, _q(shift=1)),
    ),
)


def _posterior(variance="beta_tilde", swap=False, prev=True, expand=True):
    def post(sched, x0, xt, t):
        ab, ab_prev = _at(sched.alpha_bar, t, x0), _at(sched.alpha_bar, t - 1 if prev else t, x0)
        beta, alpha = _at(sched.beta, t, x0), _at(sched.alpha, t, x0)
        a, b = (xt, x0) if swap else (x0, xt)
        mean = (ab_prev.sqrt() * beta * a + alpha.sqrt() * (1 - ab_prev) * b) / (1 - ab)
        var = _at(getattr(sched, variance), t, x0)
        return mean, var.expand_as(mean) if expand else var

    return post


POSTERIOR = Spec(
    name="posterior",
    reference=lambda sched, x0, xt, t: posterior(sched, x0, xt, t),
    cases=lambda: [Case(c.label, (c.args[0], c.args[1], c.args[3], c.args[2])) for c in _ddpm_cases()],
    bugs=(
        Bug("variance beta_t instead of beta_tilde_t", DDPM, _posterior(variance="beta")),
        Bug("the coefficients of x_0 and x_t swapped", DDPM, _posterior(swap=True)),
        Bug("alpha_bar_t where alpha_bar_{t-1} belongs", DDPM, _posterior(prev=False)),
        Bug("variance of shape (B, 1, ...), not broadcast to the mean's shape", DDPM, _posterior(expand=False)),
    ),
)


# --- PPO: GAE and the clipped loss ------------------------------------------------------------


def _gae_cases() -> list[Case]:
    g = gen(12)
    T, N = 6, 2

    def episode(term=(), trunc=(), dtype=F64, t=T):
        terminated, truncated = torch.zeros(t, N, dtype=dtype), torch.zeros(t, N, dtype=dtype)
        for s, n in term:
            terminated[s, n] = 1.0
        for s, n in trunc:
            truncated[s, n] = 1.0
        return (randn(g, t, N, dtype=dtype), randn(g, t, N, dtype=dtype), randn(g, t, N, dtype=dtype),
                terminated, truncated, 0.9, 0.8)

    return [
        Case("no episode ends", episode()),
        Case("terminated at step 2 of actor 0", episode(term=[(2, 0)])),
        Case("truncated at step 3 of actor 1", episode(trunc=[(3, 1)])),
        Case("both, and an end at the last step", episode(term=[(1, 1), (5, 0)], trunc=[(3, 0)])),
        Case("one step", episode(term=[(0, 1)], t=1)),
        Case("float32", episode(trunc=[(2, 0)], dtype=torch.float32)),
        Case("terminated and truncated both set at step 2", episode(term=[(2, 1)], trunc=[(2, 1)])),
    ]


def _gae(stop_on_truncation=False, bootstrap_terminal=False, reset=True, use_lam=True, add_values=True,
         next_flags=False, td_returns=False):
    def advantages(rewards, values, next_values, terminated, truncated, gamma, lam):
        out, running = torch.zeros_like(rewards), torch.zeros_like(rewards[0])
        if next_flags:  # flags of step t+1 (zero after the last step)
            terminated = torch.cat((terminated[1:], torch.zeros_like(terminated[:1])))
            truncated = torch.cat((truncated[1:], torch.zeros_like(truncated[:1])))
        for t in reversed(range(rewards.shape[0])):
            dead = torch.maximum(terminated[t], truncated[t]) if stop_on_truncation else terminated[t]
            keep = torch.ones_like(dead) if bootstrap_terminal else 1.0 - dead
            delta = rewards[t] + gamma * next_values[t] * keep - values[t]
            ended = torch.maximum(terminated[t], truncated[t]) if reset else torch.zeros_like(dead)
            running = delta + gamma * (lam if use_lam else 1.0) * (1.0 - ended) * running
            out[t] = running
        if td_returns:
            return out, rewards + gamma * next_values * (1.0 - terminated)
        return out, out + values if add_values else out

    return advantages


def _gae_hints(case, got, want, diff) -> list[str]:
    if len(got) != 2 or got[0].shape != want[0].shape or got[0].dtype != want[0].dtype:
        return []
    adv = got[0].double()
    if adv.numel() > 2 and abs(adv.mean().item()) < 1e-6 and abs(adv.std().item() - 1) < 1e-6:
        return ["your advantages have mean 0 and standard deviation 1: standardising them belongs in the PPO "
                "loss, not in gae"]
    if adv.shape[0] > 1 and not adv[-1].any() and want[0][-1].any():
        return ["the advantages of the last step (t = T-1) are 0: the backward loop must start at T-1"]
    if "both set" in case.label:
        return ["the cases with one flag passed; here terminated and truncated are both 1 at one step: the "
                "continuation must be 0 there (1 - max(terminated, truncated), not 1 - terminated - truncated = -1)"]
    return []


GAE = Spec(
    name="gae",
    reference=gae,
    cases=_gae_cases,
    bugs=(
        Bug("truncation treated as termination: the value after a time limit is not bootstrapped", PPO_GAE,
            _gae(stop_on_truncation=True)),
        Bug("a terminal state's value bootstrapped: V(terminal) must be 0", PPO_GAE, _gae(bootstrap_terminal=True)),
        Bug("the sum runs across episode boundaries (not reset where an episode ends)", PPO_GAE, _gae(reset=False)),
        Bug("lambda left out: gamma instead of gamma·lambda in the recursion", PPO_GAE, _gae(use_lam=False)),
        Bug("returns = advantages: the value targets need + V(s_t)", PPO_GAE, _gae(add_values=False)),
        Bug("the chain cut with the done flags of step t+1, one step late", PPO_GAE, _gae(next_flags=True)),
        Bug("returns = the one-step TD target r + gamma V(s'), not advantages + V(s)", PPO_GAE, _gae(td_returns=True)),
    ),
    grad_cases=("both, and an end at the last step",),
    grad_inputs=(0, 1, 2),
    outputs=("advantages", "returns"),
    diagnose=_gae_hints,
    inputs=("rewards", "values", "next_values", "terminated", "truncated", "gamma", "lam"),
)


def _ppo_cases() -> list[Case]:
    g = gen(13)
    old = randn(g, 8, scale=0.5) - 1.0
    return [
        Case("ratios from 0.5 to 1.6, mixed advantages", (old + randn(g, 8, scale=0.3), old, randn(g, 8), 0.2)),
        Case("ratio 1 everywhere", (old.clone(), old, randn(g, 8), 0.2)),
        Case("large ratios, eps 0.1", (old + 2.0 * torch.tensor([1.0, -1] * 4, dtype=F64), old, randn(g, 8), 0.1)),
        Case("batch of 1", (old[:1] + 0.5, old[:1], torch.tensor([-1.5], dtype=F64), 0.2)),
    ]


def _ppo(combine=torch.minimum, ratio=lambda lp, old: torch.exp(lp - old), sign=1.0, clip_advantage=False):
    def objective(log_prob, log_prob_old, advantage, eps):
        r = ratio(log_prob, log_prob_old.detach())
        if clip_advantage:
            return sign * combine(r * advantage, r * advantage.clamp(1 - eps, 1 + eps)).mean()
        return sign * combine(r * advantage, r.clamp(1 - eps, 1 + eps) * advantage).mean()

    return objective


PPO_CLIP = Spec(
    name="ppo_clip",
    reference=clipped_surrogate,
    cases=_ppo_cases,
    bugs=(
        Bug("max instead of min: the objective is no longer a pessimistic bound", PPO_LOSS, _ppo(combine=torch.maximum)),
        Bug("ratio inverted: pi_old / pi_theta", PPO_LOSS, _ppo(ratio=lambda lp, old: torch.exp(old - lp))),
        Bug("sign flipped: returns the loss -L^CLIP, not the objective L^CLIP", PPO_LOSS, _ppo(sign=-1.0)),
        Bug("the advantage clipped instead of the ratio", PPO_LOSS, _ppo(clip_advantage=True)),
    ),
    grad_cases=("ratios from 0.5 to 1.6, mixed advantages",),
    grad_inputs=(0,),
)


SPECS = (LORA_SPEC, Q_SAMPLE, POSTERIOR, GAE, PPO_CLIP)
