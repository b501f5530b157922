"""CORRECT: Iterative post-order traversal with an explicit stack and a score table keyed by id(node)."""
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
    passing = frozenset(("verified", "within tolerance", "consistent"))
    score = {}
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        kids = node.get("sub_tasks") or []
        if not kids:
            score[id(node)] = 1.0 if states.get(node["id"]) in passing else 0.0
        elif not expanded:
            stack.append((node, True))
            for c in kids:
                stack.append((c, False))
        else:
            wsum = 0.0
            acc = 0.0
            for c in kids:
                wc = float(c.get("weight", 1))
                wsum += wc
                acc += wc * score[id(c)]
            score[id(node)] = acc / wsum if wsum != 0 else 0.0
    return float(score[id(root)])
