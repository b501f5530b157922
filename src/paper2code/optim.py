r"""Adam, AdamW and two learning-rate schedules, from their papers.

**Adam** — Kingma & Ba, 2015, <https://arxiv.org/abs/1412.6980>, Algorithm 1,
for each parameter $\theta$ with gradient $g_t$ at step $t$:

$$
\begin{aligned}
m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2 \\
\hat m_t &= m_t / (1 - \beta_1^t) \\
\hat v_t &= v_t / (1 - \beta_2^t) \\
\theta_t &= \theta_{t-1} - \alpha\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)
\end{aligned}
$$

**AdamW** — Loshchilov & Hutter, 2019, <https://arxiv.org/abs/1711.05101>,
Algorithm 2: the weight decay is *decoupled* from the gradient,
$\theta_t = \theta_{t-1} - \eta_t\left(\alpha\,\hat m_t / (\sqrt{\hat v_t} + \epsilon)
+ \lambda\,\theta_{t-1}\right)$, instead of being added to $g_t$ (which is L2
regularisation, and which Adam then rescales per coordinate).

**Warm-up schedule** — Vaswani et al., 2017, Eq. (3):
$\mathrm{lrate} = d_{model}^{-0.5} \cdot \min(\mathrm{step}^{-0.5},\;
\mathrm{step} \cdot \mathrm{warmup\_steps}^{-1.5})$, which rises linearly for
``warmup_steps`` steps and then decays as $1/\sqrt{\mathrm{step}}$.

**Cosine with warm-up** — the cosine is Loshchilov & Hutter, *SGDR*, 2017,
<https://arxiv.org/abs/1608.03983>, Eq. (5) without its warm restarts; the
linear warm-up before it is the gradual warm-up of Goyal et al., 2017,
<https://arxiv.org/abs/1706.02677>.

Differences from the papers: with ``weight_decay`` > 0, ``Adam`` adds
$\lambda\theta$ to the gradient (L2), as ``torch.optim.Adam`` does; Algorithm 1
has no decay. In ``AdamW`` the decay is multiplied by the learning rate
($\eta_t = \alpha$), as in ``torch.optim.AdamW``; the paper keeps a separate
schedule multiplier $\eta_t$.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import Tensor

__all__ = ["Adam", "AdamW", "cosine_with_warmup", "transformer_lr"]


# --8<-- [start:adam]
class Adam(torch.optim.Optimizer):
    """Adam, line by line as Algorithm 1 of Kingma & Ba.

    Args:
        params: Parameters or parameter groups.
        lr: Step size α (0.001 in the paper).
        betas: (β1, β2), decay rates of the moment estimates (0.9, 0.999).
        eps: ε (1e-8).
        weight_decay: λ. Adam adds λθ to the gradient (L2); AdamW decays the
            weights directly. 0 gives the paper's Adam.
    """

    decoupled = False  # AdamW sets True

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        if lr < 0 or eps < 0 or weight_decay < 0 or not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(
                f"invalid hyperparameters lr={lr}, betas={betas}, eps={eps}, weight_decay={weight_decay}"
            )
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            alpha, (beta1, beta2), eps, lam = (
                group["lr"], group["betas"], group["eps"], group["weight_decay"]
            )
            for theta in group["params"]:
                if theta.grad is None:
                    continue
                g = theta.grad
                if lam and self.decoupled:
                    theta.mul_(1 - alpha * lam)  # AdamW: θ ← θ - α·λ·θ, outside the gradient
                elif lam:
                    g = g + lam * theta  # Adam + L2: the decay goes through the gradient
                state = self.state[theta]
                if not state:
                    state["t"] = 0
                    state["m"] = torch.zeros_like(theta)  # m_0 = 0
                    state["v"] = torch.zeros_like(theta)  # v_0 = 0
                state["t"] += 1
                t, m, v = state["t"], state["m"], state["v"]
                m.mul_(beta1).add_(g, alpha=1 - beta1)  # m_t = β1·m_{t-1} + (1-β1)·g_t
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)  # v_t = β2·v_{t-1} + (1-β2)·g_t²
                m_hat = m / (1 - beta1**t)  # m̂_t = m_t / (1 - β1^t)
                v_hat = v / (1 - beta2**t)  # v̂_t = v_t / (1 - β2^t)
                denom = v_hat.sqrt_().add_(eps)  # √v̂_t + ε, in place: no more temporaries
                theta.addcdiv_(m_hat, denom, value=-alpha)  # θ_t = θ_{t-1} - α·m̂_t/(√v̂_t + ε)
        return loss
# --8<-- [end:adam]


# --8<-- [start:adamw]
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, Algorithm 2).

    The decay shrinks the weights directly, ``θ ← θ - α·λ·θ``, so it is not
    rescaled by ``1/√v̂`` as an L2 term in the gradient would be.
    """

    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, betas, eps, weight_decay)
# --8<-- [end:adamw]


# --8<-- [start:schedules]
def transformer_lr(step: int, d_model: int = 512, warmup_steps: int = 4000) -> float:
    r"""Equation (3) of Vaswani et al.; ``step`` counts from 1.

    Examples:
        >>> round(transformer_lr(4000), 7)  # the peak, at step = warmup_steps
        0.0006988
    """
    if step < 1:
        raise ValueError(f"step counts from 1, got {step}")
    return d_model**-0.5 * min(step**-0.5, step * warmup_steps**-1.5)


def cosine_with_warmup(
    step: int,
    base_lr: float,
    warmup_steps: int,
    total_steps: int,
    min_lr: float = 0.0,
    warmup_start_factor: float = 0.0,
) -> float:
    r"""Linear warm-up to ``base_lr``, then cosine decay to ``min_lr`` at ``total_steps``.

    During warm-up (``step < warmup_steps``) the rate is
    ``base_lr · (s + (1 - s)·step/warmup_steps)`` with ``s = warmup_start_factor``;
    after it, with $T_{cur} = \mathrm{step} - \mathrm{warmup}$ and
    $T = \mathrm{total} - \mathrm{warmup}$:
    $\eta_{min} + \tfrac12(\eta_{max} - \eta_{min})(1 + \cos(\pi T_{cur}/T))$ (SGDR, Eq. 5).
    ``step`` counts from 0, as ``torch.optim.lr_scheduler`` does.
    """
    if step < warmup_steps:
        s = warmup_start_factor
        return base_lr * (s + (1.0 - s) * step / warmup_steps)
    t_cur = min(step - warmup_steps, total_steps - warmup_steps)
    t_max = total_steps - warmup_steps
    return min_lr + 0.5 * (base_lr - min_lr) * (1.0 + math.cos(math.pi * t_cur / t_max))
# --8<-- [end:schedules]
