"""Figures of the Building blocks part: small computations with the package's own modules."""

from __future__ import annotations

from paper2code.figures import load, pyplot

__all__ = [
    "attention_masks", "attention_masks_data", "norms", "norms_data",
    "positional", "positional_data", "schedules", "schedules_data",
]


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
    plt = pyplot()
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
    plt = pyplot()
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
    plt = pyplot()
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
    plt = pyplot()
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
