r"""A family of registered comparisons judged together: Holm, and conjunctions.

A case study that registers $m$ comparisons and reports each at level
$\alpha$ makes a false claim somewhere with probability up to $1 - (1 -
\alpha)^m$. Holm's step-down procedure (Holm, 1979, *A simple sequentially
rejective multiple test procedure*) keeps that family-wise error rate at
$\alpha$ and never rejects less than Bonferroni: order the p-values
$p_{(1)} \le \dots \le p_{(m)}$ and reject $H_{(1)}, \dots, H_{(k)}$, the
longest run from the smallest with

$$p_{(i)} \le \frac{\alpha}{m - i + 1} \tag{1}$$

Its adjusted p-values are $\tilde{p}_{(i)} = \min\bigl(1, \max_{j \le i} (m - j + 1)\,p_{(j)}\bigr)$.
`judge_family` applies it to verdicts: a word that rested on rejecting its
null ("higher", "lower", "equivalent", "differs", and "consistent" with a
margin) stands at the family level only if Holm rejects it too.

A **conjunction** ("clip beats no clip *and* beats KL") holds only if every
half does; it is an intersection-union test, so each half at level $\alpha$
gives the conjunction level $\alpha$ (Berger, 1982), with no correction. What it
must not do is report the half that passed alone: `conjunction` reports each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from paper2code.statistics.verdict import Verdict

__all__ = ["Conjunction", "Family", "Member", "conjunction", "holm", "judge_family"]

_DOWNGRADE = {"higher": "cannot tell", "lower": "cannot tell", "differs": "cannot tell",
              "equivalent": "not shown equivalent", "consistent": "cannot tell"}


def holm(p_values: Sequence[float], alpha: float = 0.05) -> list[tuple[float, bool]]:
    """Holm's adjusted p-value and decision for each p-value, in the order given, Eq. (1).

    Examples:
        >>> holm([0.01, 0.04, 0.03])
        [(0.03, True), (0.06, False), (0.06, False)]
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    ps = [float(p) for p in p_values]
    if not all(0.0 <= p <= 1.0 for p in ps):
        raise ValueError(f"p-values must be in [0, 1], got {ps}")
    m = len(ps)
    out: list[tuple[float, bool]] = [(1.0, False)] * m
    running, rejecting = 0.0, True
    for rank, i in enumerate(sorted(range(m), key=lambda k: ps[k])):
        running = max(running, min(1.0, (m - rank) * ps[i]))
        rejecting = rejecting and ps[i] <= alpha / (m - rank)
        out[i] = (round(running, 15), rejecting)
    return out


@dataclass(frozen=True)
class Member:
    """One comparison of a family: its own verdict, and its word at the family level."""

    name: str
    verdict: Verdict
    adjusted_p: float
    rejected: bool
    word: str  # the verdict at the family level


@dataclass(frozen=True)
class Family:
    """Comparisons judged together by Holm at family-wise level ``alpha``."""

    members: tuple[Member, ...]
    alpha: float

    def member(self, name: str) -> Member:
        return next(m for m in self.members if m.name == name)

    def lines(self) -> list[str]:
        """The family's level, then one line per comparison: its p, Holm's adjusted p, its word."""
        out = [f"Holm over {len(self.members)} registered comparisons, family-wise α = {self.alpha:g}:"]
        for m in self.members:
            own = m.verdict.verdict
            change = "" if m.word == own else f" (alone: {own})"
            out.append(f"{m.name}: p = {m.verdict.p:.2g}, Holm-adjusted {m.adjusted_p:.2g} -> "
                       f"{m.word}{change}")
        return out

    def format(self) -> str:
        return "\n".join(self.lines())

    __str__ = format


def _rests_on_rejection(v: Verdict) -> bool:
    return v.verdict in ("higher", "lower", "equivalent", "differs") or (
        v.verdict == "consistent" and v.margin is not None)


def judge_family(verdicts: Mapping[str, Verdict], alpha: float = 0.05) -> Family:
    """Judge named verdicts as one family by Holm at family-wise level ``alpha``, Eq. (1).

    A word that rested on its own test at level α (see the module docstring)
    becomes "cannot tell" (or "not shown equivalent") unless Holm rejects its
    null too; the other words ("cannot tell", "consistent" without a margin)
    stay. Every verdict needs its p-value.
    """
    if not verdicts:
        raise ValueError("a family needs at least one comparison")
    missing = [name for name, v in verdicts.items() if v.p is None]
    if missing:
        raise ValueError(f"no p-value for {', '.join(missing)}: judge it with paper2code.statistics")
    decisions = holm([v.p for v in verdicts.values()], alpha)
    members = []
    for (name, v), (adjusted, rejected) in zip(verdicts.items(), decisions, strict=True):
        word = v.verdict if rejected or not _rests_on_rejection(v) else _DOWNGRADE[v.verdict]
        members.append(Member(name, v, adjusted, rejected, word))
    return Family(tuple(members), alpha)


@dataclass(frozen=True)
class Conjunction:
    """A claim that holds only if each of its halves does; every half reported."""

    halves: tuple[tuple[str, str, str], ...]  # (name, word found, word the claim needs)

    @property
    def holds(self) -> bool:
        return all(found == wanted for _, found, wanted in self.halves)

    def format(self) -> str:
        parts = [f"{name}: {found}" + ("" if found == wanted else f" (the claim needs {wanted})")
                 for name, found, wanted in self.halves]
        head = "holds" if self.holds else "not shown"
        return f"{head}: " + "; ".join(parts)

    __str__ = format


def conjunction(verdicts: Mapping[str, Verdict | str], needs: Mapping[str, str]) -> Conjunction:
    """The conjunction of ``verdicts`` (name -> `Verdict` or its word), each needing ``needs[name]``.

    Examples:
        >>> print(conjunction({"clip − no clip": "higher", "clip − KL": "cannot tell"},
        ...                   {"clip − no clip": "higher", "clip − KL": "higher"}))
        not shown: clip − no clip: higher; clip − KL: cannot tell (the claim needs higher)
    """
    if set(verdicts) != set(needs):
        raise ValueError(f"a conjunction needs a wanted word for each half: {sorted(verdicts)} "
                         f"against {sorted(needs)}")
    return Conjunction(tuple((name, v if isinstance(v, str) else v.verdict, needs[name])
                             for name, v in verdicts.items()))
