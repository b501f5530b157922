r"""Case study: *Attention Is All You Need* (Vaswani et al., 2017, arXiv:1706.03762).

What the test suite recomputes: parameter counts of the base and big models
(Table 3), broken down by kind, and what each candidate explanation of the
gap to the paper's rounded figures would change; the learning-rate schedule (Eq. 3); and the copy task
(see [`copy_task`][paper2code.case_studies.copy_task]) trained to exact
match on a CPU.
"""

from __future__ import annotations

import torch

from paper2code.diagnostics.testing import count_parameters
from paper2code.models.transformer import (
    Transformer,
    TransformerConfig,
    transformer_base_config,
    transformer_big_config,
)
from paper2code.optim import transformer_lr

__all__ = ["PAPER", "ROUNDING", "gap_candidates", "parameter_breakdown", "schedule", "sizes"]

#: Numbers printed in the paper. Table 3: sizes; Table 2: BLEU on newstest2014 EN-DE.
PAPER = {"base_params": 65e6, "big_params": 213e6, "base_bleu": 27.3, "big_bleu": 28.4}
#: What rounding allows: half a unit of the last printed digit ("65" and "213", in millions).
ROUNDING = {"base_params": 0.5e6, "big_params": 0.5e6}


# --8<-- [start:breakdown]
def parameter_breakdown(cfg: TransformerConfig) -> dict[str, int]:
    """Parameters by kind, from the layer formulas; checked against a direct count.

    The model is built on the meta device: no memory, no initialisation time.
    """
    d, f, n_enc, n_dec, v = cfg.d_model, cfg.d_ff, cfg.n_encoder_layers, cfg.n_decoder_layers, cfg.vocab_size
    attention = 4 * d * d  # W^Q, W^K, W^V, W^O
    ffn = 2 * d * f  # W_1, W_2
    parts = {
        "embedding (shared by both embeddings and the output layer)": v * d,
        "attention weights": (n_enc + 2 * n_dec) * attention,  # self in each layer, cross in the decoder
        "feed-forward weights": (n_enc + n_dec) * ffn,
        "biases": (n_enc + 2 * n_dec) * 4 * d + (n_enc + n_dec) * (f + d),
        "layer norms": (2 * n_enc + 3 * n_dec) * 2 * d,  # gain and bias
    }
    with torch.device("meta"):
        direct = count_parameters(Transformer(cfg)).total
    assert sum(parts.values()) == direct, (parts, direct)
    return parts


def sizes() -> dict[str, int]:
    """Total parameters of the base and big configurations (37,000-token shared vocabulary)."""
    return {
        "base": sum(parameter_breakdown(transformer_base_config()).values()),
        "big": sum(parameter_breakdown(transformer_big_config()).values()),
    }
# --8<-- [end:breakdown]


# --8<-- [start:candidates]
def gap_candidates() -> dict[str, tuple[int, int]]:
    """Ours minus the paper's size, base and big, under each candidate explanation.

    Each candidate changes one thing about the count; a candidate explains the
    gap if both differences fall within what rounding allows (``ROUNDING``).
    """
    base, big = transformer_base_config(), transformer_big_config()
    ours = sizes()
    diff = {"as counted (shared 37,000-token vocabulary)": (ours["base"], ours["big"])}
    for v in (40_745, 35_784):  # the vocabularies that close the base / the big gap alone
        diff[f"a {v:,}-token vocabulary"] = (
            sum(parameter_breakdown(transformer_base_config(v)).values()),
            sum(parameter_breakdown(transformer_big_config(v)).values()),
        )
    V = base.vocab_size
    diff["plus a bias on the output layer"] = (ours["base"] + V, ours["big"] + V)
    diff["output matrix not tied to the embedding"] = (
        ours["base"] + V * base.d_model, ours["big"] + V * big.d_model)
    diff["plus a final LayerNorm in each stack"] = (
        ours["base"] + 2 * 2 * base.d_model, ours["big"] + 2 * 2 * big.d_model)
    return {
        k: (b - int(PAPER["base_params"]), g - int(PAPER["big_params"]))
        for k, (b, g) in diff.items()
    }
# --8<-- [end:candidates]


def schedule(steps: int = 20_000, d_model: int = 512, warmup: int = 4000) -> tuple[list[int], list[float]]:
    """Eq. (3) at every step from 1 to ``steps``."""
    xs = list(range(1, steps + 1))
    return xs, [transformer_lr(s, d_model, warmup) for s in xs]
