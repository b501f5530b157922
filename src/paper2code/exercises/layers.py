"""Exercises on positional encodings: the sinusoidal table and rotary embeddings."""

from __future__ import annotations

import torch

from paper2code.exercises.common import F64, gen, randn
from paper2code.exercises.engine import Bug, Case, Spec
from paper2code.nn.positional import apply_rotary, sinusoidal_table

POSITIONAL = "Positional encodings § Pitfalls"


# --- sinusoidal -----------------------------------------------------------------


def _table(sin_cos=True, interleave=True, two_i=True, start=0, fixed_base=False):
    def table(max_len, d_model, base=10000.0):
        base = 10000.0 if fixed_base else base
        pos = torch.arange(start, start + max_len, dtype=F64)[:, None]
        i = torch.arange(0, d_model, 2, dtype=F64) if two_i else torch.arange(d_model // 2, dtype=F64)
        angle = pos / base ** (i / d_model)
        first, second = (angle.sin(), angle.cos()) if sin_cos else (angle.cos(), angle.sin())
        if interleave:
            return torch.stack((first, second), dim=-1).flatten(-2).float()
        return torch.cat((first, second), dim=-1).float()

    return table


def _sinusoidal_hints(case, got, want, diff) -> list[str]:
    g, w = got[0].double(), want[0].double()
    if got[0].dtype == want[0].dtype and g.shape == w.shape and g.shape[0] > 1 and torch.allclose(g[0], w[0], rtol=0, atol=1e-4):
        return ["row 0 (position 0: sin 0 = 0, cos 0 = 1) is right and later rows are not: the angles "
                "pos / base^(2i/d_model) are off (the frequencies, their exponent, the base, or integer arithmetic)"]
    return []


SINUSOIDAL = Spec(
    name="sinusoidal",
    reference=sinusoidal_table,
    # Angles stay below 20 rad: float32 rounding of pos·θ then errs by < 20·2^-23 ≈ 2.4e-6.
    cases=lambda: [Case("20 positions, d_model 16", (20, 16)), Case("length 1", (1, 8)),
                   Case("d_model 2", (5, 2)), Case("12 positions, d_model 10", (12, 10)),
                   Case("base 100 (not 10000)", (12, 8), {"base": 100.0})],
    bugs=(
        Bug("sin and cos swapped: even columns must be sin", POSITIONAL, _table(sin_cos=False)),
        Bug("sin and cos concatenated [sin | cos] instead of interleaved", POSITIONAL, _table(interleave=False)),
        Bug("exponent i/d_model instead of 2i/d_model", POSITIONAL, _table(two_i=False)),
        Bug("positions counted from 1: position 0 must be sin 0 = 0, cos 0 = 1", POSITIONAL, _table(start=1)),
        Bug("the base argument ignored: 10000 hard-coded", POSITIONAL, _table(fixed_base=True)),
    ),
    outputs=("table",),
    diagnose=_sinusoidal_hints,
)


# --- rotary -------------------------------------------------------------------------


def _rotary(half=False, sign=1.0, two=2.0):
    def rotate(x, positions, base=10000.0):
        d = x.size(-1)
        theta = base ** (-two * torch.arange(d // 2, dtype=F64) / d)
        angle = sign * positions.to(F64)[..., None] * theta
        cos, sin = angle.cos().to(x.dtype), angle.sin().to(x.dtype)
        if half:
            a, b = x[..., : d // 2], x[..., d // 2 :]
            return torch.cat((a * cos - b * sin, a * sin + b * cos), dim=-1)
        a, b = x[..., 0::2], x[..., 1::2]
        return torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1).flatten(-2)

    return rotate


def _rotary_cases() -> list[Case]:
    g = gen(3)
    return [
        Case("positions 0..5", (randn(g, 2, 3, 6, 8), torch.arange(6))),
        Case("positions 100..103", (randn(g, 1, 4, 4), torch.arange(100, 104))),
        Case("length 1 at position 4000", (randn(g, 1, 1, 6), torch.tensor([4000]))),
        Case("float32, positions 0..3", (randn(g, 4, 8, dtype=torch.float32), torch.arange(4))),
    ]


def _relative(impl) -> str | None:
    g = gen(4)
    q, k = randn(g, 1, 8), randn(g, 1, 8)
    scores = [(impl(q, torch.tensor([m])) * impl(k, torch.tensor([m + 3]))).sum().item() for m in (0, 7, 50)]
    if max(scores) - min(scores) > 1e-9 * max(1.0, max(abs(s) for s in scores)):
        return f"q.k at offset 3 from positions 0, 7, 50: {scores[0]:.6f}, {scores[1]:.6f}, {scores[2]:.6f}"
    return None


ROTARY = Spec(
    name="rotary",
    reference=apply_rotary,
    cases=_rotary_cases,
    bugs=(
        Bug("'rotate half' layout (i paired with i + d/2) where the paper pairs adjacent dimensions",
            POSITIONAL, _rotary(half=True)),
        Bug("rotation the wrong way: angle -m·θ_i", POSITIONAL, _rotary(sign=-1.0)),
        Bug("θ_i = base^(-i/d) instead of base^(-2i/d)", POSITIONAL, _rotary(two=1.0)),
    ),
    grad_cases=("positions 0..5",),
    grad_inputs=(0,),
    invariants=(("the score depends only on the offset n - m", _relative),),
)


SPECS = (SINUSOIDAL, ROTARY)
