"""Naming the bug: `check` runs every check, then finds the catalogued bug whose results equal the reader's.

A bug is named only when its result equals the reader's on the observation
(case, gradient or invariant) where the check failed, so that the name explains
what the reader sees. Among those, one that equals the reader's results wherever
they differ from ours is preferred. The reader's code runs again here with its
output hidden and under the time limit; what it raises or a time-out counts as
"no observation".
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

import torch
from torch import Tensor

from paper2code.exercises import sandbox
from paper2code.exercises.compare import same
from paper2code.exercises.engine import (
    Bug,
    Case,
    NotImplementedYet,
    ReaderError,
    Spec,
    Verdict,
    _gradients,
    _run_checks,
    expected,
    run_impl,
)

_OURS: dict[tuple[str, int], dict] = {}  # observations of the reference and of the bugs: fixed


def _observe(spec: Spec, impl: Any, cases: list[Case], reference: bool = False) -> dict[str, list[Tensor] | None]:
    """Every output (and gradient) of ``impl`` on ``cases``; ``None`` where it raised."""
    ours = reference or any(impl is bug.impl for bug in spec.bugs)
    key = (spec.name, -1 if reference else id(impl))
    if ours and key in _OURS:
        return _OURS[key]
    seen: dict[str, list[Tensor] | None] = {}

    def attempt(fn):
        try:
            with contextlib.redirect_stdout(io.StringIO()), sandbox.time_limit(0 if ours else sandbox.timeout_s()):
                return fn()
        except (Exception, sandbox.CheckTimeout):  # a bug may raise where the reader's code does not
            return None

    for case in cases:
        run = (lambda c=case: expected(spec, c)) if reference else (lambda c=case: run_impl(spec, impl, c))
        seen["case " + case.label] = attempt(run)
    for case in cases:
        if case.label in spec.grad_cases:
            target = spec.reference if reference else impl
            seen["gradient " + case.label] = attempt(lambda c=case, t=target: _gradients(spec, t, c))
    for description, invariant in spec.invariants:
        target = spec.reference if reference else impl
        seen["invariant " + description] = attempt(lambda i=invariant, t=target: [torch.tensor(i(t) is None)])
    if ours:
        _OURS[key] = seen
    return seen


def recognise(spec: Spec, impl: Any, cases: list[Case], first: str | None = None) -> Bug | None:
    """The catalogued bug that explains the failing observation ``first`` (see the module's docstring)."""
    tol = {"case " + c.label: c.tol for c in cases}
    ours = _observe(spec, impl, cases)
    reference = _observe(spec, spec.reference, cases, reference=True)
    wrong = [k for k, v in ours.items() if v is not None and not same(v, reference[k], tol.get(k))]
    if first is None or ours.get(first) is None:
        return None
    explains, at_first = [], []
    for bug in spec.bugs:
        theirs = _observe(spec, bug.impl, cases)
        if not same(ours[first], theirs.get(first), tol.get(first)):
            continue
        if all(same(ours[k], theirs.get(k), tol.get(k)) for k in wrong):
            ran = [k for k in ours if ours[k] is not None and theirs.get(k) is not None]
            if all(same(ours[k], theirs[k], tol.get(k)) for k in ran):
                return bug  # the same results everywhere: the best match
            explains.append(bug)
        else:
            at_first.append(bug)
    return (explains or at_first or [None])[0]


def check(spec: Spec, impl: Any) -> Verdict:
    """Run every check on ``impl``; stop at the first failure and look it up in the catalogue.

    An error in the reader's code (an exception, the time limit) ends the checks
    with ``verdict.error`` set; the checks that passed before it stay in ``verdict.passed``.
    """
    cases = spec.cases()
    verdict = Verdict(passed=[])
    try:
        first = _run_checks(spec, impl, cases, verdict)
    except ReaderError as e:
        verdict.error = str(e)
        return verdict
    except NotImplementedYet:
        if not verdict.passed:
            raise
        verdict.unfinished = True  # a part still raises NotImplementedError: the passed lines stay
        return verdict
    if verdict.failure is not None and not any("float32 arithmetic" in h for h in verdict.hints):
        verdict.bug = recognise(spec, impl, cases, first)
    return verdict
