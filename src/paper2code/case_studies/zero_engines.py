"""The ZeRO case study against PyTorch's engines: weights and bytes per step.

The same quick training run (`paper2code.case_studies.zero`) through
``torch.distributed.optim.ZeroRedundancyOptimizer`` under DDP (stage 1 as
PyTorch ships it) and FSDP2's ``fully_shard`` (``reshard_after_forward`` True
and False), each compared with single-process training, their collectives
counted at the same boundary as ours (`zero_parts.count_collectives`).

    uv run python -m paper2code.case_studies.zero_engines   # rewrites docs/data/zero.json
"""

from __future__ import annotations

import functools
import json
import sys
import tempfile
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

from paper2code.case_studies.zero import (
    BATCH,
    batch,
    equivalence,
    local,
    quick_model,
    reference_weights,
    run_rank,
    spawn,
)
from paper2code.case_studies.zero_parts import count_collectives, sent

__all__ = ["ENGINES", "RECORD", "engine_run", "measure", "record"]

RECORD = Path(__file__).resolve().parents[3] / "docs" / "data" / "zero.json"
LR, STEPS = 1e-2, 3
ENGINES = ("DDP", "ZeroRedundancyOptimizer", "fully_shard", "fully_shard, reshard_after_forward=False")


def _flat(model: nn.Module) -> torch.Tensor:
    parts = [getattr(p, "full_tensor", lambda p=p: p)().detach().reshape(-1)
             for p in model.parameters()]
    return torch.cat(parts)


# --8<-- [start:engines]
def _train(model: nn.Module, opt, rank: int, world: int, forward=None) -> None:
    """Both engines average the ranks' gradients: a rank's loss is N_d times its share."""
    for step in range(STEPS):
        x, y = batch(step)
        x, y = local(x, rank, world), local(y, rank, world)
        opt.zero_grad()
        out = (forward or model)(x)
        (world * ((out - y) ** 2).sum() / (BATCH * y.shape[1])).backward()
        opt.step()


def ddp_engine(rank: int, world: int, zero_redundancy: bool) -> nn.Module:
    """DDP with Adam, or with ZeroRedundancyOptimizer (each rank updates whole parameters)."""
    from torch.distributed.algorithms.ddp_comm_hooks.default_hooks import allreduce_hook
    from torch.distributed.optim import ZeroRedundancyOptimizer
    from torch.nn.parallel import DistributedDataParallel

    model = quick_model(seed=rank)
    ddp = DistributedDataParallel(model)  # broadcasts rank 0's parameters
    ddp.register_comm_hook(dist.group.WORLD, allreduce_hook)  # dist.all_reduce: counted
    opt = (ZeroRedundancyOptimizer(model.parameters(), optimizer_class=torch.optim.Adam,
                                   lr=LR, foreach=False) if zero_redundancy
           else torch.optim.Adam(model.parameters(), lr=LR, foreach=False))
    _train(model, opt, rank, world, forward=ddp)
    return model


def fsdp2_model(world: int, reshard_after_forward: bool, rank: int = 0) -> nn.Module:
    """FSDP2: each Linear its own unit, then the whole model; parameters sharded on dim 0."""
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    mesh = init_device_mesh("cpu", (world,))
    model = quick_model(seed=0)  # fully_shard does not broadcast: the same seed everywhere
    for layer in model:
        if isinstance(layer, nn.Linear):
            fully_shard(layer, mesh=mesh, reshard_after_forward=reshard_after_forward)
    return fully_shard(model, mesh=mesh, reshard_after_forward=reshard_after_forward)


def fsdp2_engine(rank: int, world: int, reshard_after_forward: bool) -> nn.Module:
    model = fsdp2_model(world, reshard_after_forward, rank)
    _train(model, torch.optim.Adam(model.parameters(), lr=LR, foreach=False), rank, world)
    return model


def engine_run(rank: int, world: int) -> dict:
    """Each engine on this rank: equivalence with one process, bytes and calls per step."""
    reference, out = reference_weights(STEPS, LR), {}
    builders = {"DDP": functools.partial(ddp_engine, zero_redundancy=False),
                "ZeroRedundancyOptimizer": functools.partial(ddp_engine, zero_redundancy=True),
                "fully_shard": functools.partial(fsdp2_engine, reshard_after_forward=True),
                "fully_shard, reshard_after_forward=False":
                    functools.partial(fsdp2_engine, reshard_after_forward=False)}
    for name, build in builders.items():
        with count_collectives() as counts:
            model = build(rank, world)
        weights = _flat(model)
        out[name] = {"sent_per_step": sent(counts) // STEPS,
                     "calls_per_step": {k[:-6]: v // STEPS for k, v in counts.items()
                                        if k.endswith(" calls")},
                     "equivalence": equivalence(weights, reference), "weights": weights.tolist()}
        if name.startswith("fully_shard"):
            out[name]["local_numel"] = sum(p.to_local().numel() for p in model.parameters())
    return out
# --8<-- [end:engines]


def measure() -> dict:
    """Everything the page shows from several processes: ours on 1-5 and 8 ranks (float64,
    and bf16 on 2), the engines on 2-4, the checkpoint saved on 2 and read on 4 and on 1-4."""
    from paper2code.case_studies.zero_checkpoint import resume, train_and_save

    # the single-process run this recording's engines are compared with, on this machine's CPU
    # kernels: quick_model initialises in float32, which other kernel sets round differently
    result = {"reference": reference_weights().tolist(),
              "ours": {w: spawn(run_rank, w) for w in (1, 2, 3, 4, 5, 8)},
              "bf16": spawn(functools.partial(run_rank, dtype=torch.bfloat16, master=torch.float32), 2),
              "engines": {w: spawn(engine_run, w) for w in (2, 3, 4)}, "checkpoint": {}}
    with tempfile.TemporaryDirectory() as folder:
        spawn(functools.partial(train_and_save, folder=folder, stage=1), 2)
        result["checkpoint"]["naive on 4"] = spawn(
            functools.partial(resume, folder=folder, stage=1, naive=True), 4)
        result["checkpoint"]["resharded"] = {
            w: spawn(functools.partial(resume, folder=folder, stage=1), w) for w in (1, 2, 3, 4)}
    return result


def record(path: Path = RECORD) -> dict:
    result = json.loads(json.dumps(measure()))  # keys as JSON has them
    path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print("usage: python -m paper2code.case_studies.zero_engines", file=sys.stderr)
        sys.exit(2)
    record()
    print(f"recorded to {RECORD}")
    assert not dist.is_initialized()
