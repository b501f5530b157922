r"""One rank of ZeRO-DP (Rajbhandari et al., 2019, Section 5): DDP (0), P_os (1), P_os+g (2), P_os+g+p (3).

Each layer with parameters is a *unit* with one flat buffer (`zero_parts.Layout`);
the module keeps no parameters of its own: a forward pre-hook binds views of
the unit's buffer (stages 0-2) or of its gathered shards (stage 3) just before
the layer runs, and a forward hook unbinds them after it. So that

- stage 2 reduce-scatters each unit's gradient as soon as backward has
  produced it (a gradient hook per unit: a bucket) and frees it then;
- stage 3 gathers one unit at a time for the forward pass, frees it after the
  layer, and gathers it again when the backward pass needs it (Section 7.2.2).

The loss of a rank is the sum over its rows divided by the rows of the *global*
batch, and the collectives sum: the gradient is the global batch's mean for
any split of the rows, uneven or empty.
"""

from __future__ import annotations

import functools

import torch
from torch import nn

from paper2code.case_studies.zero_parts import Comm, Layout, ShardAdam

__all__ = ["ZeroDP"]


class _Gather(torch.autograd.Function):
    """Forward: all-gather a unit's shards. Backward: reduce-scatter its full gradient."""

    @staticmethod
    def forward(ctx, shard, comm, probe):
        ctx.comm, ctx.probe = comm, probe
        return comm.all_gather(shard)

    @staticmethod
    def backward(ctx, grad_full):
        if ctx.probe:
            ctx.probe("backward")  # this unit's full gradient is alive here
        return ctx.comm.reduce_scatter(grad_full.contiguous()), None, None


# --8<-- [start:engine]
class ZeroDP:
    """One rank of data-parallel training at a ZeRO stage; ``master`` a dtype for mixed precision."""

    def __init__(self, model: nn.Module, stage: int, comm: Comm, lr: float = 1e-2,
                 master: torch.dtype | None = None):
        self.model, self.stage, self.comm, self.probe = model, stage, comm, None
        self.units = [m for m in model.modules() if list(m.parameters(recurse=False))]
        self.layouts = [Layout(u, comm.world) for u in self.units]
        self.params, self.masters, self.adams, self.grads = [], [], [], []
        self._gathered, self._saved, self._regathered = {}, {}, {}
        for i, (unit, layout) in enumerate(zip(self.units, self.layouts, strict=True)):
            flat = comm.broadcast(layout.flatten(unit))  # rank 0's initial values on every rank
            own = layout.owned(comm.rank)
            working = flat[own].clone() if stage == 3 else flat  # P_p: the own shard, alone
            working.requires_grad_()
            mine = working.detach() if stage in (0, 3) else working.detach()[own]
            mixed = master is not None and master != working.dtype
            self.masters.append(mine.to(master) if mixed else mine)  # fp32 master copy, or none
            self.params.append(working)
            self.adams.append(ShardAdam(self.masters[i], lr))
            self.grads.append(None)
            for name in layout.names:  # the module's own full parameters are freed
                delattr(unit, name)
                setattr(unit, name, None)
            unit.register_forward_pre_hook(functools.partial(self._bind, i))
            unit.register_forward_hook(functools.partial(self._unbind, i))
            if stage == 2:
                working.register_post_accumulate_grad_hook(functools.partial(self._bucket, i))

    def _bind(self, i: int, unit: nn.Module, args) -> None:
        """Before unit ``i`` runs: its parameters as views of its buffer (stage 3: gathered)."""
        if self.stage == 3:
            full = _Gather.apply(self.params[i], self.comm, self.probe)
            self._gathered[full.untyped_storage().data_ptr()] = i
        else:
            full = self.params[i]
        for name, view in self.layouts[i].views(full).items():
            setattr(unit, name, view)

    def _unbind(self, i: int, unit: nn.Module, args, output) -> None:
        """After unit ``i`` ran: drop the views, so that a gathered unit is freed (stage 3)."""
        if self.probe:
            self.probe("forward")
        for name in self.layouts[i].names:
            setattr(unit, name, None)
        self._gathered.clear()

    def _pack(self, t: torch.Tensor):
        """A tensor saved for backward: for gathered parameters keep only where it was."""
        i = self._gathered.get(t.untyped_storage().data_ptr())
        if i is None:
            return t
        self._saved[i] = self._saved.get(i, 0) + 1
        return (i, t.size(), t.stride(), t.storage_offset())

    def _unpack(self, saved):
        if not isinstance(saved, tuple):
            return saved
        i, *geometry = saved
        if i not in self._regathered:  # the backward pass's all-gather, once per unit
            self._regathered[i] = self.comm.all_gather(self.params[i].detach())
        full = self._regathered[i]
        self._saved[i] -= 1
        if not self._saved[i]:  # its last use: freed once autograd is done with it
            del self._regathered[i]
        return full.as_strided(*geometry)

    def _bucket(self, i: int, param: torch.Tensor) -> None:
        """P_g, during backward: unit ``i``'s gradient is complete; reduce-scatter it, free it."""
        if self.probe:
            self.probe("backward")
        self.grads[i] = self.comm.reduce_scatter(param.grad)
        param.grad = None

    def step(self, x: torch.Tensor, y: torch.Tensor, rows: int) -> float:
        """One step on this rank's rows; ``rows``: the global batch's. Returns the local loss."""
        with torch.autograd.graph.saved_tensors_hooks(self._pack, self._unpack):
            out = self.model(x)
            loss = ((out - y) ** 2).sum() / (rows * y.shape[1])  # its share of the global mean
        loss.backward()
        if self.probe:
            self.probe("backward")
        for i, (param, master, adam) in enumerate(zip(self.params, self.masters, self.adams,
                                                      strict=True)):
            own = self._reduce(i, param)
            adam.step(own.to(master.dtype), self.probe)
            with torch.no_grad():
                if self.stage in (1, 2):  # the updated shards, to every rank
                    self.comm.all_gather(master.to(param.dtype, copy=True), out=param.detach())
                elif master.data_ptr() != param.data_ptr():  # mixed precision: the working copy
                    param.detach().copy_(master)
        return loss.item()

    def _reduce(self, i: int, param: torch.Tensor) -> torch.Tensor:
        """The summed gradient of the part of unit ``i`` this rank updates."""
        grad, param.grad = param.grad, None
        if self.stage == 0:    # DDP: all-reduce, keep the full gradient
            self.grads[i] = self.comm.all_reduce(grad)
            return grad
        if self.stage == 1:    # P_os: reduce-scatter, keep the full gradient
            self.grads[i] = grad
            return self.comm.reduce_scatter(grad)
        if self.stage == 3:    # P_os+g+p: reduce-scattered in _Gather.backward
            self.grads[i] = grad
        return self.grads[i]   # P_os+g: reduce-scattered in _bucket

    def known(self) -> dict[str, list]:
        """This rank's model states by kind, for the census (a storage counts for its first kind)."""
        return {"params": list(self.params),
                "grads": [*self.grads, *(p.grad for p in self.params)],
                "optimizer": [t for a in self.adams for t in (a.param, a.exp_avg, a.exp_avg_sq)]}

    def weights(self) -> torch.Tensor:
        """The full parameter vector, without padding (an extra all-gather for stage 3)."""
        parts = [(self.comm.all_gather(p.detach()) if self.stage == 3 else p.detach())[: lay.psi]
                 for p, lay in zip(self.params, self.layouts, strict=True)]
        return torch.cat(parts).clone()
# --8<-- [end:engine]
