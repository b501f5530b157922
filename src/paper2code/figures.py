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
    "DATA", "adam_digits", "attention_masks", "bias_correction", "ddpm_samples", "grokking",
    "load", "lr_range", "lr_range_data", "norms", "positional",
    "ppo_cartpole", "record", "resnet_degradation", "schedules", "transformer_schedule",
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
        ax.legend()  # the default size: legible in the page column
    axes[0].set_ylabel("accuracy")
    fig.suptitle("Grokking on a + b mod 97")
    fig.tight_layout()
    return fig


def ddpm_samples():
    """Seed 0 of the recorded DDPM run: samples beside the data and baselines."""
    plt = _plt()
    d = load("ddpm")
    run = d["runs"]["0"]
    names = ["data (second draw)", "Gaussian fit", "untrained", "σ²=β", "σ²=β̃"]
    fig, axes = plt.subplots(2, 3, figsize=(9, 6))
    for ax, name in zip(axes.flat, names, strict=False):
        pts = run["points"][name]
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=3, alpha=0.5)
        m = run["metrics"][name]
        ax.set(title=f"{name}\nMMD² {m['mmd2']:.4f}, in mode {m['in_mode']:.2f}")
        if name != "untrained":  # the untrained chain drifts far off: own axes
            ax.set(xlim=(-1.5, 1.5), ylim=(-1.5, 1.5), aspect="equal")
        ax.tick_params(labelsize=7)
    ax = axes.flat[-1]
    steps = [d["config"]["log_every"] * (i + 1) for i in range(len(run["losses"]))]
    ax.plot(steps, run["losses"])
    ax.set(xlabel="step", ylabel="L_simple (window mean)", title="training loss")
    fig.suptitle("DDPM on a ring of 8 Gaussians: 500 of 2,000 points each")
    fig.tight_layout()
    return fig


# --- Building blocks: small computations with the package's own modules ---------


def attention_masks_data() -> dict:
    """Attention weights of one random head under a causal and a padding mask."""
    import torch

    from paper2code.nn.attention import causal_mask, padding_mask, scaled_dot_product_attention

    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, 6, 8, generator=g, dtype=torch.float64) for _ in range(3))
    _, causal = scaled_dot_product_attention(q, k, v, mask=causal_mask(6))
    # one sequence of 4 real tokens then 2 of padding
    pad = padding_mask(torch.tensor([4]), 6)
    _, padded = scaled_dot_product_attention(q, k, v, mask=pad)
    return {"causal": causal.reshape(6, 6).tolist(), "padding": padded.reshape(6, 6).tolist(), "length": 4}


def attention_masks():
    plt = _plt()
    d = load("attention_masks")
    fig, axes = plt.subplots(1, 2, figsize=(7.5, 3.4))
    titles = ("causal: query i sees keys ≤ i", f"padding: keys ≥ {d['length']} masked")
    for ax, key, title in zip(axes, ("causal", "padding"), titles, strict=True):
        image = ax.imshow(d[key], cmap="Blues", vmin=0, vmax=1)
        ax.set(xlabel="key position", ylabel="query position")
        ax.set_title(title, fontsize=10)
        ax.set_xticks(range(6))
        ax.set_yticks(range(6))
    fig.colorbar(image, ax=axes, shrink=0.8, label="attention weight")
    fig.suptitle("Attention weights: masked keys get exactly 0; each row sums to 1", fontsize=11)
    return fig


def positional_data() -> dict:
    """The sinusoidal table, and RoPE scores against relative position at two offsets."""
    import torch

    from paper2code.nn.positional import apply_rotary, sinusoidal_table

    table = sinusoidal_table(64, 32)  # (64, 32)
    g = torch.Generator().manual_seed(0)
    q, k = torch.randn(2, 32, generator=g, dtype=torch.float64)
    distances = list(range(0, 41))
    scores = {}
    for offset in (0, 100):
        # q at position offset + m, k at position offset: the score depends on m only
        q_rot = apply_rotary(q.expand(len(distances), 32), torch.tensor(distances) + offset)
        k_rot = apply_rotary(k.expand(len(distances), 32), torch.full((len(distances),), offset))
        scores[str(offset)] = (q_rot * k_rot).sum(-1).tolist()
    return {"table": table.tolist(), "distance": distances, "rope_scores": scores}


def positional():
    plt = _plt()
    d = load("positional")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3.4))
    image = ax1.imshow(d["table"], cmap="RdBu", vmin=-1, vmax=1, aspect="auto")
    ax1.set(xlabel="dimension i", ylabel="position", title="Sinusoidal table, d_model = 32")
    fig.colorbar(image, ax=ax1, shrink=0.8)
    for (offset, scores), style in zip(d["rope_scores"].items(), ("-", "--"), strict=True):
        ax2.plot(d["distance"], scores, style, label=f"k at position {offset}")
    ax2.set(xlabel="relative position m − n", ylabel="q · k after RoPE",
            title="RoPE: the score depends on m − n only")
    ax2.legend(fontsize=9)
    fig.tight_layout()
    return fig


