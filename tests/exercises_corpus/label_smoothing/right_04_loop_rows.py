"""CORRECT: a Python loop over the examples, skipping the ignored ones, stacked then averaged."""
r"""Exercise `label_smoothing`: cross-entropy with label smoothing (Szegedy et al., 2016, Section 7).

Target distribution over K classes: q' = (1 - eps) * onehot(y) + eps / K (all K classes).
Loss per example: -sum_k q'_k log p_k, with log p = log_softmax(logits).
Targets equal to ignore_index (padding) do not count; return the mean over the others.

logits (N, K), target (N,) integers. Return a 0-d tensor.

Check it with: paper2code exercise check label_smoothing THIS_FILE
"""

import torch


def label_smoothed_cross_entropy(logits, target, smoothing=0.1, ignore_index=-100):
    K = logits.shape[1]
    losses = []
    for n in range(logits.shape[0]):
        y = int(target[n])
        if y == ignore_index:
            continue
        logp = torch.log_softmax(logits[n], dim=0)
        losses.append((1 - smoothing) * -logp[y] + (smoothing / K) * -logp.sum())
    if not losses:
        return logits.sum() * float("nan")
    return torch.stack(losses).mean()
