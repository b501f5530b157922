"""MISTAKE: spreads eps over the K-1 wrong classes (q = 1-eps on the target, eps/(K-1) elsewhere) instead of eps/K over all K."""
r"""Exercise `label_smoothing`: cross-entropy with label smoothing (Szegedy et al., 2016, Section 7).

Target distribution over K classes: q' = (1 - eps) * onehot(y) + eps / K (all K classes).
Loss per example: -sum_k q'_k log p_k, with log p = log_softmax(logits).
Targets equal to ignore_index (padding) do not count; return the mean over the others.

logits (N, K), target (N,) integers. Return a 0-d tensor.

Check it with: paper2code exercise check label_smoothing THIS_FILE
"""

import torch


def label_smoothed_cross_entropy(logits, target, smoothing=0.1, ignore_index=-100):
    K = logits.size(-1)
    logp = torch.log_softmax(logits, dim=-1)
    keep = target != ignore_index
    t = torch.where(keep, target, torch.zeros_like(target))
    q = torch.full_like(logp, smoothing / (K - 1))
    q.scatter_(1, t.unsqueeze(1), 1.0 - smoothing)
    loss = -(q * logp).sum(-1)
    return (loss * keep).sum() / keep.sum()
