"""MISTAKE: zeros the padded rows' loss but still divides by N (all rows), not by the number of non-ignored targets."""
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
    keep = (target != ignore_index).to(logp.dtype)
    t = target.clamp(min=0)
    nll = -logp.gather(1, t[:, None]).squeeze(1)
    smooth = -logp.mean(dim=-1)
    loss = (1 - smoothing) * nll + smoothing * smooth
    return (loss * keep).mean()
