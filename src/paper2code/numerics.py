r"""Numerical debugging: where a NaN is born, and what the backward pass keeps in memory.

* [`first_nonfinite`][paper2code.numerics.first_nonfinite] runs one forward
  pass with a hook on every module and names the first module, in execution
  order, whose output holds a NaN or an infinity while its inputs did not:
  the place the bad number is *created*, not the loss where it shows.
  ``torch.autograd.set_detect_anomaly(True)`` does the same for the
  backward pass (the Debug page shows both).
* [`saved_tensor_bytes`][paper2code.numerics.saved_tensor_bytes] measures
  the activations autograd saves for the backward pass, through
  ``torch.autograd.graph.saved_tensors_hooks``: the memory that activation
  checkpointing (Chen et al., 2016, *Training Deep Nets with Sublinear Memory
  Cost*, <https://arxiv.org/abs/1604.06174>) trades for recomputation.

* [`sum_tolerance`][paper2code.numerics.sum_tolerance] derives how far a
  floating-point sum may be from the exact one: the tolerance a float32
  comparison needs, from the dtype and the data rather than tuned.

Differences from the paper: Chen et al. checkpoint every $\sqrt{n}$ layers;
``torch.utils.checkpoint`` checkpoints whatever function it wraps, and the
page wraps each block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

__all__ = ["NonFinite", "first_nonfinite", "saved_tensor_bytes", "sum_tolerance"]


def _finite(values) -> bool:
    tensors = values if isinstance(values, tuple | list) else (values,)
    return all(
        torch.isfinite(t).all().item()
        for t in tensors
        if isinstance(t, Tensor) and t.is_floating_point()
    )


# --8<-- [start:first_nonfinite]
@dataclass
class NonFinite:
    """The module that first produced a non-finite output from finite inputs."""

    name: str
    module: str  # its class name
    dtype: torch.dtype

    def __str__(self) -> str:
        where = f"{self.name} ({self.module}, {self.dtype})"
        return f"first non-finite output: {where}"


def first_nonfinite(model: nn.Module, *inputs: Tensor) -> NonFinite | None:
    """Run ``model(*inputs)`` once; name the module where NaN/inf first appear.

    Returns ``None`` when every output is finite. A module whose *inputs*
    were already non-finite only passed the problem on, and is skipped.
    """
    found: list[NonFinite] = []
    handles = []

    def hook(name):
        def check(module, args, output):
            if not found and _finite(args) and not _finite(output):
                dtype = (
                    output.dtype
                    if isinstance(output, Tensor)
                    else torch.get_default_dtype()
                )
                found.append(
                    NonFinite(name or "(root)", type(module).__name__, dtype)
                )

        return check

    # Children run before their parents finish, so the innermost module wins.
    for name, module in model.named_modules():
        handles.append(module.register_forward_hook(hook(name)))
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
    return found[0] if found else None


# --8<-- [end:first_nonfinite]


# --8<-- [start:saved_bytes]
def saved_tensor_bytes(
    fn: Callable[..., Tensor], *inputs: Tensor, exclude: Iterable[Tensor] = ()
) -> int:
    """Bytes of the distinct tensors autograd saves for backward during ``fn``.

    A tensor saved twice (by two operations) is counted once, by its storage.
    A matmul also saves its weight: pass ``exclude=model.parameters()`` to
    count activations only.
    """
    skip = {p.untyped_storage().data_ptr() for p in exclude}
    storages: dict[int, int] = {}

    def pack(t: Tensor) -> Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in skip:
            storages[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(*inputs)
    return sum(storages.values())


# --8<-- [end:saved_bytes]


# --8<-- [start:sum_tolerance]
def sum_tolerance(x: Tensor, dtype: torch.dtype = torch.float32) -> float:
    r"""A bound on $|\mathrm{fl}(\sum_i x_i) - \sum_i x_i|$ for a sum in ``dtype``, in any order.

    Adding $n$ numbers two at a time, in any order and any tree, errs by at
    most $\gamma_{n-1} \sum_i |x_i|$ with $\gamma_k = k u / (1 - k u)$ and
    $u$ the unit roundoff, half of ``torch.finfo(dtype).eps`` (Higham,
    *Accuracy and Stability of Numerical Algorithms*, 2nd ed., 2002,
    Section 4.2). The values of ``x`` are taken as exactly representable in
    ``dtype``. Note $\sum_i |x_i|$, not $|\sum_i x_i|$: under cancellation
    the error is relative to the terms, not to the result.

    Examples:
        >>> sum_tolerance(torch.ones(1))  # one number: nothing is rounded
        0.0
    """
    n = x.numel()
    u = torch.finfo(dtype).eps / 2  # unit roundoff: 2^-24 in float32
    gamma = (n - 1) * u / (1 - (n - 1) * u) if n > 1 else 0.0  # γ_{n-1}
    return gamma * x.detach().double().abs().sum().item()
# --8<-- [end:sum_tolerance]
