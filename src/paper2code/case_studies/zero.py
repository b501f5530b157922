r"""ZeRO-DP (Rajbhandari et al., 2019, https://arxiv.org/abs/1910.02054) from scratch.

Read top to bottom: the memory model of Sections 3 and 5 (which recomputes
Figure 1 and Table 1); the collectives as rings of point-to-point messages, so
that every byte a rank sends is counted (Section 7, measured); the flat
parameter buffer padded to N_d equal shards; Adam on the local shard; one
training step per stage, DDP (0), P_os (1), P_os+g (2), P_os+g+p (3); the
bytes each rank holds, counted from its tensors' storages; the quick
configuration on N processes (``--world-size N --json``).
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import socket
import sys

import torch
import torch.distributed as dist
from torch import nn
from torch.func import functional_call

__all__ = ["STAGES", "Comm", "FlatLayout", "ShardAdam", "ZeroDP", "held_bytes", "main",
           "model_state_bytes", "quick_model", "reference_weights", "run_rank", "spawn"]

STAGES = {0: "DDP", 1: "P_os", 2: "P_os+g", 3: "P_os+g+p"}


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


# --8<-- [start:comm]
class Comm:
    """Ring collectives built on point-to-point messages.

    ``sent`` counts the payload bytes this rank hands to ``isend``: the
    tensors' bytes, without gloo's message headers. A ring reduce-scatter or
    all-gather of a buffer of B bytes sends (N - 1)/N * B from every rank; an
    all-reduce, which is one of each, 2 (N - 1)/N * B.
    """

    def __init__(self, rank: int, world: int):
        self.rank, self.world, self.sent = rank, world, 0

    def _pass_on(self, out: torch.Tensor, into: torch.Tensor) -> None:
        """Send ``out`` to the next rank in the ring, receive ``into`` from the previous one."""
        self.sent += out.numel() * out.element_size()
        request = dist.isend(out.contiguous(), (self.rank + 1) % self.world)
        dist.recv(into, (self.rank - 1) % self.world)
        request.wait()

    def reduce_scatter(self, flat: torch.Tensor) -> torch.Tensor:
        """The sum over ranks of chunk ``rank`` of ``flat`` (overwrites ``flat``)."""
        r, n = self.rank, self.world
        chunks = flat.chunk(n)
        for s in range(n - 1):  # after step s, chunk (r - s - 2) holds s + 2 ranks' terms
            incoming = torch.empty_like(chunks[(r - s - 2) % n])
            self._pass_on(chunks[(r - s - 1) % n], incoming)
            chunks[(r - s - 2) % n].add_(incoming)
        return chunks[r].clone()  # its own storage: the full buffer can be freed

    def all_gather(self, shard: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        """Every rank's ``shard``, concatenated in rank order (into ``out`` if given)."""
        r, n = self.rank, self.world
        out = shard.new_empty(n * shard.numel()) if out is None else out
        chunks = out.chunk(n)
        chunks[r].copy_(shard)
        for s in range(n - 1):
            self._pass_on(chunks[(r - s) % n], chunks[(r - s - 1) % n])
        return out

    def all_reduce(self, flat: torch.Tensor) -> torch.Tensor:
        """The sum over ranks: a reduce-scatter, then an all-gather (Section 7.1)."""
        return self.all_gather(self.reduce_scatter(flat))
# --8<-- [end:comm]


