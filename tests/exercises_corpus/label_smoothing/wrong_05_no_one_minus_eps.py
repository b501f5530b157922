"""MISTAKE: adds eps/K to the full one-hot without scaling it by (1 - eps), so the target does not sum to 1."""
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
    logp, t = logp[keep], target[keep]
    q = torch.nn.functional.one_hot(t, K).to(logp.dtype) + smoothing / K
    return -(q * logp).sum(-1).mean()
