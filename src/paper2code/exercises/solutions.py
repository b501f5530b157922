"""Our solutions to the exercises on the tools (ZeRO's shard bookkeeping, the statistics, PaperBench's score).

These exercises ask for a small piece of a larger tool in plain form, so the
solution is written here; the checks compare it (and the reader's code) with
the tools themselves: :class:`paper2code.case_studies.zero_parts.Layout` and
:meth:`~paper2code.case_studies.zero.Comm.reduce_scatter`'s sum,
:func:`paper2code.statistics.prediction_interval`,
:func:`paper2code.statistics.paired_difference` and
:func:`paper2code.scoring.paperbench.score`.
"""

from __future__ import annotations

import math

import torch

from paper2code.statistics.student_t import t_quantile


# --8<-- [start:zero_shard]
def zero_shard(grads: torch.Tensor, rank: int) -> tuple[torch.Tensor, torch.Tensor]:
    """ZeRO's reduce-scatter then all-gather, on one process.

    grads: (world, psi), row r the flat gradient of rank r. Returns (rank's shard
    of the summed, zero-padded gradient; the all-gather of every rank's shard).
    """
    world, psi = grads.shape
    shard = -(-psi // world)  # ceil: every rank owns the same number of elements
    padded = torch.cat([grads, grads.new_zeros(world, shard * world - psi)], dim=1)
    total = padded.sum(dim=0)  # what a reduce-scatter sums, chunk by chunk
    shards = [total[r * shard : (r + 1) * shard] for r in range(world)]
    return shards[rank].clone(), torch.cat(shards)  # all-gather: rank order
# --8<-- [end:zero_shard]


# --8<-- [start:prediction_interval]
def prediction_interval(values, confidence=0.95, draws=1):
    """(mean, half-width) of the interval where the mean of `draws` new runs falls."""
    n = len(values)
    mean = sum(values) / n
    s = math.sqrt(sum((x - mean) ** 2 for x in values) / (n - 1))  # sample std: n - 1
    t = t_quantile(1 - (1 - confidence) / 2, n - 1)  # two-sided, n - 1 degrees of freedom
    return mean, t * s * math.sqrt(1 / draws + 1 / n)
# --8<-- [end:prediction_interval]


# --8<-- [start:paired_difference]
def paired_difference(a, b, confidence=0.95):
    """(mean, half-width) of the Student-t interval of d_i = a_i - b_i over the same seeds."""
    d = [x - y for x, y in zip(a, b, strict=True)]
    n = len(d)
    mean = sum(d) / n
    s = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1))
    return mean, t_quantile(1 - (1 - confidence) / 2, n - 1) * s / math.sqrt(n)
# --8<-- [end:paired_difference]


# --8<-- [start:rubric_score]
SCORED = ("verified", "within tolerance", "consistent")


def rubric_score(node, states):
    """PaperBench's score of a rubric node: a leaf 1 or 0, a parent the weighted mean of its children."""
    children = node.get("sub_tasks") or []
    if not children:
        return 1.0 if states[node["id"]] in SCORED else 0.0
    total = sum(c["weight"] for c in children)
    if total == 0:
        return 0.0
    return sum(c["weight"] * rubric_score(c, states) for c in children) / total
# --8<-- [end:rubric_score]
