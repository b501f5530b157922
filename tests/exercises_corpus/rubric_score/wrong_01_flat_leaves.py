"""MISTAKE: averages all leaves with their own weights, ignoring the group weights."""
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

def rubric_score(root, states):
    leaves = []

    def walk(node):
        kids = node.get("sub_tasks") or []
        if not kids:
            leaves.append(node)
        for k in kids:
            walk(k)

    walk(root)
    ok = ("verified", "within tolerance", "consistent")
    total = sum(n["weight"] for n in leaves)
    return sum(n["weight"] * (states[n["id"]] in ok) for n in leaves) / total
