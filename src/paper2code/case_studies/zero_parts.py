r"""ZeRO-DP's parts: the memory model, the sharded layout, Adam on a shard, the collectives.

Read top to bottom: the memory model of Sections 3 and 5 (which recomputes
Figure 1 and Table 1); one flat buffer per layer (a *unit*), padded at its end
to N_d equal shards; Adam on a shard; the collectives this rank calls, and a
counter that wraps ``torch.distributed``'s own functions so that the bytes of
every collective are counted at the same boundary for our engine and for
PyTorch's (``ZeroRedundancyOptimizer``, FSDP2).
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections import Counter

import torch
import torch.distributed as dist
from torch import nn

__all__ = ["COUNTED", "Comm", "Layout", "ShardAdam", "collective_bytes", "count_collectives",
           "model_state_bytes", "sent"]


# --8<-- [start:memory]
def model_state_bytes(psi: int, n_d: int, stage: int, *, param_bytes: int = 2,
                      grad_bytes: int = 2, k: int = 12) -> dict[str, int]:
    """Per-rank bytes of parameters, gradients and optimizer states (Sections 3.1 and 5).

    The defaults are the paper's mixed-precision Adam: fp16 parameters and
    gradients (2 bytes each) and K = 12 bytes of optimizer state per parameter
    (fp32 master copy, momentum, variance). Shards are padded to equal size:
    each rank owns ceil(psi / n_d) elements of a buffer of n_d such shards.
    """
    shard = -(-psi // n_d)  # ceil(psi / n_d)
    full = shard * n_d      # psi plus at most n_d - 1 elements of padding
    return {
        "params": param_bytes * (shard if stage >= 3 else full),
        "grads": grad_bytes * (shard if stage >= 2 else full),
        "optimizer": k * (shard if stage >= 1 else full),
    }
# --8<-- [end:memory]


# --8<-- [start:layout]
class Layout:
    """One unit's parameters in one flat buffer, padded at its end to ``world`` equal shards."""

    def __init__(self, unit: nn.Module, world: int):
        params = list(unit.named_parameters(recurse=False))
        self.names = [name for name, _ in params]
        self.shapes = [p.shape for _, p in params]
        self.psi = sum(math.prod(s) for s in self.shapes)
        self.shard = -(-self.psi // world)  # ceil, so that every element has an owner
        self.padded = self.shard * world    # the last shard ends in padding zeros

    def owned(self, rank: int) -> slice:
        return slice(rank * self.shard, (rank + 1) * self.shard)

    def flatten(self, unit: nn.Module) -> torch.Tensor:
        flat = torch.cat([p.detach().reshape(-1) for p in unit.parameters(recurse=False)])
        return torch.cat([flat, flat.new_zeros(self.padded - self.psi)])  # padding at the end

    def views(self, flat: torch.Tensor) -> dict[str, torch.Tensor]:
        """The parameters as views of ``flat``: one split, so autograd sums into ``flat`` once."""
        pieces = flat[: self.psi].split([math.prod(s) for s in self.shapes])
        return {n: p.view(s) for n, p, s in zip(self.names, pieces, self.shapes, strict=True)}
# --8<-- [end:layout]


# --8<-- [start:adam]
class ShardAdam:
    """Adam on one flat tensor, op for op as ``torch.optim.Adam(foreach=False)``."""

    def __init__(self, param: torch.Tensor, lr: float, betas=(0.9, 0.999), eps: float = 1e-8):
        self.param, self.lr, self.betas, self.eps, self.t = param, lr, betas, eps, 0
        self.exp_avg = torch.zeros_like(param)
        self.exp_avg_sq = torch.zeros_like(param)

    @torch.no_grad()
    def step(self, grad: torch.Tensor, probe=None) -> None:
        (b1, b2), self.t = self.betas, self.t + 1
        self.exp_avg.lerp_(grad, 1 - b1)
        self.exp_avg_sq.mul_(b2).addcmul_(grad, grad, value=1 - b2)
        denom = (self.exp_avg_sq.sqrt() / (1 - b2**self.t) ** 0.5).add_(self.eps)
        if probe:
            probe("step")  # the step's temporaries are alive here
        self.param.addcdiv_(self.exp_avg, denom, value=-self.lr / (1 - b1**self.t))
# --8<-- [end:adam]


# --8<-- [start:comm]
class Comm:
    """The collectives one rank calls: ``torch.distributed``'s own (gloo on CPU).

    With one process there is no process group: a collective is a copy.
    """

    def __init__(self, rank: int, world: int):
        self.rank, self.world = rank, world

    def broadcast(self, t: torch.Tensor) -> torch.Tensor:
        if self.world > 1:
            dist.broadcast(t, src=0)  # rank 0's values on every rank
        return t

    def all_reduce(self, t: torch.Tensor) -> torch.Tensor:
        if self.world > 1:
            dist.all_reduce(t)  # the sum over ranks, in place
        return t

    def reduce_scatter(self, full: torch.Tensor) -> torch.Tensor:
        """Chunk ``rank`` of the sum over ranks of ``full``, in a storage of its own."""
        out = full.new_empty(full.numel() // self.world)
        if self.world > 1:
            dist.reduce_scatter_single(out, full)
        else:
            out.copy_(full)
        return out

    def all_gather(self, shard: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        """Every rank's ``shard``, in rank order (into ``out`` if given)."""
        out = shard.new_empty(self.world * shard.numel()) if out is None else out
        if self.world > 1:
            dist.all_gather_single(out, shard)
        else:
            out.copy_(shard)
        return out
# --8<-- [end:comm]


# --8<-- [start:count]
# Each collective's volume in the paper's accounting (Section 7.1): an all-gather or a
# reduce-scatter moves the full buffer once, an all-reduce (one of each) twice, a
# broadcast its tensor once. The buffer is the all-gather's output, the reduce-scatter's input.
COUNTED = {"broadcast": 1, "all_reduce": 2, "all_gather_single": 1,
           "all_gather_into_tensor": 1, "reduce_scatter_single": 1, "reduce_scatter_tensor": 1}


def collective_bytes(t: torch.Tensor, times: int = 1) -> int:
    return times * t.numel() * t.element_size()  # bytes, not elements


def _buffer(name: str, args: tuple, kwargs: dict) -> torch.Tensor:
    if name.startswith("reduce_scatter"):  # (output, input): the full buffer is the input
        return args[1] if len(args) > 1 else kwargs["input"]
    if name.startswith("all_gather"):      # (output, input): the full buffer is the output
        return args[0] if args else kwargs["output_tensor"]
    return args[0] if args else kwargs["tensor"]


@contextlib.contextmanager
def count_collectives():
    """Count, per operation, the bytes of every collective called through ``torch.distributed``.

    The wrappers replace the module's attributes, which is where our ``Comm``,
    DDP's default communication hook, ``ZeroRedundancyOptimizer`` and FSDP2
    look them up; calls inside ``distributed_c10d`` itself (an alias calling
    the function it aliases) are not seen twice.
    """
    counts: Counter = Counter()
    saved = {name: getattr(dist, name) for name in COUNTED}

    def wrap(name, fn):
        @functools.wraps(fn)
        def counted(*args, **kwargs):
            counts[name] += collective_bytes(_buffer(name, args, kwargs), COUNTED[name])
            counts[name + " calls"] += 1
            return fn(*args, **kwargs)
        return counted

    for name, fn in saved.items():
        setattr(dist, name, wrap(name, fn))
    try:
        yield counts
    finally:
        for name, fn in saved.items():
            setattr(dist, name, fn)


def sent(counts: Counter) -> int:
    """All bytes counted, calls left out."""
    return sum(v for k, v in counts.items() if not k.endswith(" calls"))
# --8<-- [end:count]
