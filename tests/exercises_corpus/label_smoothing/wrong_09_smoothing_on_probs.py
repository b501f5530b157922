"""MISTAKE: smooths the predicted probabilities (p' = (1-eps) p + eps/K) and takes plain NLL, instead of smoothing the target."""
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
    p = torch.softmax(logits, dim=-1)
    p = (1 - smoothing) * p + smoothing / K
    keep = target != ignore_index
    logp = torch.log(p[keep])
    return -logp.gather(1, target[keep].unsqueeze(1)).mean()
