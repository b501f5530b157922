"""Exercises on the tools the case studies lean on: ZeRO's shards, the statistics, PaperBench's score.

The expected values come from the tools themselves, not from our exercise
solutions (:mod:`paper2code.exercises.solutions`): ZeRO's
:class:`~paper2code.case_studies.zero_parts.Layout` decides the padding and who
owns what, :mod:`paper2code.statistics` the intervals, and
:func:`paper2code.scoring.paperbench.score` the rubric's score.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from paper2code.case_studies.zero_parts import Layout
from paper2code.exercises.common import gen, randn
from paper2code.exercises.engine import Bug, Case, Spec, as_tensors
from paper2code.scoring.paperbench import SCORED
from paper2code.scoring.paperbench import score as paperbench_score
from paper2code.scoring.rubric import Group, Leaf
from paper2code.statistics import evaluation
from paper2code.statistics.student_t import t_quantile

ZERO = "ZeRO § The implementation"
STATS_PI = "Evaluation § Compare with the paper: a prediction interval"
STATS_PAIRED = "Evaluation § Compare two arms of your own: paired differences"
SCORE = "Test § Link tests to the paper: the scorecard"

# --- ZeRO: reduce-scatter and all-gather on one process ----------------------------------


def _zero_reference(grads: Tensor, rank: int) -> tuple[Tensor, Tensor]:
    world, psi = grads.shape
    model = nn.Module()
    model.flat = nn.Parameter(torch.zeros(psi, dtype=grads.dtype))
    layout = Layout(model, world)
    padded = torch.cat([grads, grads.new_zeros(world, layout.padded - layout.psi)], dim=1)
    total = padded.sum(dim=0)  # Comm.reduce_scatter: the sum over ranks of each chunk
    return total[layout.owned(rank)].clone(), torch.cat([total[layout.owned(r)] for r in range(world)])


def _zero_cases() -> list[Case]:
    g = gen(20)
    return [
        Case("world 4, 10 elements (2 of padding), rank 1", (randn(g, 4, 10), 1)),
        Case("world 4, 10 elements, the last rank (its shard ends in padding)", (randn(g, 4, 10), 3)),
        Case("world 2, 8 elements (no padding), rank 0", (randn(g, 2, 8), 0)),
        Case("world 3, 1 element, rank 2 (a shard of padding only)", (randn(g, 3, 1), 2)),
        Case("world 1, 5 elements", (randn(g, 1, 5), 0)),
        Case("float32, world 4, 7 elements, rank 2", (randn(g, 4, 7, dtype=torch.float32), 2)),
    ]


def _zero_bug(floor=False, front=False, reduce=True, mean=False, chunk=False):
    def shard_of(grads, rank):
        world, psi = grads.shape
        total = grads.sum(0) if reduce else grads[rank]
        total = total / world if mean else total
        if chunk:  # torch.chunk of the unpadded buffer: the last shard is short
            shards = list(total.chunk(world)) + [total.new_zeros(0)] * world
            return shards[rank].clone(), torch.cat(shards[:world])
        shard = psi // world if floor else -(-psi // world)
        pad = total.new_zeros(max(shard * world - psi, 0))
        padded = torch.cat([pad, total] if front else [total, pad])[: shard * world]
        shards = [padded[r * shard : (r + 1) * shard] for r in range(world)]
        return shards[rank].clone(), torch.cat(shards)

    return shard_of


ZERO_SHARD = Spec(
    name="zero_shard",
    reference=_zero_reference,
    cases=_zero_cases,
    bugs=(
        Bug("shard size psi // world (floor): the last elements belong to no rank; ZeRO pads to a multiple of "
            "the world size (ceil)", ZERO, _zero_bug(floor=True)),
        Bug("padding in front: the zeros go at the end of the flat buffer, so every rank's shard shifts", ZERO,
            _zero_bug(front=True)),
        Bug("no reduction: the rank's own gradient sliced, not the sum over ranks", ZERO, _zero_bug(reduce=False)),
        Bug("the mean over ranks where the reduce-scatter sums", ZERO, _zero_bug(mean=True)),
        Bug("torch.chunk of the unpadded buffer: the last rank's shard is short and the ranks' shards differ "
            "in size", ZERO, _zero_bug(chunk=True)),
    ),
    outputs=("shard", "gathered"),
    inputs=("grads", "rank"),
)

# --- statistics: a prediction interval and a paired comparison ----------------------------------


def _pi_reference(values, confidence=0.95, draws=1):
    iv = evaluation.prediction_interval(values, confidence, draws)
    return iv.mean, iv.half_width


def _pi_cases() -> list[Case]:
    return [
        Case("five seeds", ([27.1, 27.5, 26.9, 27.4, 27.2],)),
        Case("two seeds (t with 1 degree of freedom)", ([0.81, 0.86],)),
        Case("90% level", ([3.0, 3.4, 2.9, 3.8, 3.1, 3.3], 0.9)),
        Case("the paper's mean of 3 runs (draws=3)", ([71.2, 70.4, 72.0, 71.5], 0.95, 3)),
        Case("ten seeds near 1e6", (_near_1e6,), tol=_spread_tolerance(_near_1e6)),
    ]


_near_1e6 = [1e6 + 0.1 * i * (-1) ** i for i in range(10)]


def _spread_tolerance(xs: list[float]) -> float:
    """What a correct float64 two-pass spread meets: the mean errs by up to n·u·max|x| (u = 2^-53), and every
    deviation x - mean inherits it, relative to s; ten times that (condition max|x|/s ~ 3e6 here). The one-pass
    E[x²] - E[x]² errs by ~u·max|x|²/s² ~ 1e-3 and fails."""
    n, m = len(xs), sum(xs) / len(xs)
    s = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
    return max(1e-9, 10 * n * 2.0**-53 * max(abs(x) for x in xs) / s)


def _pi_bug(ci=False, z=False, population=False, dof_n=False, one_sided=False, ignore_draws=False, one_pass=False):
    def interval(values, confidence=0.95, draws=1):
        n = len(values)
        mean = sum(values) / n
        if one_pass:
            s = math.sqrt(max((sum(x * x for x in values) - n * mean * mean) / (n - 1), 0.0))
        else:
            s = math.sqrt(sum((x - mean) ** 2 for x in values) / (n if population else n - 1))
        p = confidence if one_sided else 1 - (1 - confidence) / 2
        t = math.sqrt(2) * _erfinv(2 * p - 1) if z else t_quantile(p, n if dof_n else n - 1)
        k = 1 if ignore_draws else draws
        return mean, t * s * (math.sqrt(1 / n) if ci else math.sqrt(1 / k + 1 / n))

    return interval


def _erfinv(y: float) -> float:
    """The normal quantile's core, by bisection on math.erf (precise to 1e-15; the z-instead-of-t bug)."""
    lo, hi = -10.0, 10.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if math.erf(mid) < y else (lo, mid)
    return (lo + hi) / 2


