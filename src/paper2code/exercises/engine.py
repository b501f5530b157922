r"""How an exercise is checked: run the reader's code and ours on the same inputs.

An exercise (:class:`Spec`) is a list of cases (inputs), a way to run an
implementation on a case (``run``), the reference implementation, optional
gradient checks and invariants, and a catalogue of known bugs: small wrong
implementations (:class:`Bug`). :func:`check` runs the reader's code case by
case and stops at the first failing check; it then runs every catalogued bug
on the same cases and names the bug whose outputs the reader's outputs equal.

Tolerances (stated, not tuned): values are compared in float64 within
``tol · max|expected| + tol · |expected|``, ``tol = 1e-9``. A correct
float64 implementation that orders its operations differently errs by about
(number of operations) × (condition) × $u_{64}$, with $u_{64} = 2^{-53}
\approx 1.1 \times 10^{-16}$; for the checks' sizes (at most a few thousand
operations, condition at most $10^3$) that is below $10^{-9}$ by a factor
of more than 10. Cases in float32 use ``tol = 1e-4``: $u_{32} = 2^{-24}
\approx 6 \times 10^{-8}$ times the same bound of $10^3$. Every catalogued
bug is at least 100 tolerances from the reference on some case
(``tests/test_exercises.py`` asserts it), so no kernel or thread count can
turn a right answer into a named bug or back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

TOLERANCE = {torch.float64: 1e-9, torch.float32: 1e-4}


class ReaderError(Exception):
    """The reader's file cannot be checked: it does not import, lacks the name, or raises."""


class NotImplementedYet(Exception):
    """The reader's function still raises ``NotImplementedError``."""


@dataclass(frozen=True)
class Case:
    """One input: a label the reader sees, positional and keyword arguments."""

    label: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Bug:
    """A known wrong implementation, its name and the page section that explains it."""

    name: str
    section: str
    impl: Any


@dataclass(frozen=True)
class Spec:
    """What ``paper2code exercise check NAME`` runs.

    Attributes:
        name: The exercise's name.
        reference: Our implementation (the page's).
        cases: Builds the inputs, fresh for each implementation.
        bugs: The catalogue of known bugs.
        run: ``run(impl, case) -> list of tensors``; by default ``impl(*args, **kwargs)``
            with its output flattened to a list of tensors.
        grad_cases: Labels of float64 cases whose gradients are compared with
            the reference's and passed through ``torch.autograd.gradcheck``.
        grad_inputs: ``grad_inputs(case) -> indices of args`` that are differentiated.
        invariants: ``(description, check(impl) -> None or what is wrong)``.
    """

    name: str
    reference: Any
    cases: Callable[[], list[Case]]
    bugs: tuple[Bug, ...]
    run: Callable[[Any, Case], list[Tensor]] | None = None
    grad_cases: tuple[str, ...] = ()
    grad_inputs: tuple[int, ...] = ()
    invariants: tuple[tuple[str, Callable[[Any], str | None]], ...] = ()


def as_tensors(out: Any) -> list[Tensor]:
    """An output as a flat list of tensors (numbers become 0-d float64 tensors)."""
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, tuple | list):
        return [t for item in out for t in as_tensors(item)]
    if isinstance(out, bool | int | float):
        return [torch.tensor(float(out), dtype=torch.float64)]
    raise TypeError(f"returned a {type(out).__name__}, not a tensor")


def _clone(case: Case) -> Case:
    """A copy whose tensors the implementation may modify in place."""

    def copy(x):
        return x.detach().clone() if isinstance(x, Tensor) else x

    return Case(case.label, tuple(copy(a) for a in case.args), {k: copy(v) for k, v in case.kwargs.items()})


def run_impl(spec: Spec, impl: Any, case: Case, copy: bool = True) -> list[Tensor]:
    if copy:
        case = _clone(case)
    if spec.run is not None:
        return spec.run(impl, case)
    return as_tensors(impl(*case.args, **case.kwargs))


