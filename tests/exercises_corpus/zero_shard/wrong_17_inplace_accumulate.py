"""MISTAKE: Accumulates the sum into grads[0] with +=, which aliases and modifies the caller's tensor."""
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
    total = grads[0]
    for i in range(1, n):
        total += grads[i]
    padded = torch.zeros(shard * n, dtype=grads.dtype)
    padded[:psi] = total
    return padded[rank * shard:(rank + 1) * shard].clone(), padded