PREDICTION_INTERVAL = Spec(
    name="prediction_interval",
    reference=_pi_reference,
    cases=_pi_cases,
    bugs=(
        Bug("the confidence interval of the mean (s/sqrt(n)) where one more run needs sqrt(1 + 1/n)", STATS_PI,
            _pi_bug(ci=True)),
        Bug("the normal quantile (1.96) where Student's t with n - 1 degrees of freedom belongs", STATS_PI,
            _pi_bug(z=True)),
        Bug("the population standard deviation (divides by n); the sample's divides by n - 1", STATS_PI,
            _pi_bug(population=True)),
        Bug("t with n degrees of freedom instead of n - 1", STATS_PI, _pi_bug(dof_n=True)),
        Bug("a one-sided quantile (t at the confidence level, not at 1 - alpha/2)", STATS_PI, _pi_bug(one_sided=True)),
        Bug("draws ignored: the paper's mean of k runs varies as sqrt(1/k + 1/n), not sqrt(1 + 1/n)", STATS_PI,
            _pi_bug(ignore_draws=True)),
        Bug("the variance as (sum x² - n·mean²)/(n - 1): it cancels when the values sit far from 0", STATS_PI,
            _pi_bug(one_pass=True)),
    ),
    run=lambda impl, c: as_tensors(tuple(float(v) for v in impl(*c.args))),
    outputs=("mean", "half_width"),
    inputs=("values", "confidence", "draws"),
)