# --8<-- [start:layout]
class FlatLayout:
    """Where each parameter lives in one flat buffer, and which slice each rank owns."""

    def __init__(self, model: nn.Module, world: int):
        self.names = [name for name, _ in model.named_parameters()]
        self.shapes = [p.shape for _, p in model.named_parameters()]
        self.psi = sum(math.prod(s) for s in self.shapes)
        self.shard = -(-self.psi // world)  # ceil: padding instead of uneven shards
        self.padded = self.shard * world    # the last shard ends in padding zeros

    def owned(self, rank: int) -> slice:
        return slice(rank * self.shard, (rank + 1) * self.shard)

    def flatten(self, model: nn.Module) -> torch.Tensor:
        flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
        return torch.cat([flat, flat.new_zeros(self.padded - self.psi)])

    def views(self, flat: torch.Tensor) -> dict[str, torch.Tensor]:
        sizes = [math.prod(s) for s in self.shapes]
        pieces = flat[: self.psi].split(sizes)
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
    def step(self, grad: torch.Tensor) -> None:
        (b1, b2), self.t = self.betas, self.t + 1
        self.exp_avg.lerp_(grad, 1 - b1)
        self.exp_avg_sq.mul_(b2).addcmul_(grad, grad, value=1 - b2)
        denom = (self.exp_avg_sq.sqrt() / (1 - b2**self.t) ** 0.5).add_(self.eps)
        self.param.addcdiv_(self.exp_avg, denom, value=-self.lr / (1 - b1**self.t))
# --8<-- [end:adam]


class _GatherParams(torch.autograd.Function):
    """Forward: all-gather the shards. Backward: reduce-scatter the full gradient."""

    @staticmethod
    def forward(ctx, shard, comm):
        ctx.comm = comm
        return comm.all_gather(shard)

    @staticmethod
    def backward(ctx, grad_full):
        return ctx.comm.reduce_scatter(grad_full.clone()), None


# --8<-- [start:step]
class ZeroDP:
    """One rank of data-parallel training at a ZeRO stage (0 = DDP, 1-3 = Section 5)."""

    def __init__(self, model: nn.Module, stage: int, comm: Comm, lr: float = 1e-2):
        self.model, self.stage, self.comm = model, stage, comm
        self.layout = FlatLayout(model, comm.world)
        flat, own = self.layout.flatten(model), self.layout.owned(comm.rank)
        if stage == 3:  # P_p: keep only the own shard, in a storage of its own
            self.flat, self.shard = None, flat[own].clone().requires_grad_()
        else:           # every rank keeps all parameters
            self.flat = flat.requires_grad_()
            self.shard = self.flat.detach()[own] if stage else self.flat.detach()
        self.grad = None  # the gradient this rank keeps between steps
        self.adam = ShardAdam(self.shard, lr)  # stage 0: on the whole buffer

    def loss(self, params: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out = functional_call(self.model, self.layout.views(params), (x,))
        return nn.functional.mse_loss(out, y)

    def step(self, x: torch.Tensor, y: torch.Tensor) -> float:
        n = self.comm.world
        if self.stage == 3:
            return self._step_p(x, y)
        self.flat.grad = None
        loss = self.loss(self.flat, x, y)
        loss.backward()
        if self.stage == 0:  # DDP: all-reduce the gradient, Adam on every parameter
            self.grad = self.comm.all_reduce(self.flat.grad).div_(n)
            self.adam.step(self.grad)
            return loss.item()
        own = self.comm.reduce_scatter(self.flat.grad).div_(n)  # Section 7.2.1
        self.grad = self.flat.grad if self.stage == 1 else own   # P_g frees the full gradient
        self.flat.grad = None
        self.adam.step(own)  # P_os: Adam states only for the own shard
        with torch.no_grad():
            self.comm.all_gather(self.shard, out=self.flat)  # the updated parameters
        return loss.item()

    def _step_p(self, x: torch.Tensor, y: torch.Tensor) -> float:
        """P_os+g+p: gather the parameters for the forward pass, free them, gather again
        for the backward pass (Section 7.2.2); the gradient arrives reduce-scattered."""
        regathered: list[torch.Tensor] = []
        full = _GatherParams.apply(self.shard, self.comm)
        key = full.untyped_storage().data_ptr()

        def pack(t):  # a saved view of the gathered parameters: keep only where it was
            if t.untyped_storage().data_ptr() == key:
                return ("param", t.size(), t.stride(), t.storage_offset())
            return t

        def unpack(saved):
            if not (isinstance(saved, tuple) and saved[0] == "param"):
                return saved
            if not regathered:  # the backward pass's all-gather, once
                regathered.append(self.comm.all_gather(self.shard.detach()))
            return regathered[0].as_strided(*saved[1:])

        self.shard.grad = None
        with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
            loss = self.loss(full, x, y)
        del full  # the forward pass's parameters are gone: nothing saved refers to them
        loss.backward()
        self.grad = self.shard.grad.div_(self.comm.world)
        self.shard.grad = None
        self.adam.step(self.grad)
        return loss.item()

    def weights(self) -> torch.Tensor:
        """The full parameter vector (an extra all-gather for stage 3; not counted)."""
        sent, self.comm.sent = self.comm.sent, 0
        full = self.comm.all_gather(self.shard.detach()) if self.stage == 3 else self.flat.detach()
        self.comm.sent = sent
        return full[: self.layout.psi].clone()
# --8<-- [end:step]


# --8<-- [start:held]
def held_bytes(zero: ZeroDP) -> dict[str, int]:
    """Bytes of the storages this rank holds between steps, by kind.

    A view of a larger buffer counts the whole storage: a "shard" that is a
    slice of a full buffer saves nothing, and this count shows it.
    """
    def size(*tensors):
        storages = {t.untyped_storage().data_ptr(): t.untyped_storage().nbytes()
                    for t in tensors if t is not None}
        return sum(storages.values())

    params = zero.shard if zero.stage == 3 else zero.flat
    return {"params": size(params), "grads": size(zero.grad),
            "optimizer": size(zero.adam.exp_avg, zero.adam.exp_avg_sq)}
# --8<-- [end:held]


# --8<-- [start:quick]
def quick_model() -> nn.Module:
    """4 -> 6 -> 3 MLP: 51 parameters, odd, so no N_d > 1 divides it."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3)).double()


def batch(step: int, size: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1000 + step)
    x = torch.randn(size, 4, generator=g, dtype=torch.float64)
    return x, torch.randn(size, 3, generator=g, dtype=torch.float64)


def local(x: torch.Tensor, rank: int, world: int) -> torch.Tensor:
    return x.chunk(world)[rank]  # this rank's rows of the global batch


def reference_weights(steps: int = 3, lr: float = 1e-2) -> torch.Tensor:
    """Single-process training on the whole batch with torch.optim.Adam."""
    model = quick_model()
    opt = torch.optim.Adam(model.parameters(), lr=lr, foreach=False)
    for step in range(steps):
        x, y = batch(step)
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def run_rank(rank: int, world: int, steps: int = 3) -> dict[str, dict]:
    """Every stage on this rank: bytes held, bytes sent, weight difference from one process."""
    reference, out = reference_weights(steps), {}
    for stage, name in STAGES.items():
        comm = Comm(rank, world)
        zero = ZeroDP(quick_model(), stage, comm)
        for step in range(steps):
            x, y = batch(step)
            zero.step(local(x, rank, world), local(y, rank, world))
        sent_per_step = comm.sent // steps
        out[name] = {**held_bytes(zero), "sent_per_step": sent_per_step,
                     "max_weight_diff": (zero.weights() - reference).abs().max().item()}
    return out
# --8<-- [end:quick]


def _worker(rank: int, world: int, port: int, fn, queue) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}",
                            rank=rank, world_size=world)
    try:
        queue.put((rank, fn(rank, world)))
    finally:
        dist.destroy_process_group()


def spawn(fn, world: int) -> list:
    """Run ``fn(rank, world)`` on ``world`` processes (gloo, CPU); the results by rank."""
    if world == 1:
        return [fn(0, 1)]  # no process group: the rings have nothing to send
    context = torch.multiprocessing.get_context("spawn")
    queue = context.SimpleQueue()
    with socket.socket() as s:  # a free port for the rendezvous
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    torch.multiprocessing.spawn(_worker, args=(world, port, fn, queue), nprocs=world)
    results = dict(queue.get() for _ in range(world))
    return [results[r] for r in range(world)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m paper2code.case_studies.zero",
                                     description="ZeRO-DP stages on N CPU processes (gloo).")
    parser.add_argument("--world-size", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if args.world_size < 1 or args.steps < 1:
        print("error: --world-size and --steps must be at least 1", file=sys.stderr)
        return 2
    if "RANK" in os.environ:  # launched by torchrun: this process is one rank
        dist.init_process_group("gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
        ranks = [None] * world
        dist.all_gather_object(ranks, run_rank(rank, world, args.steps))
        dist.destroy_process_group()
        if rank:
            return 0
    else:
        ranks = spawn(functools.partial(run_rank, steps=args.steps), args.world_size)
    result = {name: [r[name] for r in ranks] for name in STAGES.values()}
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for name, rows in result.items():
            print(name, *(f"rank {i}: {row}" for i, row in enumerate(rows)), sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
