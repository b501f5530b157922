r"""How an exercise is checked: run the reader's code and ours on the same inputs.

An exercise (:class:`Spec`) is a list of cases (inputs), a way to run an
implementation on a case (``run``), the expected values (our implementation,
or an ``oracle`` in higher precision where a case is ill-conditioned),
optional gradient checks and invariants, and a catalogue of known bugs: small
wrong implementations (:class:`Bug`). :func:`check` runs the reader's code case
by case and stops at the first failing check; it then runs every catalogued
bug on the same cases (:mod:`~paper2code.exercises.recognise`) and names the
bug whose outputs equal the reader's on the failing case.

Tolerances (stated, not tuned): values are compared within ``tol ·
max|expected| + tol · |expected|``, ``tol = 1e-9`` in float64. A correct
float64 implementation that orders its operations differently errs by about
(number of operations) × (condition) × $u_{64}$, with $u_{64} = 2^{-53}
\approx 1.1 \times 10^{-16}$; for the checks' sizes (at most a few thousand
operations, condition at most $10^3$) that is below $10^{-9}$ by a factor of
more than 10. A case whose condition is larger carries its own ``tol``,
derived on the case (LayerNorm's mean of $10^8$: condition $10^8$). Cases in
float32 use ``1e-4``: $u_{32} = 2^{-24} \approx 6 \times 10^{-8}$ times the
same bound of $10^3$. Every catalogued bug is at least 100 tolerances from the
reference on some case (``tests/test_exercises.py`` asserts it).

Side effects are checked on every case: the reader's code gets copies of the
inputs, and a copy that comes back changed is a failure (the caller's tensors
must stay as they were). Every call runs under a time limit
(:mod:`~paper2code.exercises.sandbox`).
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from paper2code.exercises import sandbox
from paper2code.exercises.compare import TOLERANCE, Difference, aliases, difference, same  # noqa: F401 - re-exported

GENERIC = "no catalogued bug matches"


class ReaderError(Exception):
    """The reader's file cannot be checked: it does not import, lacks the name, raises or runs too long."""


class NotImplementedYet(Exception):
    """The reader's function still raises ``NotImplementedError``."""


class SideEffect(Exception):  # noqa: N818 - a finding, raised by a ``run`` that watches the caller's objects
    """The reader's code changed something of the caller's (an input, a ``.grad``) or skipped a contract."""


@dataclass(frozen=True)
class Case:
    """One input: a label the reader sees, positional and keyword arguments, and its tolerance if not the dtype's."""

    label: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    tol: float | None = None


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
            with its output flattened to a list of tensors. It may raise :class:`SideEffect`.
        grad_cases: Labels of float64 cases whose gradients are compared with
            the reference's and passed through ``torch.autograd.gradcheck``.
        grad_inputs: ``grad_inputs(case) -> indices of args`` that are differentiated.
        invariants: ``(description, check(impl) -> None or what is wrong)``.
        outputs: The outputs' names (a tuple, or ``i -> name``), as failures name them.
        inputs: The arguments' names, as side-effect failures name them.
        oracle: ``oracle(case) -> expected outputs`` where ours is not accurate enough; else the reference's.
        diagnose: ``diagnose(case, got, want, difference) -> hints`` the exercise can add.
        batch_first: The outputs' first axis is a batch axis (a hint says when only element 0 is right).
    """

    name: str
    reference: Any
    cases: Callable[[], list[Case]]
    bugs: tuple[Bug, ...]
    run: Callable[[Any, Case], list[Tensor]] | None = None
    grad_cases: tuple[str, ...] = ()
    grad_inputs: tuple[int, ...] = ()
    invariants: tuple[tuple[str, Callable[[Any], str | None]], ...] = ()
    outputs: Any = None
    inputs: tuple[str, ...] = ()
    oracle: Callable[[Case], list[Tensor]] | None = None
    diagnose: Callable[[Case, list[Tensor], list[Tensor], Difference], list[str]] | None = None
    batch_first: bool = False


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
        if isinstance(x, Tensor):
            return x.detach().clone()
        return deepcopy(x) if isinstance(x, list | dict | tuple) else x

    return Case(case.label, tuple(copy(a) for a in case.args), {k: copy(v) for k, v in case.kwargs.items()}, case.tol)


def _changed(before: Case, after: Case, names: tuple[str, ...]) -> str | None:
    pairs = [(names[i] if i < len(names) else f"argument {i + 1}", a, b)
             for i, (a, b) in enumerate(zip(before.args, after.args, strict=True))]
    pairs += [(k, before.kwargs[k], after.kwargs[k]) for k in before.kwargs]
    for name, a, b in pairs:
        if isinstance(a, list | dict) and not isinstance(a, Tensor) and _plain(a) and a != b:
            return (f"your code changed its input '{name}' in place (sorted, appended to or overwritten): the "
                    "caller's list/dict must come back as it was (work on a copy: sorted(x), dict(x))")
        if isinstance(a, Tensor) and isinstance(b, Tensor) and a.shape == b.shape and not torch.equal(a, b):
            if not (a.is_floating_point() and torch.allclose(a, b, rtol=0, atol=0, equal_nan=True)):
                return (f"your code changed its input '{name}' in place: the caller's tensor must come back as it "
                        "was (work on a copy, or use out-of-place operations: x - mu, not x.sub_(mu) or x[...] = ...)")
    return None


def _plain(x) -> bool:
    """Lists and dicts of numbers, strings and other such: compared with ==."""
    if isinstance(x, dict):
        return all(_plain(v) for v in x.values())
    if isinstance(x, list | tuple):
        return all(_plain(v) for v in x)
    return isinstance(x, int | float | str | bool) or x is None


def run_impl(spec: Spec, impl: Any, case: Case, copy: bool = True) -> list[Tensor]:
    if not copy:
        return spec.run(impl, case) if spec.run is not None else as_tensors(impl(*case.args, **case.kwargs))
    given = _clone(case)
    out = spec.run(impl, given) if spec.run is not None else as_tensors(impl(*given.args, **given.kwargs))
    problem = _changed(case, given, spec.inputs)
    if problem is not None:
        raise SideEffect(problem)
    return out


def expected(spec: Spec, case: Case) -> list[Tensor]:
    return spec.oracle(case) if spec.oracle is not None else run_impl(spec, spec.reference, case)


def one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text[:300] + ("..." if len(text) > 300 else "")


def guarded(what: str, fn: Callable[[], Any]) -> Any:
    """``fn()`` under the time limit; the reader's exceptions become one line naming ``what`` and file:line."""
    limit = sandbox.timeout_s()
    try:
        with sandbox.time_limit(limit):
            return fn()
    except sandbox.CheckTimeout:
        raise ReaderError(f"took longer than {limit:g} s {what}: an endless loop? (the limit per check is "
                          f"{limit:g} s)") from None
    except NotImplementedError as e:
        if sandbox.where(e):  # the reader's own `raise NotImplementedError`, not an op torch lacks
            raise NotImplementedYet(str(e)) from None
        raise ReaderError(f"raised NotImplementedError (from PyTorch) {what}: {one_line(e)}") from None
    except (SideEffect, ReaderError, NotImplementedYet):
        raise
    except Exception as e:
        at = sandbox.where(e)
        raise ReaderError(f"raised {type(e).__name__}{' at ' + at if at else ''} {what}: {one_line(e)}") from None


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
        raise SideEffect("no gradient reaches the inputs: your output does not depend differentiably on them "
                         "(torch.no_grad(), .detach(), .item() or a new tensor built from values?)")
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
    except Exception:  # GradcheckError is a RuntimeError; the reader's backward may raise anything
        return False


