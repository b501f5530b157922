r"""Case study: *Denoising Diffusion Probabilistic Models* (Ho et al., 2020).

Paper: Ho, Jain & Abbeel, NeurIPS 2020, <https://arxiv.org/abs/2006.11239>.

Implements the linear variance schedule (Section 4: $T = 1000$, $\beta_1 =
10^{-4}$ to $\beta_T = 0.02$), the forward process in closed form
$q(x_t \mid x_0) = \mathcal N(\sqrt{\bar\alpha_t}\,x_0, (1 - \bar\alpha_t) I)$
(Eq. 4), the forward-process posterior (Eqs. 6-7), the reverse mean in the
$\epsilon$-parameterisation (Eq. 11), the simplified loss $L_\text{simple}$
(Eq. 14), Algorithm 1 (training) and Algorithm 2 (sampling) with
$\sigma_t^2 = \beta_t$ or $\sigma_t^2 = \tilde\beta_t$ (Section 3.2).

**Index convention.** The paper counts diffusion steps $t = 1, \dots, T$.
Every schedule tensor here has length $T + 1$ and is indexed by the paper's
$t$: ``beta[t]`` is $\beta_t$. Index 0 holds the values at $t = 0$
($\beta_0 = 0$, $\bar\alpha_0 = 1$, $\tilde\beta_0 = 0$); it is never a step.
The network also receives the paper's $t$.

Differences from the paper: a 2-D mixture of Gaussians (see
``paper2code.case_studies.ddpm_toy``) instead of images, so an MLP instead of
the U-Net; the squared error of Eq. 14 is averaged over the data dimensions
(a constant factor); no exponential moving average of the weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = [
    "EpsMLP", "Schedule", "l_simple", "linear_schedule", "p_mean", "posterior",
    "prior_kl_bits", "q_chain", "q_sample", "sample", "snr", "timestep_embedding",
]


# --8<-- [start:schedule]
@dataclass(frozen=True)
class Schedule:
    """The forward-process constants, each of shape (T + 1,), float64.

    Index ``t`` is the paper's step $t$; index 0 is $t = 0$ (no noise).
    """

    beta: Tensor  # β_t; β_0 = 0
    alpha: Tensor  # α_t = 1 - β_t
    alpha_bar: Tensor  # ᾱ_t = Π_{s=1..t} α_s; ᾱ_0 = 1
    beta_tilde: Tensor  # β̃_t = (1 - ᾱ_{t-1}) / (1 - ᾱ_t) · β_t; β̃_0 = 0

    @property
    def T(self) -> int:
        return len(self.beta) - 1


def linear_schedule(
    T: int = 1000, beta_1: float = 1e-4, beta_T: float = 0.02
) -> Schedule:
    """β_t linear from β_1 to β_T (Section 4), and what it implies."""
    steps = torch.linspace(beta_1, beta_T, T, dtype=torch.float64)
    beta = torch.cat([torch.zeros(1, dtype=torch.float64), steps])  # (T+1,)
    alpha = 1 - beta
    # ᾱ_t = Π_{s=1}^t α_s   (Section 2, above Eq. 4); ᾱ_0 = α_0 = 1
    alpha_bar = torch.cumprod(alpha, dim=0)
    # β̃_t = (1 - ᾱ_{t-1}) / (1 - ᾱ_t) · β_t   (Eq. 7); β̃_1 = 0
    beta_tilde = torch.zeros_like(beta)
    beta_tilde[1:] = (1 - alpha_bar[:-1]) / (1 - alpha_bar[1:]) * beta[1:]
    return Schedule(beta, alpha, alpha_bar, beta_tilde)


def snr(sched: Schedule) -> Tensor:
    """Signal-to-noise ratio of x_t given x_0: ᾱ_t / (1 - ᾱ_t), for t = 1..T."""
    ab = sched.alpha_bar[1:]
    return ab / (1 - ab)


def prior_kl_bits(sched: Schedule, x0_sq: float) -> float:
    r"""$L_T = D_{KL}(q(x_T \mid x_0) \| \mathcal N(0, I))$ per dimension, in bits.

    Args:
        sched: the schedule.
        x0_sq: the mean of $x_0^2$ over the data's dimensions.
    """
    ab = sched.alpha_bar[sched.T].item()
    # KL(N(m, v) || N(0, 1)) = (v + m² - 1 - ln v) / 2, m² = ᾱ x0², v = 1 - ᾱ
    nats = 0.5 * (ab * x0_sq - ab - math.log1p(-ab))
    return nats / math.log(2)
# --8<-- [end:schedule]


# --8<-- [start:forward]
def _at(values: Tensor, t: Tensor, like: Tensor) -> Tensor:
    """``values[t]`` for a batch of steps t (B,), shaped to broadcast with x."""
    out = values.to(like.dtype)[t]  # (B,)
    return out.reshape(-1, *([1] * (like.dim() - 1)))  # (B, 1, ...)


def q_sample(sched: Schedule, x0: Tensor, t: Tensor, eps: Tensor) -> Tensor:
    """x_t = √ᾱ_t x_0 + √(1 - ᾱ_t) ε: a draw from q(x_t | x_0) (Eq. 4)."""
    ab = _at(sched.alpha_bar, t, x0)
    # q(x_t | x_0) = N(√ᾱ_t x_0, (1 - ᾱ_t) I)   (Eq. 4)
    return ab.sqrt() * x0 + (1 - ab).sqrt() * eps


def q_chain(
    sched: Schedule,
    x: Tensor,
    t: int,
    generator: torch.Generator,
    start: int = 0,
) -> Tensor:
    """x_t from x_start: run q(x_s | x_{s-1}) for s = start+1..t (Eq. 2)."""
    for s in range(start + 1, t + 1):
        beta = sched.beta[s].item()
        eps = torch.randn(x.shape, generator=generator, dtype=x.dtype)
        # q(x_s | x_{s-1}) = N(√(1 - β_s) x_{s-1}, β_s I)   (Eq. 2)
        x = math.sqrt(1 - beta) * x + math.sqrt(beta) * eps
    return x


def posterior(
    sched: Schedule, x0: Tensor, xt: Tensor, t: Tensor
) -> tuple[Tensor, Tensor]:
    """Mean and variance of q(x_{t-1} | x_t, x_0) (Eqs. 6-7), for t ≥ 1."""
    ab, ab_prev = _at(sched.alpha_bar, t, x0), _at(sched.alpha_bar, t - 1, x0)
    beta, alpha = _at(sched.beta, t, x0), _at(sched.alpha, t, x0)
    # μ̃_t = √ᾱ_{t-1} β_t/(1-ᾱ_t) x_0 + √α_t (1-ᾱ_{t-1})/(1-ᾱ_t) x_t   (Eq. 7)
    mean = (ab_prev.sqrt() * beta * x0 + alpha.sqrt() * (1 - ab_prev) * xt) / (
        1 - ab
    )
    return mean, _at(sched.beta_tilde, t, x0).expand_as(mean)
# --8<-- [end:forward]


# --8<-- [start:model]
def timestep_embedding(t: Tensor, dim: int) -> Tensor:
    """Sinusoidal embedding of the step t (B,) -> (B, dim), as in Transformers"""
    half = dim // 2
    freqs = torch.exp(-math.log(10_000) * torch.arange(half) / half)  # (half,)
    angles = t.float()[:, None] * freqs[None]  # (B, half)
    return torch.cat([angles.sin(), angles.cos()], dim=1)  # (B, dim)


class EpsMLP(nn.Module):
    """ε_θ(x_t, t): predicts the noise in x_t; a residual MLP for 2-D data.

    The step's embedding is added to the first hidden layer, as the paper's
    U-Net adds it inside each residual block (Appendix B).
    """

    def __init__(self, dim: int = 2, hidden: int = 128, t_dim: int = 32):
        super().__init__()
        self.t_dim = t_dim
        self.inp = nn.Linear(dim, hidden)
        self.temb = nn.Sequential(
            nn.Linear(t_dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden)
        )
        self.blocks = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(3))
        self.out = nn.Linear(hidden, dim)

    def forward(self, x: Tensor, t: Tensor) -> Tensor:
        emb = timestep_embedding(t, self.t_dim)  # (B, t_dim)
        h = self.inp(x) + self.temb(emb)  # (B, hidden)
        for block in self.blocks:
            h = h + block(F.silu(h))  # (B, hidden)
        return self.out(F.silu(h))  # (B, dim)
# --8<-- [end:model]


# --8<-- [start:loss]
def l_simple(
    model: nn.Module, sched: Schedule, x0: Tensor, generator: torch.Generator
) -> Tensor:
    """One Monte Carlo estimate of L_simple (Eq. 14): Algorithm 1, lines 2-5."""
    B = x0.shape[0]
    # t ~ Uniform({1, ..., T})   (Algorithm 1, line 3)
    t = torch.randint(1, sched.T + 1, (B,), generator=generator)
    # ε ~ N(0, I)   (Algorithm 1, line 4)
    eps = torch.randn(x0.shape, generator=generator)
    x_t = q_sample(sched, x0, t, eps)
    # ‖ε − ε_θ(√ᾱ_t x_0 + √(1−ᾱ_t) ε, t)‖²   (Eq. 14), mean over dimensions
    return ((eps - model(x_t, t)) ** 2).mean()
# --8<-- [end:loss]


# --8<-- [start:sample]
def p_mean(sched: Schedule, xt: Tensor, t: Tensor, eps: Tensor) -> Tensor:
    """μ_θ(x_t, t) from a predicted noise ε (Eq. 11)."""
    alpha, ab = _at(sched.alpha, t, xt), _at(sched.alpha_bar, t, xt)
    # μ_θ = 1/√α_t · (x_t − β_t / √(1 − ᾱ_t) · ε_θ(x_t, t))   (Eq. 11)
    return (xt - (1 - alpha) / (1 - ab).sqrt() * eps) / alpha.sqrt()


@torch.no_grad()
def sample(
    model: nn.Module,
    sched: Schedule,
    n: int,
    generator: torch.Generator,
    variance: Literal["beta", "beta_tilde"] = "beta",
    dim: int = 2,
) -> Tensor:
    """Algorithm 2: n samples x_0; σ_t² = β_t or σ_t² = β̃_t (Section 3.2)."""
    sigma2 = sched.beta if variance == "beta" else sched.beta_tilde
    # x_T ~ N(0, I)   (Algorithm 2, line 1)
    x = torch.randn(n, dim, generator=generator)
    for t in range(sched.T, 0, -1):  # t = T, ..., 1   (line 2)
        t_batch = torch.full((n,), t, dtype=torch.long)
        # z ~ N(0, I) if t > 1, else z = 0   (line 3)
        z = torch.randn(n, dim, generator=generator) if t > 1 else 0 * x
        # x_{t-1} = μ_θ(x_t, t) + σ_t z   (line 4)
        x = p_mean(sched, x, t_batch, model(x, t_batch)) + sigma2[t].sqrt() * z
    return x  # (n, dim)
# --8<-- [end:sample]
