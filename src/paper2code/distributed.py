"""Data-parallel training with DistributedDataParallel, launched by torchrun.

    uv run torchrun --standalone --nproc_per_node 2 -m paper2code.distributed --steps 50 --out runs/ddp

Every process (rank) holds a full copy of the model and trains on its shard
of each global batch. In ``loss.backward()`` DDP all-reduces the gradients,
averaging them over the ranks, so every replica takes the same step and the
replicas stay identical. With equal shards, the average of the shards' mean
gradients is the mean gradient of the global batch: the run equals a
single-process run on the whole batch, up to float rounding.

The CPU backend is gloo; on GPUs use nccl and one device per rank
(``torch.cuda.set_device(local_rank)``). The update is plain SGD written out,
so that nothing hides what the all-reduce does; a ``torch.optim`` optimizer
takes its place unchanged.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

__all__ = ["make_data", "make_model", "train"]


def make_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)  # the same initial weights on every rank
    return nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1))


def make_data(n: int = 512, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=g)
    return x, x[:, :1] * x[:, 1:2] + 0.1 * torch.randn(n, 1, generator=g)


# --8<-- [start:train]
def train(rank: int, world_size: int, steps: int = 50, global_batch: int = 64, lr: float = 0.05) -> dict:
    """Train on this rank's shard of each global batch; returns the final weights.

    With ``world_size == 1`` this is the plain single-process run.
    """
    x, y = make_data()
    model = make_model()
    if world_size > 1:
        model = DDP(model)  # broadcasts rank 0's weights, then all-reduces gradients
    params = list(model.parameters())
    for step in range(steps):
        # Every rank draws the same global batch, then keeps its own shard of it.
        g = torch.Generator().manual_seed(1000 + step)
        batch = torch.randperm(len(x), generator=g)[:global_batch]
        shard = batch[rank::world_size]  # (global_batch / world_size,)
        loss = nn.functional.mse_loss(model(x[shard]), y[shard])
        for p in params:
            p.grad = None
        loss.backward()  # DDP: gradients averaged over ranks here
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad  # plain SGD, written out; any torch.optim optimizer works the same
    module = model.module if isinstance(model, DDP) else model
    return {k: v.detach().clone() for k, v in module.state_dict().items()}
# --8<-- [end:train]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="DDP training on CPU (gloo); run it with torchrun.")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--global-batch", type=int, default=64)
    parser.add_argument("--out", type=Path, required=True, help="folder for rank<N>.pt")
    args = parser.parse_args(argv)

    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if args.global_batch < 1 or args.global_batch % world_size:  # equal shards, or no equivalence
        print(f"error: --global-batch {args.global_batch} is not a positive multiple of "
              f"{world_size} ranks", file=sys.stderr)
        return 2
    if world_size > 1:
        dist.init_process_group("gloo")  # reads MASTER_ADDR, MASTER_PORT, RANK from torchrun
    rank = dist.get_rank() if world_size > 1 else 0
    try:
        state = train(rank, world_size, args.steps, args.global_batch)
        args.out.mkdir(parents=True, exist_ok=True)
        torch.save(state, args.out / f"rank{rank}.pt")
    finally:
        if world_size > 1:
            dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
