r"""The checkpoint pitfall of a sharded optimizer, and a fix by resharding.

ZeRO's first stage shards the optimizer states: each rank holds the fp32
master copy, momentum and variance of its own slice of every unit, and the
step count. Saving each rank's slice in its own file ties the checkpoint to
the world size: read back on another number of ranks, a file holds a slice
of another length (or there is no file for the rank). The fix reads every
rank's file, strips the padding, and cuts the unpadded vectors again for the
new world size: the state is restored to the bit on any number of ranks.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.distributed as dist

from paper2code.case_studies.zero import (
    BATCH,
    batch,
    equivalence,
    local,
    quick_model,
    reference_weights,
)
from paper2code.case_studies.zero_dp import ZeroDP
from paper2code.case_studies.zero_parts import Comm

__all__ = ["load_naive", "load_resharded", "resume", "save_shards", "train_and_save"]

KINDS = ("master", "exp_avg", "exp_avg_sq")


# --8<-- [start:checkpoint]
def save_shards(zero: ZeroDP, folder: Path) -> None:
    """Each rank writes what it holds of the optimizer state: its slices and the step."""
    units = [{"master": a.param.clone(), "exp_avg": a.exp_avg.clone(),
              "exp_avg_sq": a.exp_avg_sq.clone(), "psi": lay.psi}
             for a, lay in zip(zero.adams, zero.layouts, strict=True)]
    torch.save({"world": zero.comm.world, "step": zero.adams[0].t, "units": units},
               folder / f"rank{zero.comm.rank}.pt")


def _install(zero: ZeroDP, units: list[dict], step: int) -> None:
    """Copy the slices in, after checking every shape (no collective before: a rank may refuse)."""
    targets = [(a.param, a.exp_avg, a.exp_avg_sq) for a in zero.adams]
    for unit, tensors in zip(units, targets, strict=True):
        for kind, target in zip(KINDS, tensors, strict=True):
            if unit[kind].shape != target.shape:
                raise ValueError(f"rank {zero.comm.rank}: the file holds {unit[kind].numel()} "
                                 f"elements of {kind}, this world size expects {target.numel()}")
    with torch.no_grad():
        for unit, tensors, adam in zip(units, targets, zero.adams, strict=True):
            for kind, target in zip(KINDS, tensors, strict=True):
                target.copy_(unit[kind])
            adam.t = step


def load_naive(zero: ZeroDP, folder: Path) -> None:
    """The pitfall: each rank reads the file of its own rank number."""
    path = folder / f"rank{zero.comm.rank}.pt"
    if not path.exists():
        raise ValueError(f"rank {zero.comm.rank}: no file {path.name} in the checkpoint")
    state = torch.load(path)
    _install(zero, state["units"], state["step"])


def load_resharded(zero: ZeroDP, folder: Path) -> None:
    """The fix: every rank's slices, joined and unpadded, cut again for this world size."""
    files = sorted(folder.glob("rank*.pt"), key=lambda p: int(p.stem[4:]))
    states = [torch.load(p) for p in files]
    if len(states) != states[0]["world"]:
        raise ValueError(f"{folder}: {len(states)} files for a world of {states[0]['world']}")
    units = []
    for u, lay in enumerate(zero.layouts):
        unit = {}
        for kind in KINDS:
            whole = torch.cat([s["units"][u][kind] for s in states])[: states[0]["units"][u]["psi"]]
            padded = torch.cat([whole, whole.new_zeros(lay.padded - lay.psi)])
            unit[kind] = padded[lay.owned(zero.comm.rank)] if zero.stage else padded
        units.append(unit)
    _install(zero, units, states[0]["step"])
# --8<-- [end:checkpoint]


def train_and_save(rank: int, world: int, folder: str, stage: int = 1, steps: int = 2) -> None:
    zero = ZeroDP(quick_model(seed=rank), stage, Comm(rank, world))
    for step in range(steps):
        x, y = batch(step)
        zero.step(local(x, rank, world), local(y, rank, world), rows=BATCH)
    save_shards(zero, Path(folder))


def _gathered(zero: ZeroDP, kind: str) -> list[float]:
    parts = []
    for adam, lay in zip(zero.adams, zero.layouts, strict=True):
        t = getattr(adam, "param" if kind == "master" else kind).detach()
        parts.append((zero.comm.all_gather(t) if zero.stage else t)[: lay.psi])
    return torch.cat(parts).tolist()


def resume(rank: int, world: int, folder: str, stage: int = 1, steps: int = 3,
           naive: bool = False) -> dict:
    """Load (naively, or resharded), report the restored state, and train to ``steps``."""
    zero = ZeroDP(quick_model(seed=rank), stage, Comm(rank, world))
    try:
        (load_naive if naive else load_resharded)(zero, Path(folder))
        failed = ""
    except ValueError as error:
        failed = str(error)
    flag = torch.tensor([int(bool(failed))])
    if world > 1:  # every rank learns that one refused, before any other collective
        dist.all_reduce(flag)
    if flag.item():
        return {"error": failed}
    if zero.stage in (1, 2):  # the working parameters from the restored masters
        for adam, param in zip(zero.adams, zero.params, strict=True):
            zero.comm.all_gather(adam.param.to(param.dtype, copy=True), out=param.detach())
    out = {kind: _gathered(zero, kind) for kind in KINDS} | {"step": zero.adams[0].t}
    for step in range(zero.adams[0].t, steps):
        x, y = batch(step)
        zero.step(local(x, rank, world), local(y, rank, world), rows=BATCH)
    out["equivalence"] = equivalence(zero.weights(), reference_weights(steps))
    return out
