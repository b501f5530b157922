"""Test helpers for paper implementations: counts, shapes, gradients.

What the Testing chapter teaches, as functions a reader can import:

* [`count_parameters`][paper2code.diagnostics.testing.count_parameters]: total, trainable
  and per-module counts, shared weights counted once, as a printable table;
* [`assert_shape`][paper2code.diagnostics.testing.assert_shape]: shapes with named
  dimensions that must agree across calls;
* [`check_gradient_flow`][paper2code.diagnostics.testing.check_gradient_flow]: which
  parameters got no, zero, non-finite or exploding gradients.

The comparison with a reference implementation is
[`paper2code.diagnostics.reference`][paper2code.diagnostics.reference].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

__all__ = [
    "GradientReport",
    "ParameterCount",
    "assert_shape",
    "check_gradient_flow",
    "count_parameters",
]


# --8<-- [start:count_parameters]
@dataclass
class ParameterCount:
    """Parameter counts of a model; ``str()`` gives a table."""

    total: int
    trainable: int
    by_module: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        width = max([len(k) for k in self.by_module] + [len("trainable")])
        rows = [f"{name:<{width}}  {n:>12,}" for name, n in self.by_module.items()]
        rule = "-" * (width + 14)
        return "\n".join(
            [*rows, rule, f"{'total':<{width}}  {self.total:>12,}",
             f"{'trainable':<{width}}  {self.trainable:>12,}"]
        )


def count_parameters(model: nn.Module, depth: int = 1) -> ParameterCount:
    """Count parameters, each shared tensor once, grouped by module name.

    Args:
        model: The model.
        depth: How many levels of the module tree name a group: 1 groups
            ``encoder.layers.0.attn.q_proj.weight`` under ``encoder``, 2 under
            ``encoder.layers``. Parameters of the root module itself are
            grouped under ``(root)``.

    Examples:
        >>> net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        >>> count = count_parameters(net)
        >>> count.total, count.by_module
        (26, {'0': 16, '2': 10})
    """
    by_module: dict[str, int] = {}
    total = trainable = 0
    # named_parameters() yields a tensor shared by two modules once, under its first name.
    for name, p in model.named_parameters():
        parts = name.split(".")[:-1]
        group = ".".join(parts[:depth]) or "(root)"
        by_module[group] = by_module.get(group, 0) + p.numel()
        total += p.numel()
        trainable += p.numel() if p.requires_grad else 0
    return ParameterCount(total, trainable, by_module)
# --8<-- [end:count_parameters]


# --8<-- [start:assert_shape]
def assert_shape(
    tensor: Tensor, spec: Sequence[int | str | None], dims: dict[str, int] | None = None
) -> dict[str, int]:
    """Check a shape against a spec of sizes and names; names must agree across calls.

    Args:
        tensor: The tensor to check.
        spec: One entry per dimension: an int (that size), a name (bound on
            first use, then checked), or ``None`` (any size).
        dims: Bindings from earlier calls; updated in place.

    Returns:
        The bindings, to pass to the next call.

    Examples:
        >>> d = assert_shape(torch.zeros(2, 5, 8), ("B", "T", 8))
        >>> d
        {'B': 2, 'T': 5}
        >>> assert_shape(torch.zeros(2, 6, 8), ("B", "T", 8), d)
        Traceback (most recent call last):
        ...
        AssertionError: dimension 1 ('T') is 6, expected 5 from an earlier shape; shape (2, 6, 8) vs spec ('B', 'T', 8)
    """
    dims = {} if dims is None else dims
    shape = tuple(tensor.shape)
    where = f"shape {shape} vs spec {tuple(spec)}"
    if len(shape) != len(spec):
        raise AssertionError(f"expected {len(spec)} dimensions, got {len(shape)}; {where}")
    for i, (size, want) in enumerate(zip(shape, spec, strict=True)):
        if want is None:
            continue
        if isinstance(want, int):
            if size != want:
                raise AssertionError(f"dimension {i} is {size}, expected {want}; {where}")
        elif want in dims and dims[want] != size:
            raise AssertionError(
                f"dimension {i} ({want!r}) is {size}, expected {dims[want]} from an earlier shape; {where}"
            )
        else:
            dims[want] = size
    return dims
# --8<-- [end:assert_shape]


# --8<-- [start:gradient_flow]
@dataclass
class GradientReport:
    """Which parameters received a usable gradient after ``backward()``."""

    no_grad: list[str] = field(default_factory=list)  # .grad is None: not in the graph
    zero: list[str] = field(default_factory=list)  # all exactly zero: a dead path
    non_finite: list[str] = field(default_factory=list)  # NaN or inf
    exploding: list[str] = field(default_factory=list)  # norm above the threshold
    norms: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.no_grad or self.zero or self.non_finite or self.exploding)

    def __str__(self) -> str:
        if self.ok:
            return f"all {len(self.norms)} parameters have finite, non-zero gradients"
        parts = [f"{label}: {', '.join(names)}" for label, names in (
            ("no gradient", self.no_grad), ("zero gradient", self.zero),
            ("NaN/inf gradient", self.non_finite), ("exploding gradient", self.exploding),
        ) if names]
        return "; ".join(parts)


def check_gradient_flow(model: nn.Module, max_norm: float = 1e3) -> GradientReport:
    """Inspect the gradients of every trainable parameter after ``loss.backward()``.

    Args:
        model: A model whose backward pass has run.
        max_norm: A gradient whose L2 norm exceeds this counts as exploding.
    """
    report = GradientReport()
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if p.grad is None:
            report.no_grad.append(name)
            continue
        g = p.grad.detach()
        if not torch.isfinite(g).all():
            report.non_finite.append(name)
            continue
        norm = g.norm().item()
        report.norms[name] = norm
        if norm == 0.0:
            report.zero.append(name)
        elif norm > max_norm:
            report.exploding.append(name)
    return report
# --8<-- [end:gradient_flow]
