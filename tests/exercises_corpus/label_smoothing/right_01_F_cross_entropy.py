"""CORRECT: torch.nn.functional.cross_entropy with label_smoothing and ignore_index."""
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
    return F.cross_entropy(logits, target, ignore_index=ignore_index, label_smoothing=smoothing)