def ppo_cartpole():
    """Mean return over 100 evaluation episodes against environment steps, per seed."""
    plt = _plt()
    runs = load("ppo_cartpole")["runs"]
    methods = {"ppo": "PPO, clip 0.2", "ppo_noclip": "PPO, no clip", "ppo_kl": "PPO, adaptive KL",
               "reinforce_baseline": "REINFORCE + baseline", "reinforce": "REINFORCE"}
    fig, axes = plt.subplots(1, 5, figsize=(13, 3.2), sharex=True, sharey=True)
    for ax, (method, title) in zip(axes, methods.items(), strict=True):
        for name, run in runs.items():
            if name.split("/")[0] == method:
                ax.plot(run["eval_steps"], run["eval_return"], label=name.split("/")[1])
        ax.axhline(475, color="gray", linestyle="--", linewidth=1)
        ax.xaxis.set_major_formatter(lambda x, _: f"{x / 1000:.0f}k")
        ax.set(xlabel="environment steps", title=title)
    axes[0].legend(fontsize=6, loc="lower right", ncols=2)
    axes[0].set_ylabel("mean return, 100 episodes")
    fig.suptitle("CartPole-v1: Table 1's three PPO arms and vanilla policy gradient, one line "
                 "per seed (dashed: 475, solved)")
    fig.tight_layout()
    return fig


def schedules_data() -> dict:
    """Eq. (3) of the Transformer (Noam) and cosine with warm-up, every 100th step."""
    from paper2code.optim import cosine_with_warmup, transformer_lr

    steps = list(range(1, 20_001, 100))
    return {
        "step": steps,
        "noam": [transformer_lr(s, d_model=512, warmup_steps=4000) for s in steps],
        "cosine": [cosine_with_warmup(s, 7e-4, 4000, 20_000) for s in steps],
    }


def schedules():
    plt = _plt()
    d = load("schedules")
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    ax.plot(d["step"], d["noam"], label="Noam, Eq. (3): d_model 512, 4000 warm-up steps")
    ax.plot(d["step"], d["cosine"], "--", label="cosine with warm-up: peak 7e-4, 20,000 steps")
    ax.axvline(4000, color="grey", linestyle=":")
    ax.set(xlabel="step", ylabel="learning rate", title="Learning-rate schedules")
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def norms_data() -> dict:
    """LayerNorm and RMSNorm outputs as a constant shift c is added to every feature."""
    import torch

    from paper2code.nn.norm import LayerNorm, RMSNorm

    g = torch.Generator().manual_seed(0)
    # float64: the recorded means are ~1e-17, not float32's ~1e-9 that kernels decide
    x = torch.randn(256, 64, generator=g, dtype=torch.float64)
    shifts = [i / 4 for i in range(0, 41)]
    out: dict[str, list[float]] = {"shift": shifts}
    for name, norm in (("layernorm", LayerNorm(64).double()), ("rmsnorm", RMSNorm(64).double())):
        with torch.no_grad():
            ys = [norm(x + c) for c in shifts]
        out[f"{name}_mean"] = [y.mean().item() for y in ys]
        out[f"{name}_rms"] = [y.pow(2).mean().sqrt().item() for y in ys]
    return out


def norms():
    plt = _plt()
    d = load("norms")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3.2), sharex=True)
    for name, label, style in (("layernorm", "LayerNorm", "-"), ("rmsnorm", "RMSNorm", "--")):
        ax1.plot(d["shift"], d[f"{name}_mean"], style, label=label)
        ax2.plot(d["shift"], d[f"{name}_rms"], style, label=label)
    ax1.set(xlabel="shift c added to every feature", ylabel="mean of the output",
            title="Re-centring: LayerNorm only")
    ax2.set(xlabel="shift c added to every feature", ylabel="RMS of the output",
            title="Re-scaling: both", ylim=(0, 1.2))
    ax1.legend(fontsize=9)
    ax2.legend(fontsize=9)
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
    fig.suptitle("Digits: the deeper plain net trains worse; the deeper residual net trains about as well, not better")
    fig.tight_layout()
    return fig


QUICK = {
    "lr_range": lr_range_data,
    "transformer_schedule": transformer_schedule_data,
    "bias_correction": bias_correction_data,
    "attention_masks": attention_masks_data,
    "positional": positional_data,
    "schedules": schedules_data,
    "norms": norms_data,
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
