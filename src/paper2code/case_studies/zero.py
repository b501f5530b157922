r"""ZeRO-DP (Rajbhandari et al., 2019, https://arxiv.org/abs/1910.02054) on N CPU processes.

The parts are in `zero_parts` (memory model, layout, Adam, collectives and
their counter), the engine in `zero_dp`, the census of live storages in
`zero_census`. This module is the quick configuration and the command line:

    uv run python -m paper2code.case_studies.zero --world-size 3 --json
    uv run torchrun --nproc-per-node 3 -m paper2code.case_studies.zero --json

prints, per stage and rank, whether training equals one process within the
tolerance, what the rank holds between steps (a census of live storages) and
at the peak of each phase, and the bytes of its collectives per step.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import socket
import sys

import torch
import torch.distributed as dist
from torch import nn

from paper2code.case_studies.zero_census import Census
from paper2code.case_studies.zero_dp import ZeroDP
from paper2code.case_studies.zero_parts import (
    Comm,
    Layout,
    ShardAdam,
    count_collectives,
    model_state_bytes,
    sent,
)

__all__ = ["BATCH", "STAGES", "TOL", "Comm", "Layout", "ShardAdam", "ZeroDP", "batch", "equivalence",
           "local", "main", "model_state_bytes", "padded_formula", "quick_model", "reference_weights",
           "run_rank", "spawn"]

STAGES = {0: "DDP", 1: "P_os", 2: "P_os+g", 3: "P_os+g+p"}
BATCH = 10  # rows per global batch: 3, 4 and 8 ranks split it unevenly, 16 leave ranks empty
# The tolerance, stated before the runs (docs/case-studies/zero.md says why): float64 weights
# after 3 Adam steps at lr 1e-2 equal single-process training within 1e-12.
TOL = 1e-12


# --8<-- [start:quick]
def quick_model(seed: int = 0, dtype: torch.dtype = torch.float64) -> nn.Module:
    """4 -> 6 -> 3 MLP: Ψ = 51 = 3 · 17 parameters in two units of 30 and 21."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3)).to(dtype)


def batch(step: int, size: int = BATCH) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1000 + step)
    x = torch.randn(size, 4, generator=g, dtype=torch.float64)
    return x, torch.randn(size, 3, generator=g, dtype=torch.float64)


def local(x: torch.Tensor, rank: int, world: int) -> torch.Tensor:
    """This rank's rows: contiguous, sizes differing by at most one, possibly none."""
    return torch.tensor_split(x, world)[rank]


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


def padded_formula(world: int, stage: int, dtype: torch.dtype = torch.float64,
                   master: torch.dtype | None = None) -> dict[str, int]:
    """The memory model per unit (each padded to ``world`` shards), with this run's dtypes."""
    size = torch.finfo(dtype).bits // 8
    k = 2 * size if master in (None, dtype) else 3 * (torch.finfo(master).bits // 8)
    total = {"params": 0, "grads": 0, "optimizer": 0}
    for unit in quick_model().modules():
        if list(unit.parameters(recurse=False)):
            psi = Layout(unit, 1).psi
            held = model_state_bytes(psi, world, stage, param_bytes=size, grad_bytes=size, k=k)
            total = {kind: total[kind] + held[kind] for kind in total}
    return total


def equivalence(weights: torch.Tensor, reference: torch.Tensor) -> dict:
    """Equal to ``reference`` within TOL (NaN fails), and the largest difference (NaN shown)."""
    try:
        torch.testing.assert_close(weights, reference, rtol=0, atol=TOL)
        close = True
    except AssertionError:
        close = False
    diff = (weights - reference).abs()
    return {"close": close, "max_abs_diff": float("nan") if diff.isnan().any() else diff.max().item()}


def run_rank(rank: int, world: int, steps: int = 3, census: bool = True,
             dtype: torch.dtype = torch.float64, master: torch.dtype | None = None) -> dict:
    """Every stage on this rank: equivalence, census between steps and at peaks, bytes per step."""
    reference, out = reference_weights(steps), {}
    for stage, name in STAGES.items():
        count = Census() if census else None
        zero = ZeroDP(quick_model(seed=rank, dtype=dtype), stage, Comm(rank, world), master=master)
        with count_collectives() as counts:
            for step in range(steps):
                x, y = batch(step)
                x, y = local(x, rank, world).to(dtype), local(y, rank, world).to(dtype)
                if count and step == steps - 1:  # the census step: peaks sampled at every probe
                    zero.probe = lambda phase, z=zero, c=count, xy=(x, y): c.peak(
                        phase, {**z.known(), "batch": list(xy)})
                zero.step(x, y, rows=BATCH)
                zero.probe = None
        row = {"sent_per_step": sent(counts) // steps,
               "calls_per_step": {k[:-6]: v // steps for k, v in counts.items() if k.endswith(" calls")}}
        if count:
            row["held"] = count.take({**zero.known(), "batch": [x, y]})
            row["peaks"] = {phase: c["total"] for phase, c in count.peaks.items()}
            row["formula"] = padded_formula(world, stage, dtype, master)
        weights = zero.weights()
        row["weights"] = weights.tolist()
        if dtype == torch.float64:
            row["equivalence"] = equivalence(weights, reference)
        out[name] = row
    Census.close()
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
        return [fn(0, 1)]  # no process group: the collectives are copies
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
    parser.add_argument("--no-census", action="store_true", help="skip the census (faster)")
    parser.add_argument("--bf16", action="store_true",
                        help="bf16 parameters and gradients, fp32 master shard and moments")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if args.world_size < 1 or args.steps < 1:
        print("error: --world-size and --steps must be at least 1", file=sys.stderr)
        return 2
    fn = functools.partial(run_rank, steps=args.steps, census=not args.no_census,
                           **(dict(dtype=torch.bfloat16, master=torch.float32) if args.bf16 else {}))
    if "RANK" in os.environ:  # launched by torchrun: this process is one rank
        dist.init_process_group("gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
        ranks = [None] * world
        dist.all_gather_object(ranks, fn(rank, world))
        dist.destroy_process_group()
        if rank:
            return 0
    else:
        ranks = spawn(fn, args.world_size)
    result = {name: [{k: v for k, v in r[name].items() if k != "weights"} for r in ranks]
              for name in STAGES.values()}
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for name, rows in result.items():
            print(name, *(f"rank {i}: {row}" for i, row in enumerate(rows)), sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
