"""CORRECT: Exact arithmetic with fractions.Fraction, converted to float at the end."""
r"""Exercise `rubric_score`: PaperBench's score of a rubric tree (Starace et al., 2025).

A node is a dict: {"id": str, "weight": number, "sub_tasks": [child nodes]}; a
leaf has no "sub_tasks" (or an empty list). states maps each leaf's id to its
state: "verified", "within tolerance", "consistent" (these score 1) or any other
("deviation", "out of scope", "failed", "not run": these score 0).
A parent's score is the weighted mean of its children's scores,
    sum_c w_c * score(c) / sum_c w_c,
and a parent whose children's weights sum to 0 scores 0. The root's own weight
does not matter. Return the root's score as a float in [0, 1].

What the checks hold you to: nested groups (the weights apply level by level, not
to the leaves directly); weights that are not 1; a group of zero weight; root and
states are not modified.

Check it with: paper2code exercise check rubric_score THIS_FILE
"""


from fractions import Fraction


def _exact(node, states):
    kids = node.get("sub_tasks") or []
    if not kids:
        ok = states.get(node["id"]) in ("verified", "within tolerance", "consistent")
        return Fraction(1 if ok else 0)
    weights = [Fraction(c.get("weight", 1)) for c in kids]
    total = sum(weights, Fraction(0))
    if total == 0:
        return Fraction(0)
    return sum((w * _exact(c, states) for w, c in zip(weights, kids)), Fraction(0)) / total


def rubric_score(root, states):
    return float(_exact(root, states))
