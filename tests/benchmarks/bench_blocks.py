"""Benchmark: from-scratch blocks against their PyTorch counterparts, in one run.

Not part of the default test run (pytest ignores tests/benchmarks). Run it with

    uv run python tests/benchmarks/bench_blocks.py            # print the table
    uv run python tests/benchmarks/bench_blocks.py --record   # also save it for the docs

``--record`` writes docs/building-blocks/performance.json, which the
Performance page reads, prints and checks. Timings use
``torch.utils.benchmark.Timer.blocked_autorange`` (median of many runs, one
thread count fixed for the whole run).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from datetime import date
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.benchmark import Timer

from paper2code.nn.attention import MultiHeadAttention
from paper2code.optim import Adam

OUT = Path(__file__).resolve().parents[2] / "docs" / "building-blocks" / "performance.json"

B, T, D, H = 8, 256, 512, 8


class SDPAMultiHeadAttention(MultiHeadAttention):
    """Our module with only the core swapped for PyTorch's fused kernel."""

    def forward(self, query, key, value, mask=None, return_weights=False):
        q = self._split_heads(self.q_proj(query))
        k = self._split_heads(self.k_proj(key))
        v = self._split_heads(self.v_proj(value))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        b, _, t, _ = out.shape
        return self.out_proj(out.transpose(1, 2).reshape(b, t, self.d_model))


def median_ms(stmt, setup_globals, min_run_time) -> float:
    timer = Timer(stmt=stmt, globals=setup_globals, num_threads=torch.get_num_threads())
    return timer.blocked_autorange(min_run_time=min_run_time).median * 1e3


def bench_attention(min_run_time: float) -> dict[str, float]:
    torch.manual_seed(0)
    x = torch.randn(B, T, D, requires_grad=True)
    ours = MultiHeadAttention(D, H)
    fused_core = SDPAMultiHeadAttention(D, H)
    ref = torch.nn.MultiheadAttention(D, H, batch_first=True)

    def fwd_bwd_ours():
        ours(x, x, x).sum().backward()

    def fwd_bwd_fused_core():
        fused_core(x, x, x).sum().backward()

    def fwd_bwd_ref():
        ref(x, x, x, need_weights=False)[0].sum().backward()

    g = {"a": fwd_bwd_ours, "b": fwd_bwd_fused_core, "c": fwd_bwd_ref}
    return {
        "ours (from scratch)": median_ms("a()", g, min_run_time),
        "ours + F.scaled_dot_product_attention": median_ms("b()", g, min_run_time),
        "torch.nn.MultiheadAttention": median_ms("c()", g, min_run_time),
    }


def bench_adam(min_run_time: float) -> dict[str, float]:
    torch.manual_seed(0)
    # A model with many tensors of mixed sizes, like a real network's: 6 blocks
    # of a 512-wide MLP with biases and norm gains, about 6.3M parameters.
    layers = []
    for _ in range(6):
        layers += [torch.nn.Linear(512, 1024), torch.nn.GELU(), torch.nn.Linear(1024, 512), torch.nn.LayerNorm(512)]
    model = torch.nn.Sequential(*layers)
    for p in model.parameters():
        p.grad = torch.randn_like(p)

    results = {}
    for name, make in (
        ("ours (Algorithm 1)", lambda ps: Adam(ps, lr=1e-3)),
        ("torch.optim.Adam foreach=False", lambda ps: torch.optim.Adam(ps, lr=1e-3, foreach=False)),
        ("torch.optim.Adam foreach=True", lambda ps: torch.optim.Adam(ps, lr=1e-3, foreach=True)),
    ):
        opt = make(model.parameters())
        opt.step()  # create the state outside the timing
        results[name] = median_ms("opt.step()", {"opt": opt}, min_run_time)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help=f"write the results to {OUT.name}")
    parser.add_argument("--min-run-time", type=float, default=2.0, help="seconds per measurement")
    args = parser.parse_args(argv)

    attention = bench_attention(args.min_run_time)
    adam = bench_adam(args.min_run_time)
    results = {
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}",
        "date": date.today().isoformat(),
        "attention_ms": attention,
        "adam_ms": adam,
        "attention_shape": {"batch": B, "length": T, "d_model": D, "heads": H},
        "adam_parameters": 6 * (512 * 1024 + 1024 + 1024 * 512 + 512 + 2 * 512),
    }
    for title, table, baseline in (
        ("attention forward+backward", attention, "torch.nn.MultiheadAttention"),
        ("Adam step", adam, "torch.optim.Adam foreach=False"),
    ):
        print(f"\n{title} (ratio to {baseline})")
        for name, ms in table.items():
            print(f"  {name:<40} {ms:9.2f} ms  {ms / table[baseline]:5.2f}x")
    if args.record:
        OUT.write_text(json.dumps(results, indent=2) + "\n")
        print(f"\nrecorded to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
