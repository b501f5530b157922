"""The ZeRO case study against PyTorch's engines, and the checkpoint pitfall.

The same quick training run (`paper2code.case_studies.zero`) through
``torch.distributed.optim.ZeroRedundancyOptimizer`` (stage 1) and FSDP2's
``fully_shard`` (stage 3, and ``reshard_after_forward=False``, the closest
to stage 2), each compared with ours and with single-process training; then
a sharded checkpoint written with ``torch.distributed.checkpoint`` (DCP) on
2 ranks and read on 4 and on 1.

    uv run python -m paper2code.case_studies.zero_engines   # rewrites docs/data/zero.json
"""

from __future__ import annotations

import functools
import json
import sys
import tempfile
import warnings
from pathlib import Path

import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
from torch import nn

from paper2code.case_studies.zero import (
    Comm,
    ZeroDP,
    batch,
    local,
    quick_model,
    reference_weights,
    run_rank,
    spawn,
)

__all__ = ["RECORD", "engine_weights", "load_single", "measure", "naive_reload", "record",
           "rings_against_gloo"]

RECORD = Path(__file__).resolve().parents[3] / "docs" / "data" / "zero.json"
LR, STEPS = 1e-2, 3


def _flat(model: nn.Module) -> torch.Tensor:
    parts = [getattr(p, "full_tensor", lambda p=p: p)().detach().reshape(-1)
             for p in model.parameters()]
    return torch.cat(parts)


def _train(model: nn.Module, opt, rank: int, world: int, forward=None) -> None:
    for step in range(STEPS):
        x, y = batch(step)
        opt.zero_grad()
        out = (forward or model)(local(x, rank, world))
        nn.functional.mse_loss(out, local(y, rank, world)).backward()
        opt.step()


# --8<-- [start:engines]
def zero1_engine(rank: int, world: int) -> torch.Tensor:
    """Stage 1 as PyTorch ships it: DDP all-reduces, each rank's Adam updates whole parameters."""
    from torch.distributed.optim import ZeroRedundancyOptimizer
    from torch.nn.parallel import DistributedDataParallel

    model = quick_model()
    ddp = DistributedDataParallel(model)
    opt = ZeroRedundancyOptimizer(model.parameters(), optimizer_class=torch.optim.Adam,
                                  lr=LR, foreach=False)
    _train(model, opt, rank, world, forward=ddp)
    return _flat(model)


def fsdp2_model(world: int, reshard_after_forward: bool) -> nn.Module:
    """FSDP2: each Linear its own unit, then the whole model; parameters sharded on dim 0."""
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    mesh = init_device_mesh("cpu", (world,))
    model = quick_model()
    for layer in model:
        if isinstance(layer, nn.Linear):
            fully_shard(layer, mesh=mesh, reshard_after_forward=reshard_after_forward)
    return fully_shard(model, mesh=mesh, reshard_after_forward=reshard_after_forward)


def fsdp2_engine(rank: int, world: int, reshard_after_forward: bool = True) -> nn.Module:
    model = fsdp2_model(world, reshard_after_forward)
    opt = torch.optim.Adam(model.parameters(), lr=LR, foreach=False)
    _train(model, opt, rank, world)
    return model
# --8<-- [end:engines]


def ours(rank: int, world: int, stage: int) -> torch.Tensor:
    zero = ZeroDP(quick_model(), stage, Comm(rank, world), lr=LR)
    for step in range(STEPS):
        x, y = batch(step)
        zero.step(local(x, rank, world), local(y, rank, world))
    return zero.weights()