def difference(got: list[Tensor], want: list[Tensor]) -> str | None:
    """``None`` when ``got`` equals ``want`` within the dtype's tolerance, else what differs."""
    if len(got) != len(want):
        return f"returned {len(got)} tensor(s), expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        which = f"output {i}: " if len(want) > 1 else ""
        if tuple(g.shape) != tuple(w.shape):
            return f"{which}shape {tuple(g.shape)}, expected {tuple(w.shape)}"
        if g.dtype != w.dtype:
            return f"{which}dtype {str(g.dtype).removeprefix('torch.')}, expected {str(w.dtype).removeprefix('torch.')}"
        if w.dtype == torch.bool or not w.is_floating_point():
            if not torch.equal(g, w):
                bad = (g != w).nonzero()[0].tolist()
                return f"{which}differs at index {bad}: {g[tuple(bad)].item()} vs expected {w[tuple(bad)].item()}"
            continue
        gd, wd = g.detach().double(), w.detach().double()
        finite = torch.isfinite(wd)
        if not torch.equal(torch.isfinite(gd), finite):
            bad = (torch.isfinite(gd) != finite).nonzero()[0].tolist()
            return f"{which}{gd[tuple(bad)].item()} at index {bad}, expected {wd[tuple(bad)].item()}"
        tol = TOLERANCE.get(w.dtype, 1e-4)
        scale = (wd[finite].abs().max().item() if finite.any() else 0.0) or 1.0
        err = (gd - wd).abs().masked_fill(~finite, 0.0)
        allowed = tol * scale + tol * wd.abs().masked_fill(~finite, 0.0)
        if (err > allowed).any():
            bad = (err - allowed).flatten().argmax().item()
            index = list(torch.unravel_index(torch.tensor(bad), wd.shape)) if wd.dim() else []
            index = [int(j) for j in index]
            return (
                f"{which}{gd[tuple(index)].item():.6g} at index {index}, expected "
                f"{wd[tuple(index)].item():.6g} (max |difference| {err.max().item():.2g}, tolerance "
                f"{tol:g} relative to max|expected| in {str(w.dtype).removeprefix('torch.')})"
            )
    return None


def _same(got: list[Tensor] | None, want: list[Tensor] | None) -> bool:
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
        gd, wd = g.detach().double(), w.detach().double()
        if not torch.equal(torch.isnan(gd), torch.isnan(wd)):
            return False
        ok = ~torch.isnan(wd)
        if not torch.equal(torch.isinf(gd) & ok, torch.isinf(wd) & ok):
            return False
        fin = torch.isfinite(wd)
        if (torch.isinf(gd) & fin).any() or not torch.equal(gd[torch.isinf(wd)], wd[torch.isinf(wd)]):
            return False
        tol = max(TOLERANCE.get(w.dtype, 1e-4), TOLERANCE.get(g.dtype, 1e-4))
        scale = (wd[fin].abs().max().item() if fin.any() else 0.0) or 1.0
        if ((gd - wd).abs()[fin] > tol * scale + tol * wd.abs()[fin]).any():
            return False
    return True


def _gradients(spec: Spec, impl: Any, case: Case, seed: int = 0) -> list[Tensor]:
    """d/d(inputs) of Σ w·output for fixed random weights w: one vector-Jacobian product."""
    case = _clone(case)
    args = list(case.args)
    for i in spec.grad_inputs:
        args[i] = args[i].detach().requires_grad_(True)
    outs = run_impl(spec, impl, Case(case.label, tuple(args), case.kwargs), copy=False)
    gen = torch.Generator().manual_seed(seed)
    total = sum(
        (o * torch.randn(o.shape, generator=gen, dtype=o.dtype)).sum()
        for o in outs
        if o.is_floating_point() and o.requires_grad
    )
    if not isinstance(total, Tensor):
        raise ReaderError("its output does not depend differentiably on its inputs (no gradient)")
    grads = torch.autograd.grad(total, [args[i] for i in spec.grad_inputs], allow_unused=True)
    return [torch.zeros_like(args[i]) if g is None else g for i, g in zip(spec.grad_inputs, grads, strict=True)]


def _gradcheck(spec: Spec, impl: Any, case: Case) -> bool:
    case = _clone(case)
    args = list(case.args)
    for i in spec.grad_inputs:
        args[i] = args[i].detach().requires_grad_(True)

    def f(*xs):
        full = list(args)
        for i, x in zip(spec.grad_inputs, xs, strict=True):
            full[i] = x
        outs = run_impl(spec, impl, Case(case.label, tuple(full), case.kwargs), copy=False)
        return tuple(o for o in outs if o.is_floating_point())

    try:
        return torch.autograd.gradcheck(f, tuple(args[i] for i in spec.grad_inputs), eps=1e-6, atol=1e-5, rtol=1e-4)
    except (RuntimeError, torch.autograd.gradcheck.GradcheckError):
        return False


@dataclass
class Verdict:
    """The result of :func:`check`: what passed, the first failure, the bug it matches."""

    passed: list[str]
    failure: str | None = None
    bug: Bug | None = None


_OURS: dict[tuple[str, int], dict] = {}  # observations of the reference and of the bugs: fixed


