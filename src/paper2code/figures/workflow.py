"""The figure of the Workflow part: the Debugging page's LR range test."""

from __future__ import annotations

from paper2code.figures import load

__all__ = ["lr_range", "lr_range_data"]


def lr_range_data() -> dict:
    """The LR range test of the Debugging page, on its small classifier."""
    import torch
    from torch import nn


    g = torch.Generator().manual_seed(0)
    x = torch.randn(512, 8, generator=g)
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).long() + 2 * (x[:, 2] > 0).long()

    def make_model():
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 4))

    from paper2code.diagnostics.debug import lr_range_test

    r = lr_range_test(make_model, x, y, lr_min=1e-4, lr_max=10.0, steps=100)
    return {"lrs": r.lrs, "losses": r.losses, "suggested": r.suggested}


def lr_range():
    from paper2code.diagnostics.debug import lr_range_figure

    d = load("lr_range")
    return lr_range_figure(d["lrs"], d["losses"], d["suggested"], "LR range test: small MLP, 4 classes")
