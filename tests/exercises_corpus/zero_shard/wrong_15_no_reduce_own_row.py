"""MISTAKE: Takes chunk `rank` of the rank's own gradient row (a plain scatter) instead of the sum over ranks, and gathers every rank's own unsummed chunk."""
r"""Exercise `zero_shard`: ZeRO's reduce-scatter and all-gather, on one process (Rajbhandari et al., 2020).

With world size N, the flat gradient of psi elements is padded with zeros at
its END to a multiple of N: shard = ceil(psi / N) elements per rank, padded
length shard * N. The reduce-scatter gives rank r the SUM over ranks of chunk r
(elements r*shard .. (r+1)*shard - 1 of the padded buffer); the all-gather
concatenates every rank's chunk in rank order.

grads: (N, psi), row i the flat gradient rank i computed. rank: 0 <= rank < N.
Return (shard: the summed chunk rank owns, shape (shard,);
        gathered: every rank's summed chunk in rank order, shape (shard * N,)).

What the checks hold you to: the sum (not the mean) over ranks; padding at the
end; every shard the same size (a shard may be all padding); N = 1 works; the
dtype is kept (float32 in, float32 out); grads is not modified.

Check it with: paper2code exercise check zero_shard THIS_FILE
"""

import torch


def zero_shard(grads, rank):
    n, psi = grads.shape
    shard = -(-psi // n)
    padded = torch.zeros(n, shard * n, dtype=grads.dtype)
    padded[:, :psi] = grads
    mine = [padded[r, r * shard:(r + 1) * shard] for r in range(n)]
    return mine[rank].clone(), torch.cat(mine)
