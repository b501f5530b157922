"""Figures of the handbook, each computed from code or from recorded results.

Pages show them through ``<!-- plot: paper2code.figures:NAME -->`` (see
``docs/hooks/plots.py``), so every figure is redrawn from the current code on
each build. Each function returns a matplotlib ``Figure``.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["lr_range"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def lr_range():
    """The learning-rate range test of the Debugging page, on its small classifier."""
    _plt()
    from paper2code.debug import lr_range_test

    g = torch.Generator().manual_seed(0)
    x = torch.randn(512, 8, generator=g)
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).long() + 2 * (x[:, 2] > 0).long()

    def make_model():
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 4))

    return lr_range_test(make_model, x, y, steps=100).figure("LR range test: small MLP, 4 classes")
