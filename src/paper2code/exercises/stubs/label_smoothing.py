r"""Exercise `label_smoothing`: cross-entropy with label smoothing (Szegedy et al., 2016, Section 7).

Target distribution over K classes: q' = (1 - eps) * onehot(y) + eps / K (all K classes).
Loss per example: -sum_k q'_k log p_k, with log p = log_softmax(logits).
Targets equal to ignore_index (padding) do not count; return the mean over the others.

logits (N, K), target (N,) integers. Return a 0-d tensor.

What the checks hold you to: ignore_index may lie outside 0..K-1 (255 with 21 classes, as in
segmentation) and must not be used as an index; each check keeps at least one target;
smoothing = 0 is plain cross-entropy; large logits (|z| ~ 1e3) stay finite; the loss has the
logits' dtype and a gradient to the logits; logits and target are not modified.

Check it with: paper2code exercise check label_smoothing THIS_FILE
"""

import torch


def label_smoothed_cross_entropy(logits, target, smoothing=0.1, ignore_index=-100):
    raise NotImplementedError("write label_smoothed_cross_entropy")