def _observe(spec: Spec, impl: Any, cases: list[Case]) -> dict[str, list[Tensor] | None]:
    """Every output (and gradient) of ``impl`` on ``cases``; ``None`` where it raised."""
    ours = impl is spec.reference or any(impl is bug.impl for bug in spec.bugs)
    if ours and (spec.name, id(impl)) in _OURS:
        return _OURS[spec.name, id(impl)]
    seen: dict[str, list[Tensor] | None] = {}
    for case in cases:
        try:
            seen["case " + case.label] = run_impl(spec, impl, case)
        except Exception:  # a bug may raise where the reader's code does not
            seen["case " + case.label] = None
    for case in cases:
        if case.label in spec.grad_cases:
            try:
                seen["gradient " + case.label] = _gradients(spec, impl, case)
            except Exception:
                seen["gradient " + case.label] = None
    for description, invariant in spec.invariants:
        try:
            seen["invariant " + description] = [torch.tensor(invariant(impl) is None)]
        except Exception:
            seen["invariant " + description] = None
    if ours:
        _OURS[spec.name, id(impl)] = seen
    return seen


def recognise(spec: Spec, impl: Any, cases: list[Case], first: str | None = None) -> Bug | None:
    """The catalogued bug that explains every place where ``impl`` differs from the reference.

    Best: the bug's results equal the reader's everywhere. Next: on each case
    (gradient, invariant) where the reader's result differs from ours, the
    bug's equals the reader's. Last: they are equal on ``first``, the
    observation where the check failed (the reader may have a second bug).
    """
    ours = _observe(spec, impl, cases)
    reference = _observe(spec, spec.reference, cases)
    wrong = [k for k, v in ours.items() if v is not None and not _same(v, reference[k])]
    if not wrong:
        return None
    explains, at_first = [], []
    for bug in spec.bugs:
        theirs = _observe(spec, bug.impl, cases)
        if all(_same(ours[k], theirs.get(k)) for k in wrong):
            ran = [k for k in ours if ours[k] is not None and theirs.get(k) is not None]
            if all(_same(ours[k], theirs[k]) for k in ran):
                return bug  # the same results everywhere: the best match
            explains.append(bug)
        elif first in ours and _same(ours[first], theirs.get(first)):
            at_first.append(bug)
    return (explains or at_first or [None])[0]


def _call(spec: Spec, impl: Any, case: Case) -> list[Tensor]:
    try:
        return run_impl(spec, impl, case)
    except NotImplementedError as e:
        raise NotImplementedYet(str(e)) from None
    except Exception as e:
        raise ReaderError(f"raised {type(e).__name__} on the case '{case.label}': {one_line(e)}") from None


def one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text[:300] + ("..." if len(text) > 300 else "")


def check(spec: Spec, impl: Any) -> Verdict:
    """Run every check on ``impl``; stop at the first failure and look it up in the catalogue."""
    cases = spec.cases()
    verdict, first = Verdict(passed=[]), None
    for case in cases:
        got = _call(spec, impl, case)
        want = run_impl(spec, spec.reference, case)
        problem = difference(got, want)
        if problem is not None:
            verdict.failure, first = f"values on the case '{case.label}': {problem}", "case " + case.label
            break
        verdict.passed.append(f"values: {case.label}")
    if verdict.failure is None:
        for case in cases:
            if case.label not in spec.grad_cases:
                continue
            try:
                got = _gradients(spec, impl, case)
            except ReaderError as e:
                verdict.failure, first = f"gradients on the case '{case.label}': {e}", "gradient " + case.label
                break
            except Exception as e:
                raise ReaderError(f"raised {type(e).__name__} in backward on '{case.label}': {one_line(e)}") from None
            problem = difference(got, _gradients(spec, spec.reference, case))
            if problem is None and not _gradcheck(spec, impl, case):
                problem = "torch.autograd.gradcheck failed (its backward disagrees with finite differences)"
            if problem is not None:
                verdict.failure, first = f"gradients on the case '{case.label}': {problem}", "gradient " + case.label
                break
            verdict.passed.append(f"gradients (float64, gradcheck): {case.label}")
    if verdict.failure is None:
        for description, invariant in spec.invariants:
            try:
                problem = invariant(impl)
            except NotImplementedError as e:
                raise NotImplementedYet(str(e)) from None
            except Exception as e:
                raise ReaderError(f"raised {type(e).__name__} checking that {description}: {one_line(e)}") from None
            if problem is not None:
                verdict.failure, first = f"{description}: {problem}", "invariant " + description
                break
            verdict.passed.append(description)
    if verdict.failure is not None:
        verdict.bug = recognise(spec, impl, cases, first)
    return verdict
