r"""Plan the compute: parameters, FLOPs, memory and time of a Transformer config.

Counts are for the encoder–decoder of Vaswani et al., *Attention Is All You
Need*, 2017, <https://arxiv.org/abs/1706.03762> (Section 3, Table 3), as
[`paper2code.models.transformer`][] builds it. The training rule of thumb
is Kaplan et al., *Scaling Laws for Neural Language Models*, 2020,
<https://arxiv.org/abs/2001.08361>, Section 2.1:

$$C_{\text{train}} \approx 6\,N\,D \tag{2.1}$$

($N$ parameters, $D$ training tokens): a forward pass costs about $2N$ FLOPs
per token (one multiply and one add per weight), the backward pass twice that.

What is counted:

* parameters: every tensor once, shared embeddings once (as
  [`count_parameters`][paper2code.diagnostics.testing.count_parameters] counts them);
* FLOPs: the matrix multiplications, $2mnk$ for an $(m \times k)(k \times n)$
  product, as ``torch.utils.flop_counter.FlopCounterMode`` counts them.
  LayerNorm, softmax, dropout and the residual additions are left out: they
  are $O(B T d)$ against the $O(B T d^2)$ of the projections;
* memory: weights, gradients and Adam's two moments, bytes per number given.

Differences from the paper: the paper reports no FLOPs for its Transformer
(Table 2 gives an estimate of training cost in FLOPs from GPU-hours); these
are counts of our implementation, not quotes.
"""

from __future__ import annotations

from dataclasses import dataclass

from paper2code.models.transformer import TransformerConfig

__all__ = [
    "ComputeEstimate",
    "adam_memory_bytes",
    "estimate",
    "forward_flops",
    "parameter_count",
    "training_days",
]


# --8<-- [start:params]
def parameter_count(cfg: TransformerConfig) -> int:
    """Parameters of ``Transformer(cfg)``, shared tensors counted once."""
    d, f, v = cfg.d_model, cfg.d_ff, cfg.vocab_size
    attention = 4 * (d * d + d)  # W^Q, W^K, W^V, W^O with biases
    ffn = (d * f + f) + (f * d + d)  # Eq. (2): W1, b1, W2, b2
    norm = 2 * d  # LayerNorm's gain and bias
    encoder_layer = attention + ffn + 2 * norm  # two residual blocks
    decoder_layer = 2 * attention + ffn + 3 * norm  # self, cross, FFN
    # Section 3.4: one matrix for both embeddings and the pre-softmax layer
    embeddings = v * d if cfg.share_embeddings else 3 * v * d
    final_norms = (
        2 * norm if cfg.norm_first else 0
    )  # pre-norm stacks end in one
    return (
        embeddings
        + cfg.n_encoder_layers * encoder_layer
        + cfg.n_decoder_layers * decoder_layer
        + final_norms
    )


# --8<-- [end:params]


# --8<-- [start:flops]
def forward_flops(
    cfg: TransformerConfig, batch: int, src_len: int, tgt_len: int
) -> int:
    """Matmul FLOPs of one forward pass (2 per multiply-add).

    Args:
        cfg: The model.
        batch: B, sequences per batch.
        src_len: S, source tokens per sequence.
        tgt_len: T, target tokens per sequence.
    """
    d, f, v = cfg.d_model, cfg.d_ff, cfg.vocab_size
    b, s, t = batch, src_len, tgt_len
    # Encoder layer: 4 projections, QK^T and weights·V (Eq. 1), the FFN (Eq. 2)
    enc = (
        4 * 2 * b * s * d * d
        + 2 * (2 * b * s * s * d)
        + 2 * (2 * b * s * d * f)
    )
    # Decoder self-attention over T, then cross-attention: Q, O on T; K, V on S
    dec_self = 4 * 2 * b * t * d * d + 2 * (2 * b * t * t * d)
    dec_cross = (
        2 * (2 * b * t * d * d)
        + 2 * (2 * b * s * d * d)
        + 2 * (2 * b * t * s * d)
    )
    dec = dec_self + dec_cross + 2 * (2 * b * t * d * f)
    logits = 2 * b * t * d * v  # the pre-softmax projection
    return cfg.n_encoder_layers * enc + cfg.n_decoder_layers * dec + logits


# --8<-- [end:flops]


# --8<-- [start:memory]
def adam_memory_bytes(
    n_params: int, bytes_per_number: int = 4
) -> dict[str, int]:
    """Weights, gradients and Adam's first and second moments, in bytes.

    In float32 that is 4 + 4 + 8 = 16 bytes per parameter, before activations.
    """
    one = n_params * bytes_per_number
    return {"weights": one, "gradients": one, "adam moments": 2 * one}


def training_days(
    flops: float, peak_flops_per_s: float, utilisation: float = 0.4
) -> float:
    """Days of compute at a fraction ``utilisation`` of the hardware's peak."""
    return flops / (peak_flops_per_s * utilisation) / 86_400


# --8<-- [end:memory]


# --8<-- [start:estimate]
@dataclass
class ComputeEstimate:
    """What one training run of a config costs."""

    params: int
    forward_flops_per_batch: int
    train_flops_exact: int  # forward + backward = 3 × forward, every step
    train_flops_6nd: float  # Eq. (2.1)
    state_bytes: int  # weights + gradients + Adam moments

    def __str__(self) -> str:
        gib = self.state_bytes / 2**30
        return (
            f"params {self.params / 1e6:.1f}M"
            f" | train {self.train_flops_exact:.2e} FLOPs"
            f" (6ND {self.train_flops_6nd:.2e}) | state {gib:.2f} GiB"
        )


def estimate(
    cfg: TransformerConfig, batch: int, src_len: int, tgt_len: int, steps: int
) -> ComputeEstimate:
    """Parameters, FLOPs (exact and by 6·N·D) and optimiser state of a run.

    ``D`` counts the tokens that pass through the model: source and target.
    """
    n = parameter_count(cfg)
    fwd = forward_flops(cfg, batch, src_len, tgt_len)
    tokens = steps * batch * (src_len + tgt_len)
    state = sum(adam_memory_bytes(n).values())
    return ComputeEstimate(n, fwd, 3 * fwd * steps, 6.0 * n * tokens, state)


# --8<-- [end:estimate]
