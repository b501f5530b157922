r"""Comparing the reader's outputs with the expected ones, and saying what the numbers show.

:func:`difference` returns ``None`` when every output is within tolerance, else
a :class:`Difference`: the output by name, the worst index, both values with
enough digits to tell them apart, and hints that the numbers support (a
constant ratio, float32-sized agreement, only the first batch element right,
the right values in the wrong places, a sign flip). A hint is printed only when
the numbers show it; none is a guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor

TOLERANCE = {torch.float64: 1e-9, torch.float32: 1e-4}
U32 = 2.0**-24  # float32's unit roundoff


@dataclass
class Difference:
    """What differs: one line, and hints the numbers support."""

    text: str
    output: int = 0
    hints: list[str] = field(default_factory=list)


def _name(names, i: int, n: int) -> str:
    if callable(names):
        return names(i)
    if names and i < len(names):
        return names[i]
    return "the output" if n == 1 else f"output {i}"


def _digits(a: float, b: float) -> int:
    """Significant digits that show where ``a`` and ``b`` part (6 at least, 17 at most)."""
    if not (math.isfinite(a) and math.isfinite(b)) or a == b:
        return 6
    rel = abs(a - b) / max(abs(a), abs(b))
    return int(min(17, max(6, math.ceil(-math.log10(rel)) + 3)))


def _dtype(t: torch.dtype) -> str:
    return str(t).removeprefix("torch.")


def _index(flat: int, shape) -> list[int]:
    return [int(j) for j in torch.unravel_index(torch.tensor(flat), tuple(shape))] if len(shape) else []


def _fmt_index(name: str, index: list[int]) -> str:
    return f"{name}[{', '.join(map(str, index))}]" if index else name


def tolerance(want: Tensor, tol: float | None) -> float:
    return tol if tol is not None else TOLERANCE.get(want.dtype, 1e-4)


def _value_hints(gd: Tensor, wd: Tensor, tol: float, float64: bool, batch_first: bool = False) -> list[str]:
    hints = []
    finite = torch.isfinite(gd) & torch.isfinite(wd)
    scale = wd[torch.isfinite(wd)].abs().max().item() if torch.isfinite(wd).any() else 0.0
    err = (gd - wd).abs()[finite]
    rel = err.max().item() / (scale or 1.0) if err.numel() else float("inf")
    if torch.isnan(gd).any() and not torch.isnan(wd).any():
        hints.append("your result has NaN where every expected value is a number (a 0/0, an exp overflow, "
                     "or a softmax over a row of -inf?)")
        return hints
    signs = torch.sign(gd - wd)[finite & ((gd - wd).abs() > tol * (scale or 1.0))]
    mixed = signs.numel() >= 4 and min(int((signs > 0).sum()), int((signs < 0).sum())) >= 0.2 * signs.numel()
    if float64 and finite.all() and tol < rel <= 4 * U32 and mixed:
        hints.append(f"your values agree with the expected ones to about {rel:.0e} relative, with errors of "
                     f"both signs: the size and pattern of float32 rounding (2^-24 = {U32:.1e} per operation). This exercise computes in float64 and refuses "
                     "float32 arithmetic by design: look for .float(), a torch.zeros/ones/tensor without dtype=, "
                     "or torch.float32 somewhere in your code")
        return hints
    nz = finite & (wd.abs() > 1e-12 * (scale or 1.0)) & (gd.abs() > 0)
    if nz.sum() >= 1:
        ratio = gd[nz] / wd[nz]
        r = ratio.mean().item()
        whole = min(abs(r - round(r)), abs(1 / r - round(1 / r))) < 1e-9 * max(abs(r), abs(1 / r))
        if (nz.sum() >= 2 or whole) and (ratio - r).abs().max().item() <= 1e-6 * abs(r) and abs(r - 1) > 1e-6:
            text = f"got/expected = {r:.10g}" + (" at every entry" if nz.sum() >= 2 else "")
            if abs(r + 1) < 1e-6:
                text = "got = -expected at every entry: the sign is flipped"
            elif r > 1 and abs(r - round(r)) < 1e-6 * r:
                text += f" (exactly {round(r)}: a sum where a mean belongs, or a missing 1/{round(r)}?)"
            elif r < 1 and abs(1 / r - round(1 / r)) < 1e-6 / r:
                text += f" (exactly 1/{round(1 / r)}: a mean where a sum belongs, or an extra 1/{round(1 / r)}?)"
            else:
                text += " (a constant factor: a scale, a normaliser or a coefficient is off)"
            hints.append(text)
            return hints
    if batch_first and wd.dim() >= 2 and wd.shape[0] > 1 and finite.all():
        first = (gd[0] - wd[0]).abs().max().item() <= tol * (scale or 1.0)
        if first:
            hints.append("only entries with a first index >= 1 are wrong: the first batch element is right. "
                         "Something mixes the batch axis: a reduction over dim 0, a missing keepdim, "
                         "a reshape or a view across it")
            return hints
    if wd.numel() > 1 and finite.all() and gd.numel() == wd.numel():
        a, b = gd.flatten().sort().values, wd.flatten().sort().values
        if (a - b).abs().max().item() <= tol * (scale or 1.0):
            hints.append("your result holds exactly the expected values, in other places: "
                         "a transpose, a swap or an interleaving/concatenation order")
    return hints


def difference(got: list[Tensor], want: list[Tensor], names=None, tol: float | None = None,
               batch_first: bool = False) -> Difference | None:
    """``None`` when ``got`` equals ``want`` within the tolerance, else what differs and what that suggests."""
    if len(got) != len(want):
        return Difference(f"returned {len(got)} tensor(s), expected {len(want)}"
                          + (f" ({', '.join(_name(names, i, len(want)) for i in range(len(want)))})"
                             if names and not callable(names) else ""))
    n = len(want)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        name = _name(names, i, n)
        if tuple(g.shape) != tuple(w.shape):
            d = Difference(f"{name}: shape {tuple(g.shape)}, expected {tuple(w.shape)}", i)
            if g.numel() == w.numel():
                d.hints.append("the same number of elements in another shape: an axis missing, added, "
                               "or in another order")
            elif w.numel() and g.numel() and (w.numel() % g.numel() == 0):
                d.hints.append("fewer elements than expected: an axis reduced or dropped that must stay "
                               "(keepdim=True? an argument ignored?)")
            return d
        if g.dtype != w.dtype:
            d = Difference(f"{name}: dtype {_dtype(g.dtype)}, expected {_dtype(w.dtype)}", i)
            if w.dtype == torch.bool:
                d.hints.append("a boolean mask is asked for: True/False, not 1/0 or 0/-inf numbers "
                               "(masked_fill and ~mask need booleans)")
            elif w.dtype == torch.float32 and g.dtype == torch.float64:
                d.hints.append("the stub asks for a float32 result: compute as you like, then return .float()")
            elif w.dtype == torch.float64 and g.dtype == torch.float32:
                d.hints.append("float64 in, float64 out: something in your code creates float32 tensors "
                               "(torch.zeros/tensor without dtype=, .float())")
            return d
        if w.dtype == torch.bool or not w.is_floating_point():
            if not torch.equal(g, w):
                bad = (g != w).nonzero()[0].tolist()
                d = Difference(f"{_fmt_index(name, bad)} is {g[tuple(bad)].item()}, expected "
                               f"{w[tuple(bad)].item()} ({int((g != w).sum())} of {w.numel()} entries differ)", i)
                if w.dtype == torch.bool and torch.equal(g, ~w):
                    d.hints.append("every entry is the opposite: the polarity is inverted (True must mean "
                                   "'may attend' / 'kept')")
                elif w.dim() == 2 and w.shape[0] == w.shape[1] and torch.equal(g, w.T):
                    d.hints.append("your result is the transpose of the expected one: rows are queries, "
                                   "columns are keys")
                return d
            continue
        gd, wd = g.detach().double(), w.detach().double()
        t = tolerance(w, tol)
        finite = torch.isfinite(wd)
        if not torch.equal(torch.isfinite(gd), finite):
            bad = (torch.isfinite(gd) != finite).nonzero()[0].tolist()
            d = Difference(f"{_fmt_index(name, bad)} is {gd[tuple(bad)].item()}, expected {wd[tuple(bad)].item()}", i)
            d.hints = _value_hints(gd, wd, t, w.dtype == torch.float64, batch_first)
            return d
        scale = (wd[finite].abs().max().item() if finite.any() else 0.0) or 1.0
        err = (gd - wd).abs().masked_fill(~finite, 0.0)
        allowed = t * scale + t * wd.abs().masked_fill(~finite, 0.0)
        if (err > allowed).any():
            index = _index(int((err - allowed).flatten().argmax().item()), wd.shape)
            a, b = gd[tuple(index)].item(), wd[tuple(index)].item()
            k = _digits(a, b)
            d = Difference(
                f"{_fmt_index(name, index)} is {a:.{k}g}, expected {b:.{k}g} (|difference| {abs(a - b):.2g}; "
                f"allowed {t:.1g} x (max|expected| = {scale:.3g}, plus |expected|), {_dtype(w.dtype)}; "
                f"{int((err > allowed).sum())} of {w.numel()} entries off)", i)
            d.hints = _value_hints(gd, wd, t, w.dtype == torch.float64, batch_first)
            return d
    return None


def same(got: list[Tensor] | None, want: list[Tensor] | None, tol: float | None = None) -> bool:
    """Bug matching: equal within tolerance, NaN equal to NaN, infinities equal."""
    if got is None or want is None or len(got) != len(want):
        return False
    for g, w in zip(got, want, strict=True):
        if not isinstance(g, Tensor) or not isinstance(w, Tensor) or tuple(g.shape) != tuple(w.shape):
            return False
        if not w.is_floating_point() or not g.is_floating_point():
            if g.dtype != w.dtype or not torch.equal(g, w):
                return False
            continue
        if g.dtype != w.dtype:
            return False
        gd, wd = g.detach().double(), w.detach().double()
        if not torch.equal(torch.isnan(gd), torch.isnan(wd)):
            return False
        ok = ~torch.isnan(wd)
        if not torch.equal(torch.isinf(gd) & ok, torch.isinf(wd) & ok):
            return False
        fin = torch.isfinite(wd)
        if not torch.equal(gd[torch.isinf(wd)], wd[torch.isinf(wd)]):
            return False
        t = tolerance(w, tol)
        scale = (wd[fin].abs().max().item() if fin.any() else 0.0) or 1.0
        if ((gd - wd).abs()[fin] > t * scale + t * wd.abs()[fin]).any():
            return False
    return True


def aliases(got: list[Tensor], names=None) -> list[str]:
    """Hints for outputs that are one tensor returned twice."""
    hints = []
    ptr = lambda t: (t.untyped_storage().data_ptr(), t.storage_offset(), tuple(t.shape))  # noqa: E731
    for i in range(len(got)):
        for j in range(i):
            if got[i].numel() and ptr(got[i]) == ptr(got[j]):
                a, b = _name(names, j, len(got)), _name(names, i, len(got))
                hints.append(f"'{b}' is the same tensor as '{a}' (one object returned twice, or one changed in "
                             "place after the other was taken)")
    return hints
