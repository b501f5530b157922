"""CORRECT: log p_k = z_k - logsumexp(z); masked per-row loss with torch.where, divided by the kept count."""
r"""Exercise `label_smoothing`: cross-entropy with label smoothing (Szegedy et al., 2016, Section 7).

Target distribution over K classes: q' = (1 - eps) * onehot(y) + eps / K (all K classes).
Loss per example: -sum_k q'_k log p_k, with log p = log_softmax(logits).
Targets equal to ignore_index (padding) do not count; return the mean over the others.

logits (N, K), target (N,) integers. Return a 0-d tensor.

Check it with: paper2code exercise check label_smoothing THIS_FILE
"""

import torch


def label_smoothed_cross_entropy(logits, target, smoothing=0.1, ignore_index=-100):
    K = logits.shape[-1]
    keep = target.ne(ignore_index)
    safe_t = torch.where(keep, target, torch.zeros_like(target))
    lse = torch.logsumexp(logits, dim=-1)
    z_y = logits.gather(-1, safe_t.unsqueeze(-1)).squeeze(-1)
    nll = lse - z_y
    uniform = lse - logits.sum(dim=-1) / K  # mean_k(-log p_k)
    per_row = (1.0 - smoothing) * nll + smoothing * uniform
    per_row = torch.where(keep, per_row, torch.zeros_like(per_row))
    return per_row.sum() / keep.sum()
