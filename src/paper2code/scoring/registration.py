r"""Registration bound to the code: a criterion's fingerprint, and the checks that use it.

A registered criterion (`paper2code.scoring.criterion`) names what produces
its metric (``produced_by``) and the fingerprint of that code and of its own
fields (``fingerprint``):

$$\text{fingerprint} = \text{SHA-256}\bigl(\text{JSON}(\text{fields}, [(\text{name}, \text{source}(\text{name}))\ \ldots])\bigr)[:12]$$

with the fields `FIELDS` of the criterion and ``source`` from `source_of`:
a function's or class's source (`inspect.getsource`, dedented; trailing blanks,
blank lines and whole-line comments dropped, docstrings and inline comments
kept), preceded for a function by its signature with its default values (so
that ``last: int = LAST`` changes with ``LAST``); any other object (a
constant, a dataclass instance) by its ``repr``. Formatting-only edits keep
the fingerprint; any other edit to the code or the fields changes it.

`check_leaf` says, in one line, when the registered fingerprint differs from
the current one; `drift` when a criterion differs from the one a recording
ran with, and whether its ``changed:`` entry is new (then re-record) or not
(then write one). ``python -m paper2code.scoring.registration RUBRIC``
prints the current fingerprint of every criterion with ``produced_by`` or
``fingerprint``; exit 1 when one differs from the registered value, 2 on bad input.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import sys
import textwrap

__all__ = ["FIELDS", "RECORDED", "check_leaf", "drift", "fingerprint", "main", "source_of"]

FIELDS = ("test", "arms", "seeds", "seen", "metric", "expect", "margin", "confidence", "paper_runs")
RECORDED = ("arms", "seeds", "seen", "metric", "expect", "margin", "fingerprint")  # compared with a recording
ADVICE = "add a `changed:` entry saying why, then update `fingerprint:`"


class RegistrationError(ValueError):
    """A ``produced_by`` name that cannot be resolved; one line."""


def _resolve(name: str):
    module_name, _, qualname = name.partition(":")
    try:
        obj = importlib.import_module(module_name)
    except ImportError as err:
        raise RegistrationError(f"produced_by {name!r}: cannot import {module_name} ({err})") from None
    for part in qualname.split(".") if qualname else ():
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise RegistrationError(f"produced_by {name!r}: {module_name} has no {qualname}") from None
    return obj


def _stable_repr(value) -> str:
    text = repr(value)
    return f"<{type(value).__qualname__}>" if " at 0x" in text else text


def source_of(name: str) -> str:
    """The normalised source of ``"module:qualname"`` (see the module docstring)."""
    obj = _resolve(name)
    target = inspect.unwrap(obj) if callable(obj) else obj
    if inspect.isfunction(target) or inspect.isclass(target) or inspect.ismodule(target) \
            or inspect.ismethod(target):
        try:
            text = inspect.getsource(target)
        except (OSError, TypeError) as err:
            raise RegistrationError(f"produced_by {name!r}: no source ({err})") from None
        lines = [ln.rstrip() for ln in textwrap.dedent(text).splitlines()]
        body = "\n".join(ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#"))
        if inspect.isfunction(target) or inspect.ismethod(target):
            sig = inspect.signature(target)
            defaults = {k: _stable_repr(p.default) for k, p in sig.parameters.items()
                        if p.default is not inspect.Parameter.empty}
            body = f"defaults {json.dumps(defaults, sort_keys=True, ensure_ascii=False)}\n{body}"
        return body
    return _stable_repr(obj)


def fingerprint(criterion: dict) -> str:
    """The criterion's current fingerprint: 12 hex digits (see the module docstring)."""
    fields = {k: criterion[k] for k in FIELDS if criterion.get(k) is not None}
    code = [[name, source_of(name)] for name in criterion.get("produced_by") or ()]
    payload = json.dumps({"fields": fields, "code": code}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]


def check_leaf(leaf) -> str | None:
    """One line when ``leaf``'s registered fingerprint is not its current one (or is missing)."""
    c = leaf.criterion
    if not c or ("produced_by" not in c and "fingerprint" not in c):
        return None
    try:
        now = fingerprint(c)
    except RegistrationError as err:
        return f"{leaf.id}: {err}"
    if "fingerprint" not in c:
        return f"{leaf.id}: no fingerprint registered; it is {now} now: add `fingerprint: \"{now}\"`"
    if c["fingerprint"] != now:
        return (f"{leaf.id}: the code or criterion that produces its metric changed since registration "
                f"(fingerprint {c['fingerprint']} -> {now}): {ADVICE}")
    return None


def drift(leaf_id: str, recorded: dict, now: dict) -> tuple[str, str] | None:
    """How criterion ``now`` differs from ``recorded`` (a recording's): None, or (kind, one line).

    kind ``"refuse"``: registered fields changed and the ``changed:`` entry
    did not (nothing may record over it); ``"re-record"``: they changed with
    a new ``changed:`` entry, only the ``changed:`` entry is new, or a
    ``fingerprint`` or ``seen`` list was added where the recording had none
    (a first registration).
    """
    moved = [k for k in RECORDED if recorded.get(k) != now.get(k)]
    new_reason = now.get("changed") and now.get("changed") != recorded.get("changed")
    # registering for the first time (a fingerprint, seen seeds disclosed) needs no reason
    first = [k for k in moved if k in ("fingerprint", "seen") and recorded.get(k) is None]
    if moved and moved == first:
        return "re-record", f"{leaf_id}: {', '.join(first)} registered since the recording: re-record"
    if not moved:
        return ("re-record", f"{leaf_id}: a new `changed:` entry since the recording: re-record") \
            if new_reason else None
    what = "; ".join(f"{k} {recorded.get(k)!r} -> {now.get(k)!r}" for k in moved)
    if new_reason:
        return "re-record", f"{leaf_id}: criterion changed since the recording ({what}): re-record"
    return "refuse", (f"{leaf_id}: criterion changed since the recording ({what}) with no new "
                      f"`changed:` entry: {ADVICE}")


def main(argv: list[str] | None = None) -> int:
    """``python -m paper2code.scoring.registration RUBRIC``: print each criterion's fingerprint."""
    from paper2code.scoring.rubric import RubricError, load_rubric

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: python -m paper2code.scoring.registration RUBRIC.yaml", file=sys.stderr)
        return 2
    try:
        rubric = load_rubric(args[0])
    except RubricError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    status = 0
    for leaf in rubric.leaves:
        c = leaf.criterion
        if not c or ("produced_by" not in c and "fingerprint" not in c):
            continue
        try:
            now = fingerprint(c)
        except RegistrationError as err:
            print(f"error: {args[0]}: {leaf.id}: {err}", file=sys.stderr)
            return 2
        registered = c.get("fingerprint")
        note = "registered" if registered == now else f"registered {registered or 'none'}: differs"
        status = status or int(registered != now)
        print(f"{leaf.id}  {now}  ({note})")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
