"""Helpers the exercises share: seeded inputs, and modules with fixed parameters."""

from __future__ import annotations

import torch
from torch import Tensor, nn

F64 = torch.float64
LAST_STATE: dict = {}  # the parameters `build` gave the last module: `check --show-case` saves them


def gen(seed: int = 0) -> torch.Generator:
    """A generator of its own: checks never touch (or depend on) the global RNG."""
    return torch.Generator().manual_seed(seed)


def randn(g: torch.Generator, *shape: int, dtype: torch.dtype = F64, scale: float = 1.0) -> Tensor:
    return torch.randn(shape, generator=g, dtype=F64).mul(scale).to(dtype)


def build(cls, reference_cls, *args, dtype: torch.dtype = F64, seed: int = 1, **kwargs) -> nn.Module:
    """``cls(*args, **kwargs)`` with the parameters and buffers of a seeded reference.

    The values are drawn for the reference's state dict, then loaded into the
    reader's module by name (strict), so both compute with the same weights.
    """
    ours = reference_cls(*args, **kwargs)
    g = gen(seed)
    state = {}
    for name, value in ours.state_dict().items():
        if value.is_floating_point():
            drawn = randn(g, *value.shape, dtype=F64, scale=0.5)
            if name.endswith("running_var"):
                drawn = drawn.abs() + 0.5  # a variance is positive
            elif name.endswith("weight") and value.dim() == 1:
                drawn = drawn + 1.0  # norm gains near 1, as trained ones are
            state[name] = drawn
        else:
            state[name] = value
    module = cls(*args, **kwargs)
    if not isinstance(module, nn.Module):
        raise TypeError(f"{cls.__name__}(...) is not an nn.Module")
    module.load_state_dict(state, strict=True)
    LAST_STATE.clear()
    LAST_STATE.update(state)
    module.to(dtype)
    return module
