"""A result leaf's ``criterion``: the comparison registered before the runs, validated.

The keys (`KEYS`), each checked by `parse_criterion`:

* ``test``: ``paper`` (our runs against the paper's value, with a ``margin``),
  ``paired`` (an arm against a baseline arm over the same seeds, with
  ``expect: higher`` or ``lower``) or ``equivalence`` (two arms, with a ``margin``);
* ``arms`` (ours first), ``seeds``, ``metric``, ``confidence`` (default 0.95;
  an equivalence test at confidence c is a TOST at α = 1 - c), ``margin``
  (positive, finite), ``paper_runs`` (``test: paper`` only: the paper's value
  is a mean of that many runs);
* ``seen``: seeds whose values were seen before the criterion was registered.
  They stay in ``seeds`` (the recording keeps their values) but are left out of
  the confirmatory verdict, and shown beside it as exploratory;
* ``produced_by``: ``["module:qualname", ...]``, the functions, classes and
  configuration (a dataclass, a constant) that produce the metric;
* ``fingerprint``: 12 hex digits, the registered fingerprint of ``produced_by``'s
  code and of the criterion's own fields (`paper2code.scoring.registration`);
  the suite fails when the code or the fields no longer give it;
* ``changed``: why the criterion changed after seeing data; a new entry is
  what lets a changed criterion be re-recorded;
* ``bounds``: ``[lo, hi]``, the metric's feasible range (an accuracy's [0, 1]):
  the verdict warns when values sit at a bound;
* ``conjunction``: a name shared by the criteria of a claim that needs them
  all ("higher than no clip *and* than KL"): the scorecard reports every half.
"""

from __future__ import annotations

import math
import re

__all__ = ["KEYS", "TESTS", "CriterionError", "parse_criterion"]

TESTS = ("paper", "paired", "equivalence")  # the tests a criterion can name
KEYS = {"test", "arms", "seeds", "metric", "expect", "margin", "confidence", "changed", "paper_runs",
        "seen", "produced_by", "fingerprint", "bounds", "conjunction"}
_PRODUCER = re.compile(r"[A-Za-z_][\w.]*(:[A-Za-z_][\w.]*)?")
_FINGERPRINT = re.compile(r"[0-9a-f]{12}")


class CriterionError(ValueError):
    """A criterion that cannot be used; the message is one line, without the leaf's place."""


def _number(value, where: str) -> float:
    try:
        number = float(value)  # "65e6" is a string to YAML 1.1
    except (TypeError, ValueError):
        raise CriterionError(f"{where}: {value!r} is not a number") from None
    if isinstance(value, bool) or not math.isfinite(number):
        raise CriterionError(f"{where}: {value!r} is not a finite number")
    return number


