r"""Case study: *Nested Learning* (Behrouz et al., NeurIPS 2025), the seed documents' example.

Paper: https://arxiv.org/abs/2512.24695

Two pieces, each checked numerically rather than against official code
(there is none):

**Delta gradient descent for a linear memory.** For a memory $W$ that maps a
normalised key $x$ ($\lVert x \rVert = 1$) to $y = Wx$, with the gradient
$\nabla_y \mathcal{L}$ of an inner loss at $y$, the update is

$$
W_{t+1} = W_t\,(I - \eta' x x^\top) - \eta'\, \nabla_y \mathcal{L}\, x^\top,
\qquad \eta' = \frac{\eta}{1 + \eta}.
$$

It is the exact minimiser of (our derivation, not the paper's)

$$
F(W) = \langle \nabla_y \mathcal{L},\, W x\rangle + \tfrac12 \lVert W x \rVert^2
+ \tfrac{1}{2\eta} \lVert W - W_t \rVert_F^2 :
$$

setting $\nabla F = 0$ gives $W(xx^\top + I/\eta) = W_t/\eta - \nabla_y\mathcal{L}\,x^\top$,
and the Sherman–Morrison formula inverts $xx^\top + I/\eta$ when $\lVert x \rVert = 1$.
An explicit gradient step on the first two terms of $F$ at $W_t$,
$W_t - \eta(\nabla_y\mathcal{L} + W_t x)x^\top$, has the same form with $\eta$
in place of $\eta'$: DGD is the implicit (proximal) step, a damped explicit
one, and stays stable for every $\eta > 0$ (``gd_update`` is the explicit step).

Differences from the paper: the proximal objective F is derived here; the way a
CMS level combines its gradients (the mean over its period) is our choice.

**The continuum memory system (CMS).** A chain of MLP blocks, each updated
at its own frequency: level $\ell$ applies its accumulated gradient every
$C_\ell$ steps, so fast levels adapt to the recent context and slow levels
keep what persists.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["ContinuumMemory", "dgd_minimiser", "dgd_objective", "dgd_update", "gd_update"]


# --8<-- [start:dgd]
def dgd_update(W: Tensor, x: Tensor, grad_y: Tensor, eta: float) -> Tensor:
    """One delta-gradient-descent step: W(I - η' x xᵀ) - η' ∇_y L xᵀ, for a unit-norm key x."""
    eta_p = eta / (1.0 + eta)  # η' = η / (1 + η)
    eye = torch.eye(W.size(1), dtype=W.dtype)
    return W @ (eye - eta_p * torch.outer(x, x)) - eta_p * torch.outer(grad_y, x)


def dgd_objective(W: Tensor, W_t: Tensor, x: Tensor, grad_y: Tensor, eta: float) -> Tensor:
    """F(W) = <∇_y L, Wx> + ½‖Wx‖² + (1/2η)‖W - W_t‖²_F."""
    y = W @ x
    return grad_y @ y + 0.5 * y @ y + 0.5 / eta * (W - W_t).pow(2).sum()


def dgd_minimiser(W_t: Tensor, x: Tensor, grad_y: Tensor, eta: float) -> Tensor:
    """argmin F by solving ∇F = 0 directly: W (x xᵀ + I/η) = W_t/η - ∇_y L xᵀ (no Sherman–Morrison)."""
    k = W_t.size(1)
    M = torch.outer(x, x) + torch.eye(k, dtype=W_t.dtype) / eta  # symmetric
    rhs = W_t / eta - torch.outer(grad_y, x)
    return torch.linalg.solve(M, rhs.T).T  # W M = rhs  <=>  M Wᵀ = rhsᵀ


def gd_update(W: Tensor, x: Tensor, grad_y: Tensor, eta: float) -> Tensor:
    """Explicit gradient step on ⟨∇_y L, Wx⟩ + ½‖Wx‖²: W - η(∇_y L + Wx)xᵀ."""
    return W - eta * torch.outer(grad_y + W @ x, x)
# --8<-- [end:dgd]


# --8<-- [start:cms]
class ContinuumMemory(nn.Module):
    """A chain of residual MLP blocks; block ℓ is updated once every ``periods[ℓ]`` steps.

    Args:
        d: Width of the stream.
        periods: The update period C_ℓ of each level, fastest first, e.g. (1, 4, 16).
        hidden: Hidden width of each block.
        lr: Learning rate of the levels' (plain SGD) updates.
    """

    def __init__(self, d: int, periods: tuple[int, ...] = (1, 4, 16), hidden: int = 32, lr: float = 0.05):
        super().__init__()
        self.periods, self.lr, self.t = periods, lr, 0
        self.levels = nn.ModuleList(
            nn.Sequential(nn.Linear(d, hidden), nn.GELU(), nn.Linear(hidden, d)) for _ in periods
        )
        # Gradients summed since each level's last update (made at the first
        # step, so that they follow the parameters' dtype and device).
        self._acc: list[list[Tensor]] = []

    def forward(self, x: Tensor) -> Tensor:
        for level in self.levels:  # slow levels see what the fast ones made of the input
            x = x + level(x)
        return x

    @torch.no_grad()
    def step(self) -> list[int]:
        """After ``backward()``: accumulate every level's gradient; update the levels that are due.

        Returns the indices of the levels updated at this step.
        """
        self.t += 1
        updated = []
        if not self._acc:
            self._acc = [
                [torch.zeros_like(p) for p in lv.parameters()] for lv in self.levels
            ]
        for i, (level, acc, period) in enumerate(zip(self.levels, self._acc, self.periods, strict=True)):
            for p, a in zip(level.parameters(), acc, strict=True):
                if p.grad is not None:
                    a += p.grad
                    p.grad = None
            if self.t % period == 0:  # level ℓ's turn: every C_ℓ steps
                for p, a in zip(level.parameters(), acc, strict=True):
                    p -= self.lr * a / period  # the mean gradient over its chunk
                    a.zero_()
                updated.append(i)
        return updated
# --8<-- [end:cms]
