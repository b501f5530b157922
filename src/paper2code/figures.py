"""Figures of the handbook, drawn from results recorded beside the pages.

Pages show them through ``<!-- plot: paper2code.figures:NAME -->`` (see
``docs/hooks/plots.py``). Each figure reads a JSON file under ``docs/data/``
that a function of the package computes; the test suite recomputes the quick
ones and checks the recorded file is what the code gives today, and checks
the long ones' recorded curves show what the page claims. The site build
therefore needs matplotlib, not torch. Each function returns a ``Figure``.

    uv run python -m paper2code.figures   # recompute the quick recordings
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

__all__ = [
    "DATA", "adam_digits", "bias_correction", "grokking", "load", "lr_range", "lr_range_data",
    "lr_range_figure", "record", "resnet_degradation", "transformer_schedule",
]

DATA = Path(__file__).resolve().parents[2] / "docs" / "data"


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def load(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text())


def lr_range_data() -> dict:
    """The LR range test of the Debugging page, on its small classifier."""
    import torch
    from torch import nn

    from paper2code.debug import lr_range_test

    g = torch.Generator().manual_seed(0)
    x = torch.randn(512, 8, generator=g)
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).long() + 2 * (x[:, 2] > 0).long()

    def make_model():
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 4))

    r = lr_range_test(make_model, x, y, steps=100)
    return {"lrs": r.lrs, "losses": r.losses, "suggested": r.suggested}


def lr_range_figure(lrs, losses, suggested, title="Learning-rate range test"):
    """Loss against learning rate (log scale), with the suggested rate marked."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.semilogx(lrs, losses)
    ax.axvline(suggested, color="tab:red", linestyle="--", label=f"suggested {suggested:.1e}")
    ax.set(xlabel="learning rate", ylabel="loss (smoothed)", title=title)
    ax.legend()
    fig.tight_layout()
    return fig


def lr_range():
    d = load("lr_range")
    return lr_range_figure(d["lrs"], d["losses"], d["suggested"], "LR range test: small MLP, 4 classes")


def transformer_schedule_data() -> dict:
    """Eq. (3) of the Transformer for d_model 512 and 1024, every 50th step."""
    from paper2code.case_studies.attention_is_all_you_need import schedule

    out = {}
    for d in (512, 1024):
        steps, lrs = schedule(20_000, d_model=d)
        out[f"d{d}"] = {"step": steps[::50], "lr": lrs[::50]}
    return out


def transformer_schedule():
    plt = _plt()
    data = load("transformer_schedule")
    fig, ax = plt.subplots(figsize=(6, 3.2))
    for key, label in (("d512", "base, d_model = 512"), ("d1024", "big, d_model = 1024")):
        ax.plot(data[key]["step"], data[key]["lr"], label=label)
    ax.axvline(4000, color="grey", linestyle=":", label="warmup_steps = 4000")
    ax.set(xlabel="step", ylabel="learning rate", title="Transformer learning rate, Eq. (3)")
    ax.legend()
    fig.tight_layout()
    return fig


def bias_correction_data() -> dict:
    from paper2code.case_studies.adam import bias_correction_data as compute

    return compute()


def bias_correction():
    plt = _plt()
    d = load("bias_correction")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3.2))
    ax1.plot(d["t"], d["g"], ".", color="grey", label="gradient g_t")
    ax1.plot(d["t"], d["m"], label="m_t (biased towards 0)")
    ax1.plot(d["t"], d["m_hat"], label="m̂_t = m_t / (1 − β1^t)")
    ax1.set(xlabel="step t", title="First moment, β1 = 0.9")
    ax1.legend(fontsize=8)
    ax2.plot(d["t"], d["v_sqrt"], label="√v_t")
    ax2.plot(d["t"], d["v_hat_sqrt"], label="√v̂_t")
    ax2.set(xlabel="step t", title="Second moment, β2 = 0.999")
    ax2.legend(fontsize=8)
    fig.suptitle("Adam's bias correction over the first steps")
    fig.tight_layout()
    return fig


def adam_digits():
    plt = _plt()
    d = load("adam_digits")
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2), sharey=False)
    for ax, kind in zip(axes, ("logistic regression", "MLP"), strict=True):
        for opt in ("Adam", "SGD+Nesterov"):
            run = d["runs"][f"{kind} / {opt}"]
            ax.semilogy(range(1, len(run["loss"]) + 1), run["loss"], label=f"{opt} (lr {run['lr']:g})")
        ax.set(xlabel="epoch", ylabel="training loss", title=f"Digits, {kind}")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def grokking():
    plt = _plt()
    d = load("grokking")
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2), sharey=True)
    for ax, run in zip(axes, d.values(), strict=True):
        ax.semilogx(run["step"], run["train_acc"], label="train")
        ax.semilogx(run["step"], run["val_acc"], label="validation")
        ax.set(xlabel="step", title=f"weight decay {run['config']['weight_decay']:g}")
        ax.legend(fontsize=8)
    axes[0].set_ylabel("accuracy")
    fig.suptitle("Grokking on a + b mod 97")
    fig.tight_layout()
    return fig


def resnet_degradation():
    """Training error of plain and residual nets at two depths, over seeds."""
    plt = _plt()
    d = load("resnet_degradation")
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2), sharey=True)
    for ax, kind in zip(axes, ("plain", "residual"), strict=True):
        for (name, runs), colour in zip(
            ((k, v) for k, v in d["runs"].items() if k.startswith(kind)),
            ("tab:blue", "tab:red"), strict=True,
        ):
            curves = list(runs.values())
            steps = curves[0]["step"]
            by_step = list(zip(*(c["train_error"] for c in curves), strict=True))
            mean = [sum(v) / len(v) for v in by_step]
            ax.plot(steps, mean, color=colour, label=f"{name} (mean of {len(curves)})")
            ax.fill_between(steps, [min(v) for v in by_step], [max(v) for v in by_step],
                            color=colour, alpha=0.2, linewidth=0)
        ax.set(xlabel="SGD step", title=f"{kind} nets", ylim=(0, None))
        ax.legend(fontsize=8)
    axes[0].set_ylabel("training error (band: min–max)")
    fig.suptitle("Digits: deeper plain nets train worse; residual nets do not")
    fig.tight_layout()
    return fig


QUICK = {
    "lr_range": lr_range_data,
    "transformer_schedule": transformer_schedule_data,
    "bias_correction": bias_correction_data,
}


def record(names=None) -> list[Path]:
    """Recompute and write the quick recordings (all, or ``names``)."""
    DATA.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names or QUICK:
        path = DATA / f"{name}.json"
        path.write_text(json.dumps(QUICK[name](), indent=1) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in record(sys.argv[1:] or None):
        print(path)