@dataclass
class Verdict:
    """The result of :func:`check`: what passed, the first failure, the bug it matches, hints, or an error."""

    passed: list[str]
    failure: str | None = None
    bug: Bug | None = None
    hints: list[str] = field(default_factory=list)
    error: str | None = None
    case: Case | None = None
    got: list[Tensor] | None = None
    want: list[Tensor] | None = None
    unfinished: bool = False


def _fail(verdict: Verdict, text: str, case: Case | None, hints=(), got=None, want=None) -> Verdict:
    verdict.failure, verdict.case, verdict.got, verdict.want = text, case, got, want
    verdict.hints = list(dict.fromkeys(hints))
    return verdict


def _run_checks(spec: Spec, impl: Any, cases: list[Case], verdict: Verdict) -> str | None:
    """The checks in order; returns the observation key of the first failure (``None``: all passed)."""
    for case in cases:
        on = f"on the case '{case.label}'"
        try:
            got = guarded(on, lambda case=case: run_impl(spec, impl, case))
        except SideEffect as e:
            _fail(verdict, f"side effect {on}: {e}", case)
            return "case " + case.label
        want = expected(spec, case)
        diff = difference(got, want, spec.outputs, case.tol, spec.batch_first)
        if diff is not None:
            hints = diff.hints + aliases(got, spec.outputs)
            if spec.diagnose is not None:
                hints += spec.diagnose(case, got, want, diff)
            _fail(verdict, f"values {on}: {diff.text}", case, hints, got, want)
            return "case " + case.label
        verdict.passed.append(f"values: {case.label}")
    for case in cases:
        if case.label not in spec.grad_cases:
            continue
        on = f"in backward on the case '{case.label}'"
        try:
            got = guarded(on, lambda case=case: _gradients(spec, impl, case))
        except SideEffect as e:
            _fail(verdict, f"gradients on the case '{case.label}': {e}", case)
            return "gradient " + case.label
        diff = difference(got, _gradients(spec, spec.reference, case),
                          tuple(f"d/d {spec.inputs[i] if i < len(spec.inputs) else i}" for i in spec.grad_inputs))
        text = diff.text if diff is not None else None
        if text is None and not guarded(on, lambda case=case: _gradcheck(spec, impl, case)):
            text = "torch.autograd.gradcheck failed (its backward disagrees with finite differences)"
        if text is not None:
            hints = diff.hints if diff is not None else []
            if diff is not None:
                ref = _gradients(spec, spec.reference, case)
                names = [f"d/d {spec.inputs[i] if i < len(spec.inputs) else i}" for i in spec.grad_inputs]
                hints += [f"{n} is zero where ours is not: no gradient flows there (a .detach(), torch.no_grad() "
                          "or a value taken out with .item() cuts the graph)"
                          for n, g, r in zip(names, got, ref, strict=True) if not g.any() and r.any()]
                if not hints:
                    hints.append("your values passed on every case and the gradients differ: part of the "
                                 "computation is a constant in backward (a .detach(), torch.no_grad(), or a "
                                 "statistic computed outside the graph)")
            _fail(verdict, f"gradients on the case '{case.label}': {text}", case, hints)
            return "gradient " + case.label
        verdict.passed.append(f"gradients (float64, gradcheck): {case.label}")
    for description, invariant in spec.invariants:
        try:
            problem = guarded(f"checking that {description}", lambda invariant=invariant: invariant(impl))
        except SideEffect as e:
            problem = str(e)
        if problem is not None:
            _fail(verdict, f"{description}: {problem}", None)
            return "invariant " + description
        verdict.passed.append(description)
    return None
