r"""The debugging gauntlet: tools that find the bug when a model will not learn.

Each tool answers one question, in the order to ask them:

1. [`overfit`][paper2code.diagnostics.debug.overfit]: can the model memorise 1, 10,
   100 examples? If not, the bug is in the model or the gradients, not the data.
2. [`gradcheck_module`][paper2code.diagnostics.debug.gradcheck_module]: does autograd's
   gradient match finite differences? (``torch.autograd.gradcheck`` in float64.)
3. [`dependency_matrix`][paper2code.diagnostics.debug.dependency_matrix]: does each output
   depend only on the inputs it should (causality, no mixing across the batch)?
   Gradient *flow* is [`paper2code.diagnostics.testing.check_gradient_flow`][].
4. [`initial_loss`][paper2code.diagnostics.debug.initial_loss] and
   [`layer_statistics`][paper2code.diagnostics.debug.layer_statistics]: is the loss at
   initialisation $\ln C$, and are activations and gradients of sane scale?
5. [`lr_range_test`][paper2code.diagnostics.debug.lr_range_test]: which learning rates
   make the loss fall (Smith, 2017, <https://arxiv.org/abs/1506.01186>)?
6. [`ablate`][paper2code.diagnostics.debug.ablate]: what does each component contribute?
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch import Tensor, nn
from torch.func import functional_call

__all__ = [
    "LRRangeResult",
    "OverfitResult",
    "ablate",
    "dependency_matrix",
    "lr_range_figure",
    "gradcheck_module",
    "initial_loss",
    "layer_statistics",
    "lr_range_test",
    "overfit",
]

LossFn = Callable[[Tensor, Tensor], Tensor]


# --8<-- [start:overfit]
@dataclass
class OverfitResult:
    """How training went on the first ``n`` examples."""

    n: int
    steps: int  # steps taken
    final_loss: float
    reached: bool  # loss fell below the threshold
    stalled_at: int | None = None  # last step that improved the best loss by 1%, if it stalled

    def __str__(self) -> str:
        if self.reached:
            return f"n={self.n:<4} memorised in {self.steps} steps (loss {self.final_loss:.4f})"
        trend = "still falling" if self.stalled_at is None else f"no 1% gain since step {self.stalled_at}"
        return f"n={self.n:<4} NOT memorised: loss {self.final_loss:.4f} after {self.steps} steps, {trend}"


def overfit(
    make_model: Callable[[], nn.Module],
    x: Tensor,
    y: Tensor,
    loss_fn: LossFn = nn.functional.cross_entropy,
    sizes: Sequence[int] = (1, 10, 100),
    max_steps: int = 500,
    lr: float = 1e-2,
    threshold: float = 0.01,
) -> list[OverfitResult]:
    """Train a fresh model on the first ``n`` examples for each ``n`` in ``sizes``.

    A correct model with enough capacity drives the loss on a handful of
    examples to ~0 in a few hundred steps. One that cannot has a bug:
    a detached tensor, a wrong target, a frozen layer, a broken loss.
    """
    results = []
    for n in sizes:
        model = make_model()
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        xs, ys = x[:n], y[:n]
        best, best_step, loss_value = math.inf, 0, math.inf
        for step in range(1, max_steps + 1):
            loss = loss_fn(model(xs), ys)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_value = loss.item()
            if loss_value < best * 0.99:
                best, best_step = loss_value, step
            if loss_value < threshold:
                break
        reached = loss_value < threshold
        # Stalled: no 1% improvement over the last tenth of the run (at least 10 steps).
        stalled = not reached and step - best_step >= max(10, step // 10)
        results.append(OverfitResult(n, step, loss_value, reached, best_step if stalled else None))
    return results
# --8<-- [end:overfit]


# --8<-- [start:gradcheck]
def gradcheck_module(module: nn.Module, *inputs: Tensor, eps: float = 1e-6, atol: float = 1e-5) -> bool:
    """Finite-difference check of a whole module's gradients, inputs and parameters.

    Runs in float64 on a copy (finite differences in float32 are noise).
    Raises ``torch.autograd.gradcheck.GradcheckError`` naming the mismatching entry.
    """
    module = copy.deepcopy(module).double()
    names = [n for n, p in module.named_parameters() if p.requires_grad]
    params = tuple(p.detach().clone().requires_grad_() for n, p in module.named_parameters() if p.requires_grad)
    xs = tuple(x.detach().double().requires_grad_(x.is_floating_point()) for x in inputs)

    def fn(*args):
        ps, ins = args[: len(params)], args[len(params) :]
        return functional_call(module, dict(zip(names, ps, strict=True)), ins)

    return torch.autograd.gradcheck(fn, params + xs, eps=eps, atol=atol)
# --8<-- [end:gradcheck]


# --8<-- [start:dependency]
def dependency_matrix(fn: Callable[[Tensor], Tensor], x: Tensor, axis: int) -> Tensor:
    """Which inputs each output depends on, along ``axis``, by backpropagation.

    Entry ``[i, j]`` is True when output slice ``i`` has a non-zero gradient
    with respect to input slice ``j`` (both along ``axis``; use axis 1 for
    sequence positions, axis 0 for the batch). One backward pass per output
    slice, so use small inputs.

    A causal model gives a lower-triangular matrix along the sequence; a
    model that does not mix examples gives the identity along the batch.
    """
    x = x.detach().clone().requires_grad_()
    out = fn(x)
    rows = []
    for i in range(out.size(axis)):
        (grad,) = torch.autograd.grad(out.select(axis, i).sum(), x, retain_graph=True, allow_unused=True)
        if grad is None:
            rows.append(torch.zeros(x.size(axis), dtype=torch.bool))
            continue
        other = [d for d in range(grad.dim()) if d != axis]
        rows.append(grad.abs().amax(dim=other) > 0)
    return torch.stack(rows)
# --8<-- [end:dependency]


# --8<-- [start:init]
def initial_loss(model: nn.Module, x: Tensor, y: Tensor, n_classes: int) -> tuple[float, float]:
    r"""Cross-entropy at initialisation, and $\ln C$ it should be close to.

    A classifier whose logits start near zero predicts the uniform
    distribution, with loss $-\log(1/C) = \ln C$. Much higher means
    confidently wrong logits (an output layer initialised too large); much
    lower means the labels leak into the input.
    """
    with torch.no_grad():
        loss = nn.functional.cross_entropy(model(x), y).item()
    return loss, math.log(n_classes)


@dataclass
class LayerStats:
    name: str
    act_mean: float
    act_std: float
    grad_std: float | None = None

    def __str__(self) -> str:
        grad = "-" if self.grad_std is None else f"{self.grad_std:.2e}"
        return f"{self.name:<12} act mean {self.act_mean:+.3f} std {self.act_std:.3f}  grad std {grad}"


def layer_statistics(model: nn.Module, x: Tensor, y: Tensor, types=(nn.Linear,)) -> list[LayerStats]:
    """Per-layer activation mean/std and output-gradient std, from one forward and backward pass.

    Healthy: activations of std ~1 throughout, gradients of similar scale in
    every layer. A std that shrinks or grows layer after layer is a bad
    initialisation or a missing normalisation.
    """
    stats: dict[str, LayerStats] = {}
    handles = []
    for name, module in model.named_modules():
        if isinstance(module, types):
            def hook(_m, _i, out, name=name):
                stats[name] = LayerStats(name, out.mean().item(), out.std().item())
                out.register_hook(lambda g, name=name: setattr(stats[name], "grad_std", g.std().item()))
            handles.append(module.register_forward_hook(hook))
    try:
        nn.functional.cross_entropy(model(x), y).backward()
    finally:
        for h in handles:
            h.remove()
    return list(stats.values())
# --8<-- [end:init]


# --8<-- [start:lr_range]
@dataclass
class LRRangeResult:
    lrs: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)  # smoothed
    suggested: float = float("nan")

    def figure(self, title: str = "Learning-rate range test"):
        """A matplotlib figure of loss against learning rate, with the suggestion marked."""
        return lr_range_figure(self.lrs, self.losses, self.suggested, title)


def lr_range_test(
    make_model: Callable[[], nn.Module],
    x: Tensor,
    y: Tensor,
    loss_fn: LossFn = nn.functional.cross_entropy,
    lr_min: float = 1e-5,
    lr_max: float = 1e-1,
    steps: int = 100,
    batch_size: int = 32,
    seed: int = 0,
    momentum: float = 0.9,
) -> LRRangeResult:
    """Train once, with SGD, while the rate grows log-linearly from ``lr_min`` to ``lr_max``.

    The loss falls over the range of useful rates and blows up past it; the
    run stops there (smoothed loss above 4x its minimum). The suggested rate
    is where the smoothed loss falls fastest (the steepest negative slope
    against log-rate), a common rule. Choose ``lr_max`` high enough that the
    run diverges: a suggestion at the end of the range means the range was
    too narrow. The optimiser is SGD with ``momentum`` (0.9, as in Smith's
    experiments); with another optimiser the useful range differs.
    """
    g = torch.Generator().manual_seed(seed)
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=lr_min, momentum=momentum)
    factor = (lr_max / lr_min) ** (1 / (steps - 1))
    result, avg = LRRangeResult(), None
    for step in range(steps):
        lr = lr_min * factor**step
        for group in opt.param_groups:
            group["lr"] = lr
        idx = torch.randint(0, len(x), (batch_size,), generator=g)
        loss = loss_fn(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        avg = loss.item() if avg is None else 0.9 * avg + 0.1 * loss.item()  # exponential smoothing
        if not math.isfinite(avg) or (result.losses and avg > 4 * min(result.losses)):
            break  # diverged
        result.lrs.append(lr)
        result.losses.append(avg)
    logs = [math.log10(lr) for lr in result.lrs]
    slopes = [(result.losses[i + 1] - result.losses[i - 1]) / (logs[i + 1] - logs[i - 1]) for i in range(1, len(logs) - 1)]
    result.suggested = result.lrs[1 + min(range(len(slopes)), key=slopes.__getitem__)]
    return result
# --8<-- [end:lr_range]


# --8<-- [start:ablate]
def ablate(
    config: Any, switches: dict[str, dict], evaluate: Callable[[Any], float]
) -> list[tuple[str, float, float]]:
    """Evaluate ``config`` and, one at a time, each variant with a component switched off.

    Args:
        config: A dataclass config.
        switches: Name of the ablation -> the fields it overrides, e.g.
            ``{"no dropout": {"dropout": 0.0}}``.
        evaluate: Trains and evaluates a config, returning a score.

    Returns:
        ``(name, score, change from the full model)``, the full model first.
    """
    base = evaluate(config)
    rows = [("full model", base, 0.0)]
    for name, overrides in switches.items():
        score = evaluate(replace(config, **overrides))
        rows.append((name, score, score - base))
    return rows
# --8<-- [end:ablate]


def lr_range_figure(lrs, losses, suggested, title="Learning-rate range test"):
    """Loss against learning rate (log scale), with the suggested rate marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.semilogx(lrs, losses)
    ax.axvline(suggested, color="tab:red", linestyle="--", label=f"suggested {suggested:.1e}")
    ax.set(xlabel="learning rate", ylabel="loss (smoothed)", title=title)
    ax.legend()
    fig.tight_layout()
    return fig
