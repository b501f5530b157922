"""Judging a leaf's criterion on per-seed values, and a scorecard's family of criteria.

`judge` applies a registered criterion (`paper2code.scoring.criterion`) to
our per-seed values with `paper2code.statistics`: seeds listed as ``seen``
(their values were seen before the criterion was registered) are left out
of the confirmatory verdict and judged beside it as exploratory.
`family_lines` judges every registered comparison of a scorecard as one
family by Holm (`paper2code.statistics.family.judge_family`), at the
family-wise level 1 - confidence, and reports each ``conjunction`` with all
its halves.
"""

from __future__ import annotations

import math

from paper2code.scoring.rubric import Leaf
from paper2code.statistics import evaluation
from paper2code.statistics.family import conjunction, judge_family
from paper2code.statistics.verdict import Verdict

__all__ = ["criterion_text", "expected_verdict", "exploratory", "family_lines", "judge", "split_seen"]


# --8<-- [start:judge]
def expected_verdict(leaf: Leaf) -> str:
    """The verdict that reproduces the paper: consistent, the claimed direction, equivalent."""
    test = leaf.criterion["test"]
    return {"paper": "consistent", "equivalence": "equivalent"}.get(test) or leaf.criterion["expect"]


def split_seen(leaf: Leaf, values: list[float], baseline: list[float] | None):
    """``(confirmatory, exploratory)``: each a ``(values, baseline)`` pair; the seen seeds go to the second."""
    c = leaf.criterion
    seeds, seen = c.get("seeds"), set(c.get("seen") or ())
    if not seen or seeds is None:
        return (values, baseline), None
    keep = [i for i, s in enumerate(seeds) if s not in seen]
    gone = [i for i, s in enumerate(seeds) if s in seen]

    def pick(xs, idx):
        return None if xs is None else [xs[i] for i in idx]

    return (pick(values, keep), pick(baseline, keep)), (pick(values, gone), pick(baseline, gone))


def _verdict(leaf: Leaf, values: list[float], baseline: list[float] | None) -> Verdict:
    c = leaf.criterion
    bounds = tuple(c["bounds"]) if c.get("bounds") else None
    if c["test"] == "paper":
        return evaluation.compare_to_paper(values, leaf.value, c["confidence"], c.get("margin"),
                                           paper_runs=c.get("paper_runs", 1), bounds=bounds)
    if baseline is None:
        raise ValueError(f"{leaf.id}: a{'n' if c['test'] == 'equivalence' else ''} {c['test']} criterion "
                         "compares two arms (baseline=...); against the paper's number use test: paper "
                         "with a margin")
    if c["test"] == "paired":
        return evaluation.compare_arms(values, baseline, c["confidence"], bounds=bounds)
    return evaluation.equivalence(values, baseline, margin=c["margin"], alpha=1 - c["confidence"],
                                  bounds=bounds)


def judge(leaf: Leaf, values: list[float], baseline: list[float] | None = None) -> Verdict:
    """The confirmatory `paper2code.statistics.verdict.Verdict` of ``leaf``'s criterion.

    ``values`` (and ``baseline``, the baseline arm over the same seeds, for
    ``paired`` and ``equivalence``) in the order of the criterion's seeds;
    the ``seen`` seeds are left out (see `exploratory`). `ValueError` when
    the runs do not fit the criterion (another number of seeds than it lists,
    a missing baseline). Against the paper's single number, ``paper`` with its
    margin is the equivalence test: it counts the paper run's own noise.
    """
    seeds = leaf.criterion.get("seeds")
    if seeds is not None and len(values) != len(seeds):
        raise ValueError(f"{leaf.id}: {len(values)} values, but the criterion lists "
                         f"{len(seeds)} seeds {seeds}")
    (vals, base), _ = split_seen(leaf, values, baseline)
    return _verdict(leaf, vals, base)
# --8<-- [end:judge]


def exploratory(leaf: Leaf, values: list[float], baseline: list[float] | None = None) -> str:
    """The seen seeds' verdict, labelled exploratory (one seed: its values only); "" without seen seeds."""
    _, seen = split_seen(leaf, values, baseline)
    if seen is None:
        return ""
    vals, base = seen
    label = f"exploratory, seeds {leaf.criterion['seen']} seen before registration"
    if len(vals) < 2:
        shown = f"{vals[0]:.4g}" + (f" vs {base[0]:.4g}" if base else "")
        return f"{label}: {shown}"
    v = _verdict(leaf, vals, base)
    return f"{label}: {v.format(_digits(v))}"


def criterion_text(leaf: Leaf) -> str:
    """The criterion in one line: test, arms, seeds, metric, and a change after the data."""
    c = leaf.criterion
    paper = "our runs vs the paper's value" + (
        f" (a mean of {c['paper_runs']} runs)" if c.get("paper_runs", 1) > 1 else "")
    parts = [{"paper": paper, "paired": "paired arms",
              "equivalence": f"equivalence within ±{c.get('margin', 0):g}"}[c["test"]]]
    if c.get("arms"):
        parts.append(" vs ".join(c["arms"]))
    if c.get("expect"):
        parts.append(f"expect {c['expect']}")
    if c.get("metric"):
        parts.append(c["metric"])
    if c.get("seeds"):
        seen = c.get("seen")
        parts.append(f"seeds {c['seeds']}" + (f" ({len(c['seeds']) - len(seen)} confirmatory)" if seen else ""))
    return ", ".join(parts)


def _digits(v: Verdict) -> int:
    """Decimals for about 4 significant digits of the interval's largest end (at most 4)."""
    iv = v.gap or v.interval
    largest = max(abs(iv.low), abs(iv.high))
    return 4 if largest == 0 else min(4, max(0, 3 - math.floor(math.log10(largest))))


def verdict_detail(leaf: Leaf, values: list[float], baseline: list[float] | None):
    """(verdict word, expected word, one line: the finding, the criterion, the exploratory seeds)."""
    try:
        v = judge(leaf, values, baseline)
    except ValueError as err:
        return "error", expected_verdict(leaf), str(err)
    line = f"{v.format(_digits(v))} [{criterion_text(leaf)}]"
    if leaf.criterion["test"] != "paper" and baseline is None and leaf.value is not None:
        line += f" vs the paper's {leaf.value:.4g}"
    more = exploratory(leaf, values, baseline)
    return v.verdict, expected_verdict(leaf), line + (f"; {more}" if more else "")


def family_lines(rows) -> list[str]:
    """Holm over the rows' registered comparisons, and each conjunction with all its halves.

    ``rows``: scorecard rows (``.leaf``, ``.values``, ``.baseline``). Empty
    with fewer than two judged comparisons and no conjunction.
    """
    verdicts, alpha = {}, 1.0
    for r in rows:
        if r.leaf.criterion and r.values is not None:
            try:
                verdicts[r.leaf.id] = judge(r.leaf, r.values, r.baseline)
            except ValueError:
                continue  # the row itself shows the error
            alpha = min(alpha, 1.0 - r.leaf.criterion["confidence"])
    out = []
    if len(verdicts) >= 2:
        out += judge_family(verdicts, alpha).lines()
    claims: dict[str, dict[str, str]] = {}
    for r in rows:
        name = r.leaf.criterion.get("conjunction") if r.leaf.criterion else None
        if name and r.leaf.id in verdicts:
            claims.setdefault(name, {})[r.leaf.id] = expected_verdict(r.leaf)
    for name, needs in claims.items():
        found = {leaf_id: verdicts[leaf_id] for leaf_id in needs}
        out.append(f"Conjunction '{name}' (each half must hold): {conjunction(found, needs)}")
    return out