def _paired_reference(a, b, confidence=0.95):
    iv = evaluation.paired_difference(a, b, confidence)
    return iv.mean, iv.half_width


def _paired_cases() -> list[Case]:
    return [
        Case("five seeds, arms that share each seed's luck", ([0.912, 0.874, 0.935, 0.890, 0.921],
                                                              [0.905, 0.861, 0.930, 0.879, 0.915])),
        Case("three seeds, b better", ([10.0, 12.0, 11.0], [10.5, 12.9, 11.2])),
        Case("90% level, six seeds", ([1.0, 2.0, 3.0, 4.0, 5.0, 6.5], [0.5, 1.9, 2.4, 3.9, 4.2, 6.0], 0.9)),
        Case("two seeds", ([3.0, 4.0], [2.0, 3.5])),
        Case("seeds whose arms rank differently (pair by seed, not by rank)",
             ([3.0, 1.0, 2.0, 5.0], [1.5, 2.5, 0.5, 4.0])),
    ]


def _paired_bug(unpaired=False, population=False, z=False, swapped=False, dof_n=False):
    def paired(a, b, confidence=0.95):
        a, b = (b, a) if swapped else (a, b)
        n = len(a)
        p = 1 - (1 - confidence) / 2
        t = math.sqrt(2) * _erfinv(2 * p - 1) if z else t_quantile(p, n if dof_n else n - 1)
        if unpaired:  # Welch: two independent samples
            ma, mb = sum(a) / n, sum(b) / n
            va = sum((x - ma) ** 2 for x in a) / (n - 1)
            vb = sum((x - mb) ** 2 for x in b) / (n - 1)
            return ma - mb, t * math.sqrt(va / n + vb / n)
        d = [x - y for x, y in zip(a, b, strict=True)]
        m = sum(d) / n
        s = math.sqrt(sum((x - m) ** 2 for x in d) / (n if population else n - 1))
        return m, t * s / math.sqrt(n)

    return paired


PAIRED_DIFFERENCE = Spec(
    name="paired_difference",
    reference=_paired_reference,
    cases=_paired_cases,
    bugs=(
        Bug("unpaired: the two arms' spreads combined (sqrt(s_a²/n + s_b²/n)) instead of the spread of the "
            "per-seed differences", STATS_PAIRED, _paired_bug(unpaired=True)),
        Bug("the population standard deviation of the differences (divides by n)", STATS_PAIRED,
            _paired_bug(population=True)),
        Bug("the normal quantile (1.96) where Student's t with n - 1 degrees of freedom belongs", STATS_PAIRED,
            _paired_bug(z=True)),
        Bug("b - a instead of a - b: the sign of the difference flipped", STATS_PAIRED, _paired_bug(swapped=True)),
        Bug("t with n degrees of freedom instead of n - 1", STATS_PAIRED, _paired_bug(dof_n=True)),
    ),
    run=lambda impl, c: as_tensors(tuple(float(v) for v in impl(*c.args))),
    outputs=("mean", "half_width"),
    inputs=("a", "b", "confidence"),
)

# --- PaperBench's weighted score ----------------------------------------------------------------


def _tree(node: dict) -> Group | Leaf:
    children = node.get("sub_tasks") or []
    if not children:
        return Leaf(node["id"], "", "", "", weight=node["weight"])
    return Group(node["id"], "", [_tree(c) for c in children], weight=node["weight"])


def _score_reference(root: dict, states: dict) -> float:
    if not root.get("sub_tasks"):
        return paperbench_score([_tree(root)], states)
    return paperbench_score([_tree(c) for c in root["sub_tasks"]], states)


