r"""Losses from four families of papers, each written from its equation.

* **Label smoothing** — Szegedy et al., 2016, <https://arxiv.org/abs/1512.00567>,
  Section 7, used by Vaswani et al. (Section 5.4, $\epsilon_{ls} = 0.1$): the
  target distribution is $q' = (1 - \epsilon)\,\delta_{y} + \epsilon / K$ over
  $K$ classes, and the loss is the cross-entropy $-\sum_k q'_k \log p_k$.
* **NT-Xent (InfoNCE)** — Chen et al., *SimCLR*, 2020,
  <https://arxiv.org/abs/2002.05709>, Eq. (1): for a positive pair $(i, j)$
  among $2N$ augmented views,
  $\ell_{i,j} = -\log \frac{\exp(\mathrm{sim}(z_i, z_j)/\tau)}
  {\sum_{k \ne i} \exp(\mathrm{sim}(z_i, z_k)/\tau)}$, averaged over all $2N$
  anchors, with cosine similarity.
* **VAE evidence lower bound** — Kingma & Welling, 2014,
  <https://arxiv.org/abs/1312.6114>, Eq. (10) and Appendix B: with
  $q(z|x) = \mathcal N(\mu, \sigma^2)$ and prior $\mathcal N(0, I)$,
  $-D_{KL} = \tfrac12 \sum_j \left(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\right)$.
* **REINFORCE with a baseline** — Williams, 1992; Sutton & Barto, 2018,
  Section 13.4: $\nabla J = \mathbb E\left[\sum_t (G_t - b)\,\nabla \log \pi(a_t|s_t)\right]$
  with returns $G_t = \sum_{k \ge t} \gamma^{k-t} r_k$. The loss we minimise is
  the *negative* of that objective.

Differences from the papers: label smoothing spreads $\epsilon$ over all $K$
classes including the true one, as PyTorch does (Szegedy et al. write the same
$u(k) = 1/K$); the β-weighted ELBO (Higgins et al., 2017) is offered through
``beta``, 1 by default.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "discounted_returns",
    "gaussian_kl",
    "label_smoothed_cross_entropy",
    "nt_xent",
    "reinforce_loss",
    "vae_loss",
]


# --8<-- [start:label_smoothing]
def label_smoothed_cross_entropy(
    logits: Tensor, target: Tensor, smoothing: float = 0.1, ignore_index: int = -100
) -> Tensor:
    r"""Cross-entropy against $q' = (1-\epsilon)\,\delta_y + \epsilon/K$, mean over kept targets.

    Args:
        logits: ``(N, K)`` unnormalised scores.
        target: ``(N,)`` class indices.
        smoothing: $\epsilon$; 0 gives plain cross-entropy.
        ignore_index: Targets with this value (padding) do not count.
    """
    log_p = torch.log_softmax(logits, dim=-1)  # (N, K)
    keep = target != ignore_index
    log_p, target = log_p[keep], target[keep]
    nll = -log_p.gather(-1, target[:, None]).squeeze(-1)  # -log p_y
    uniform = -log_p.mean(dim=-1)  # -(1/K) Σ_k log p_k
    return ((1.0 - smoothing) * nll + smoothing * uniform).mean()
# --8<-- [end:label_smoothing]


# --8<-- [start:nt_xent]
def nt_xent(z1: Tensor, z2: Tensor, temperature: float = 0.5) -> Tensor:
    r"""SimCLR's NT-Xent loss, Eq. (1), for ``N`` positive pairs ``(z1[i], z2[i])``.

    Args:
        z1: ``(N, D)`` projections of the first views.
        z2: ``(N, D)`` projections of the second views.
        temperature: $\tau$.

    Returns:
        The mean of $\ell_{i,j}$ over all $2N$ anchors.
    """
    n = z1.size(0)
    z = F.normalize(torch.cat([z1, z2]), dim=-1)  # (2N, D), unit norm: dot = cosine
    sim = z @ z.T / temperature  # (2N, 2N): sim(z_i, z_k)/τ
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))  # k ≠ i
    positive = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)  # j(i)
    return F.cross_entropy(sim, positive)  # -log softmax at the positive, averaged
# --8<-- [end:nt_xent]


# --8<-- [start:vae]
def gaussian_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    r"""$D_{KL}(\mathcal N(\mu, \sigma^2)\,\|\,\mathcal N(0, 1))$ per element (Appendix B).

    Parameterised by $\log\sigma^2$, as encoders output it, for numerical range.
    """
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def vae_loss(
    recon_logits: Tensor, x: Tensor, mu: Tensor, logvar: Tensor, beta: float = 1.0
) -> tuple[Tensor, Tensor, Tensor]:
    r"""Negative ELBO for Bernoulli data, summed over dimensions, averaged over the batch.

    Returns:
        ``(loss, reconstruction, kl)``, where ``loss = reconstruction + beta * kl``.
    """
    batch = x.size(0)
    recon = F.binary_cross_entropy_with_logits(recon_logits, x, reduction="sum") / batch  # -E[log p(x|z)]
    kl = gaussian_kl(mu, logvar).sum() / batch  # D_KL(q(z|x) || p(z))
    return recon + beta * kl, recon, kl
# --8<-- [end:vae]


# --8<-- [start:reinforce]
def discounted_returns(rewards: Tensor, gamma: float) -> Tensor:
    r"""$G_t = r_t + \gamma G_{t+1}$ along the last dimension (one episode per row).

    Examples:
        >>> discounted_returns(torch.tensor([1.0, 1.0, 1.0]), gamma=0.5)
        tensor([1.7500, 1.5000, 1.0000])
    """
    returns = torch.empty_like(rewards)
    running = torch.zeros_like(rewards[..., 0])
    for t in range(rewards.size(-1) - 1, -1, -1):  # backwards in time
        running = rewards[..., t] + gamma * running
        returns[..., t] = running
    return returns


def reinforce_loss(
    log_probs: Tensor, returns: Tensor, baseline: Tensor | float = 0.0, normalize: bool = True
) -> Tensor:
    r"""$-\frac{1}{N}\sum (G_t - b)\log\pi(a_t|s_t)$: minimising it ascends the return.

    Args:
        log_probs: $\log\pi(a_t|s_t)$ of the actions taken, any shape.
        returns: $G_t$, the same shape.
        baseline: $b$, a constant or a tensor (e.g. a value estimate). It is
            detached: the baseline reduces variance, it is not trained here.
        normalize: Standardise the advantages to mean 0 and standard deviation
            1 over the batch, a common variance reduction.
    """
    advantage = (returns - baseline).detach()  # the advantage is a weight, not a path for gradients
    if normalize and advantage.numel() > 1:
        advantage = (advantage - advantage.mean()) / (advantage.std() + 1e-8)
    return -(advantage * log_probs).mean()  # minus: optimisers minimise, REINFORCE ascends
# --8<-- [end:reinforce]