def engine_weights(rank: int, world: int, checkpoint: str | None = None,
                   load: str | None = None) -> dict:
    """One rank: the weights of every engine and of ours; save or load a DCP checkpoint."""
    w = {"single process": reference_weights(STEPS, LR),
         "ours P_os": ours(rank, world, 1), "ours P_os+g+p": ours(rank, world, 3),
         "ZeroRedundancyOptimizer": zero1_engine(rank, world)}
    fsdp = fsdp2_engine(rank, world)
    w["fully_shard"] = _flat(fsdp)
    w["fully_shard, reshard_after_forward=False"] = _flat(fsdp2_engine(rank, world, False))
    local_numel = sum(p.to_local().numel() for p in fsdp.parameters())
    out = {"weights": {k: v.tolist() for k, v in w.items()}, "fsdp_local_numel": local_numel}
    if checkpoint:  # sharded: each rank writes its own shards, plus shared metadata
        dcp.save({"model": fsdp.state_dict()}, checkpoint_id=checkpoint)
    if load:        # another world size: DCP reads the shards by their global offsets
        fresh = fsdp2_model(world, True)
        state = {"model": fresh.state_dict()}
        dcp.load(state, checkpoint_id=load)
        fresh.load_state_dict(state["model"])
        out["loaded"] = _flat(fresh).tolist()
        out["loaded_local_numel"] = sum(p.to_local().numel() for p in fresh.parameters())
    return out


# --8<-- [start:checkpoint]
def load_single(checkpoint: str) -> torch.Tensor:
    """Read a sharded DCP checkpoint into a plain model in one process."""
    model = quick_model()
    state = {"model": model.state_dict()}
    with warnings.catch_warnings():  # "assuming the intent is to load in a single process": yes
        warnings.simplefilter("ignore", UserWarning)
        dcp.load(state, checkpoint_id=checkpoint, no_dist=True)
    model.load_state_dict(state["model"])
    return _flat(model)


def naive_reload(saved_world: int, world: int) -> str:
    """The pitfall: per-rank shard files (torch.save(zero.shard) on each rank) read
    back on another world size, each rank loading the file of its own rank."""
    from paper2code.case_studies.zero import FlatLayout

    saved = FlatLayout(quick_model(), saved_world)
    now = FlatLayout(quick_model(), world)
    for rank in range(world):
        if rank >= saved_world:
            return f"rank {rank}: no file rank{rank}.pt (saved by {saved_world} ranks)"
        if saved.shard != now.shard:
            return (f"rank {rank}: rank{rank}.pt holds {saved.shard} elements, "
                    f"this world size expects {now.shard}")
    return "loaded"
# --8<-- [end:checkpoint]


def rings_against_gloo(rank: int, world: int) -> list[bool]:
    """Our ring collectives and gloo's own on the same float64 tensor."""
    comm, x = Comm(rank, world), torch.randn(world * 13, dtype=torch.float64,
                                             generator=torch.Generator().manual_seed(rank))
    theirs = torch.empty(13, dtype=torch.float64)
    dist.reduce_scatter_tensor(theirs, x.clone())
    gathered = torch.empty_like(x)
    dist.all_gather_into_tensor(gathered, x[:13].clone())
    summed = x.clone()
    dist.all_reduce(summed)
    ours = [comm.reduce_scatter(x.clone()), comm.all_gather(x[:13]), comm.all_reduce(x.clone())]
    if world == 2:  # two-term sums do not depend on the order: equal to the bit
        return [torch.equal(a, b) for a, b in zip(ours, [theirs, gathered, summed], strict=True)]
    # Otherwise each order's rounding error is at most (N - 1) 2^-53 sum |x_r| per element.
    bound = x.abs()
    dist.all_reduce(bound)
    bound *= 2 * (world - 1) * 2.0**-53
    return [bool(((a - b).abs() <= c).all()) for a, b, c in
            zip(ours, [theirs, gathered, summed], [bound.chunk(world)[rank], 0, bound], strict=True)]


def measure() -> dict:
    """Everything the page shows from several processes: 1, 2 and 4 ranks, and the engines."""
    result = {"ours": {w: spawn(functools.partial(run_rank, steps=STEPS), w) for w in (1, 2, 4)}}
    with tempfile.TemporaryDirectory() as tmp:
        two = spawn(functools.partial(engine_weights, checkpoint=tmp), 2)
        four = spawn(functools.partial(engine_weights, load=tmp), 4)
        result["checkpoint on 1"] = load_single(tmp).tolist()
    result["engines"] = {2: two, 4: four}
    result["checkpoint saved"] = two[0]["weights"]["fully_shard"]
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