def _leaf(i: str, w: float = 1.0) -> dict:
    return {"id": i, "weight": w}


def _score_cases() -> list[Case]:
    deep = {"id": "root", "weight": 1, "sub_tasks": [
        {"id": "code", "weight": 3, "sub_tasks": [_leaf("c1", 2), _leaf("c2", 1), _leaf("c3", 1)]},
        {"id": "results", "weight": 1, "sub_tasks": [
            _leaf("r1", 1), {"id": "r2", "weight": 4, "sub_tasks": [_leaf("r2a"), _leaf("r2b", 3)]}]}]}
    every_state = {"c1": "verified", "c2": "deviation", "c3": "within tolerance", "r1": "consistent",
                   "r2a": "failed", "r2b": "out of scope"}
    return [
        Case("two groups, weights 3 and 1", (deep, every_state)),
        Case("every state that scores 1", (deep, dict(zip(every_state, SCORED * 2, strict=True)))),
        Case("a group whose weights are all 0", ({"id": "root", "weight": 1, "sub_tasks": [
            _leaf("a", 1), {"id": "g", "weight": 1, "sub_tasks": [_leaf("b", 0), _leaf("c", 0)]}]},
            {"a": "verified", "b": "verified", "c": "failed"})),
        Case("one leaf under the root", ({"id": "root", "weight": 1, "sub_tasks": [_leaf("only", 5)]},
                                         {"only": "not run"})),
        Case("a root of weight 2 (the root's own weight does not matter)", ({**deep, "weight": 2}, every_state)),
        Case("deviation and out of scope score 0", ({"id": "root", "weight": 1, "sub_tasks": [
            _leaf("a", 1), _leaf("b", 1), _leaf("c", 2)]}, {"a": "deviation", "b": "out of scope",
                                                              "c": "verified"})),
    ]


def _score_bug(weighted=True, normalise=True, flat=False, any_state=False, zero_nan=False):
    scored = ("verified", "within tolerance", "consistent")

    def leaves(node, w=1.0):
        kids = node.get("sub_tasks") or []
        return [(node, w * node["weight"])] if not kids else [x for c in kids for x in leaves(c, w)]

    def leaf_score(node, states):
        state = states[node["id"]]
        return float(state not in ("failed", "not run") if any_state else state in scored)

    def score(node, states):
        if flat:
            pairs = leaves(node)
            return sum(w * leaf_score(n, states) for n, w in pairs) / sum(w for _, w in pairs)
        kids = node.get("sub_tasks") or []
        if not kids:
            return leaf_score(node, states)
        ws = [c["weight"] if weighted else 1.0 for c in kids]
        total = sum(ws)
        if total == 0:
            return float("nan") if zero_nan else 0.0
        return sum(w * score(c, states) for w, c in zip(ws, kids, strict=True)) / (total if normalise else 1.0)

    return score


RUBRIC_SCORE = Spec(
    name="rubric_score",
    reference=_score_reference,
    cases=_score_cases,
    bugs=(
        Bug("the children's plain mean: their weights ignored", SCORE, _score_bug(weighted=False)),
        Bug("the weighted sum, not divided by the sum of the weights", SCORE, _score_bug(normalise=False)),
        Bug("one weighted mean over all leaves with their own weights: the tree's groups ignored", SCORE,
            _score_bug(flat=True)),
        Bug("every state but 'failed'/'not run' scores 1: a deviation or out-of-scope leaf is not a "
            "reproduction", SCORE, _score_bug(any_state=True)),
        Bug("a group whose weights sum to 0 gives NaN (0/0); PaperBench scores it 0", SCORE,
            _score_bug(zero_nan=True)),
    ),
    run=lambda impl, c: as_tensors(float(impl(*c.args))),
    outputs=("the score",),
    inputs=("root", "states"),
)

SPECS = (ZERO_SHARD, PREDICTION_INTERVAL, PAIRED_DIFFERENCE, RUBRIC_SCORE)