def _seeds(raw, at: str, key: str, least: int) -> list[int]:
    seeds = raw[key]
    if not isinstance(seeds, list) or len(seeds) < least or not all(
            isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        raise CriterionError(f"{at}.{key}: expected a list of at least {least} integer seeds")
    if len(set(seeds)) != len(seeds):
        raise CriterionError(f"{at}.{key}: a seed is listed twice")
    return list(seeds)


def _registration(raw: dict, at: str, out: dict) -> None:
    """The keys that bind the criterion to its code and its data: seen, produced_by, fingerprint."""
    if raw.get("seen") is not None:
        seen = _seeds(raw, at, "seen", 1)
        if "seeds" not in out or not set(seen) <= set(out["seeds"]):
            raise CriterionError(f"{at}.seen: every seen seed must be one of the criterion's seeds")
        if len(out["seeds"]) - len(seen) < 2:
            raise CriterionError(f"{at}.seen: fewer than 2 seeds left for the confirmatory verdict")
        out["seen"] = seen
    if raw.get("produced_by") is not None:
        names = raw["produced_by"]
        if not isinstance(names, list) or not names or not all(
                isinstance(n, str) and _PRODUCER.fullmatch(n) for n in names):
            raise CriterionError(f"{at}.produced_by: expected a list of 'module:qualname' names")
        out["produced_by"] = list(names)
    if raw.get("fingerprint") is not None:
        fp = raw["fingerprint"]
        if not isinstance(fp, str) or not _FINGERPRINT.fullmatch(fp):
            raise CriterionError(f"{at}.fingerprint: expected 12 lowercase hex digits, got {fp!r} "
                                 "(python -m paper2code.scoring.registration RUBRIC prints it)")
        out["fingerprint"] = fp
    if raw.get("bounds") is not None:
        b = raw["bounds"]
        if not isinstance(b, list) or len(b) != 2:
            raise CriterionError(f"{at}.bounds: expected [lo, hi]")
        lo, hi = _number(b[0], f"{at}.bounds"), _number(b[1], f"{at}.bounds")
        if not lo < hi:
            raise CriterionError(f"{at}.bounds: expected lo < hi, got {b}")
        out["bounds"] = [lo, hi]


def parse_criterion(raw, at: str, kind: str, value: float | None) -> dict:
    """Validate a leaf's ``criterion``; the normalised mapping (confidence filled in).

    ``kind`` and ``value``: the leaf's kind and the paper's value (or None).
    """
    at = f"{at}.criterion"
    if not isinstance(raw, dict):
        raise CriterionError(f"{at}: expected a mapping with 'test: paper|paired|equivalence'")
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise CriterionError(f"{at}: unknown key {unknown[0]!r}; expected {', '.join(sorted(KEYS))}")
    test = raw.get("test")
    if test not in TESTS:
        raise CriterionError(f"{at}.test: {test!r}; expected one of {', '.join(TESTS)}")
    if kind != "result":
        raise CriterionError(f"{at}: only a result leaf has a criterion, not a {kind} leaf")
    out: dict = {"test": test}
    confidence = _number(raw.get("confidence", 0.95), f"{at}.confidence")
    if not 0.5 < confidence < 1:
        raise CriterionError(f"{at}.confidence: {confidence:g} is not in (0.5, 1)")
    out["confidence"] = confidence
    if raw.get("margin") is not None:
        out["margin"] = _number(raw["margin"], f"{at}.margin")
        if out["margin"] <= 0:
            raise CriterionError(f"{at}.margin: must be positive")
    elif test in ("equivalence", "paper"):  # without one, "consistent" would mean only "not rejected"
        raise CriterionError(f"{at}: a{'n' if test == 'equivalence' else ''} {test} test needs a margin "
                             "(the smallest difference that matters), stated before the runs")
    if test == "paired":
        if raw.get("expect") not in ("higher", "lower"):
            raise CriterionError(f"{at}.expect: {raw.get('expect')!r}; a paired test expects higher or lower")
        out["expect"] = raw["expect"]
    elif raw.get("expect") is not None:
        raise CriterionError(f"{at}.expect: only a paired test has an expected direction")
    if test == "paper" and value is None:
        raise CriterionError(f"{at}: test paper compares with the paper's value, and the leaf has none")
    if raw.get("paper_runs") is not None:
        runs = raw["paper_runs"]
        if test != "paper":
            raise CriterionError(f"{at}.paper_runs: only a paper test compares with the paper's runs")
        if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
            raise CriterionError(f"{at}.paper_runs: expected how many runs the paper's value is a mean of "
                                 f"(an integer >= 1), got {runs!r}")
        out["paper_runs"] = runs
    if raw.get("seeds") is not None:
        out["seeds"] = _seeds(raw, at, "seeds", 2)
    if raw.get("arms") is not None:
        arms = raw["arms"]
        if not isinstance(arms, list) or not 1 <= len(arms) <= 2 or not all(isinstance(a, str) for a in arms):
            raise CriterionError(f"{at}.arms: expected one or two names, ours first")
        out["arms"] = list(arms)
    for key in ("metric", "changed", "conjunction"):
        if raw.get(key) is not None:
            if not str(raw[key]).strip():
                raise CriterionError(f"{at}.{key}: empty")
            out[key] = str(raw[key]).strip()
    _registration(raw, at, out)
    return out
