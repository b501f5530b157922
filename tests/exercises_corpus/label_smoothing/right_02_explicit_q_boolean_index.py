"""CORRECT: boolean-index the kept rows, build q' with one_hot, -(q * log_softmax).sum(-1).mean()."""
r"""Exercise `label_smoothing`: cross-entropy with label smoothing (Szegedy et al., 2016, Section 7).

Target distribution over K classes: q' = (1 - eps) * onehot(y) + eps / K (all K classes).
Loss per example: -sum_k q'_k log p_k, with log p = log_softmax(logits).
Targets equal to ignore_index (padding) do not count; return the mean over the others.

logits (N, K), target (N,) integers. Return a 0-d tensor.

Check it with: paper2code exercise check label_smoothing THIS_FILE
"""

import torch


def label_smoothed_cross_entropy(logits, target, smoothing=0.1, ignore_index=-100):
    import torch.nn.functional as F
    K = logits.shape[-1]
    keep = target != ignore_index
    z, y = logits[keep], target[keep]
    logp = F.log_softmax(z, dim=-1)
    q = (1.0 - smoothing) * F.one_hot(y, K).to(logp.dtype) + smoothing / K
    return -(q * logp).sum(dim=-1).mean()
