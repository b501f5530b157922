r"""The encoder–decoder Transformer, built from ``paper2code.nn``.

Paper: Vaswani et al., *Attention Is All You Need*, 2017,
<https://arxiv.org/abs/1706.03762>, Section 3 and Figure 1.

* Encoder layer (Section 3.1): self-attention, then the position-wise FFN
  (Eq. 2), each in a residual connection with LayerNorm.
* Decoder layer: masked self-attention, cross-attention over the encoder's
  output ("memory"), then the FFN.
* Embeddings (Section 3.4): the source embedding, the target embedding and the
  pre-softmax projection share one weight matrix, and embeddings are
  multiplied by $\sqrt{d_{model}}$. Sinusoidal positions (Section 3.5) are
  added, then dropout (Section 5.4).

Differences from the paper: the paper does not state its initialisation; we
use Xavier-uniform for every matrix, the shared embedding included. For the
base model that makes $\sqrt{d}\,E$ small (std 0.165) beside the sinusoids
(RMS 0.707); an embedding initialised as $\mathcal{N}(0, d^{-1/2})$ would
make it unit scale. ``norm_first=True`` gives the pre-norm
variant (used by Wang et al., 2019; analysed by Xiong et al., 2020) with a
final LayerNorm in each stack; the paper
is post-norm (the default).

Dimension legend: B batch, S source length, T target length, d = d_model,
V vocabulary size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from paper2code.nn.attention import MultiHeadAttention, causal_mask
from paper2code.nn.feedforward import PositionwiseFeedForward
from paper2code.nn.norm import LayerNorm, Residual
from paper2code.nn.positional import SinusoidalPositionalEncoding

__all__ = [
    "DecoderLayer",
    "EncoderLayer",
    "Transformer",
    "TransformerConfig",
    "create_transformer",
    "greedy_decode",
    "transformer_base_config",
    "transformer_big_config",
]


# --8<-- [start:config]
@dataclass
class TransformerConfig:
    """Hyperparameters of the encoder–decoder Transformer."""

    vocab_size: int = 32  # V: one vocabulary shared by source and target (Section 5.1)
    d_model: int = 64  # model width; 512 in the base model (Table 3)
    n_heads: int = 4  # h; d_k = d_v = d_model / h
    n_encoder_layers: int = 2  # N = 6 in the paper
    n_decoder_layers: int = 2  # N = 6 in the paper
    d_ff: int = 128  # inner FFN width; 2048 in the base model
    dropout: float = 0.1  # P_drop (Section 5.4)
    max_len: int = 512  # longest sequence the sinusoid table covers
    share_embeddings: bool = True  # Section 3.4: one matrix for both embeddings and the output
    norm_first: bool = False  # False: the paper's post-norm; True: pre-norm
    pad_id: int = 0  # the padding token, masked out of attention


def transformer_base_config(vocab_size: int = 37000) -> TransformerConfig:
    """Table 3, "base": N=6, d_model=512, d_ff=2048, h=8, P_drop=0.1."""
    return TransformerConfig(vocab_size, 512, 8, 6, 6, 2048, 0.1)


def transformer_big_config(vocab_size: int = 37000) -> TransformerConfig:
    """Table 3, "big": N=6, d_model=1024, d_ff=4096, h=16, P_drop=0.3."""
    return TransformerConfig(vocab_size, 1024, 16, 6, 6, 4096, 0.3)
# --8<-- [end:config]


# --8<-- [start:layers]
class EncoderLayer(nn.Module):
    """Self-attention, then FFN, each wrapped in ``Residual`` (Section 3.1)."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.self_attn = MultiHeadAttention(cfg.d_model, cfg.n_heads, cfg.dropout)
        self.ffn = PositionwiseFeedForward(cfg.d_model, cfg.d_ff)
        self.res_attn = Residual(cfg.d_model, cfg.dropout, cfg.norm_first)
        self.res_ffn = Residual(cfg.d_model, cfg.dropout, cfg.norm_first)

    def forward(self, x: Tensor, src_mask: Tensor | None) -> Tensor:
        x = self.res_attn(x, lambda h: self.self_attn(h, h, h, src_mask))  # (B, S, d)
        return self.res_ffn(x, self.ffn)


class DecoderLayer(nn.Module):
    """Masked self-attention, cross-attention over the memory, then FFN."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.self_attn = MultiHeadAttention(cfg.d_model, cfg.n_heads, cfg.dropout)
        self.cross_attn = MultiHeadAttention(cfg.d_model, cfg.n_heads, cfg.dropout)
        self.ffn = PositionwiseFeedForward(cfg.d_model, cfg.d_ff)
        self.res_self = Residual(cfg.d_model, cfg.dropout, cfg.norm_first)
        self.res_cross = Residual(cfg.d_model, cfg.dropout, cfg.norm_first)
        self.res_ffn = Residual(cfg.d_model, cfg.dropout, cfg.norm_first)

    def forward(
        self, y: Tensor, memory: Tensor, src_mask: Tensor | None, tgt_mask: Tensor | None
    ) -> Tensor:
        y = self.res_self(y, lambda h: self.self_attn(h, h, h, tgt_mask))  # (B, T, d)
        y = self.res_cross(y, lambda h: self.cross_attn(h, memory, memory, src_mask))
        return self.res_ffn(y, self.ffn)
# --8<-- [end:layers]


# --8<-- [start:model]
class Transformer(nn.Module):
    """The encoder–decoder of Figure 1; ``forward`` returns next-token logits."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.cfg = cfg
        self.src_embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.tgt_embed = (
            self.src_embed if cfg.share_embeddings else nn.Embedding(cfg.vocab_size, cfg.d_model)
        )
        self.positions = SinusoidalPositionalEncoding(cfg.d_model, cfg.max_len, cfg.dropout)
        self.encoder = nn.ModuleList(EncoderLayer(cfg) for _ in range(cfg.n_encoder_layers))
        self.decoder = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.n_decoder_layers))
        # Pre-norm stacks end with a LayerNorm; post-norm layers already end with one.
        self.encoder_norm = LayerNorm(cfg.d_model) if cfg.norm_first else nn.Identity()
        self.decoder_norm = LayerNorm(cfg.d_model) if cfg.norm_first else nn.Identity()
        self.generator = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        self._init_weights()
        if cfg.share_embeddings:
            self.generator.weight = self.tgt_embed.weight  # Section 3.4: one shared matrix

    def _init_weights(self) -> None:
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def embed(self, tokens: Tensor, table: nn.Embedding) -> Tensor:
        return self.positions(table(tokens) * math.sqrt(self.cfg.d_model))  # Section 3.4

    def src_mask(self, src: Tensor) -> Tensor:
        return (src != self.cfg.pad_id)[:, None, None, :]  # (B, 1, 1, S): hide padded keys

    def tgt_mask(self, tgt: Tensor) -> Tensor:
        t = tgt.size(1)
        keys = (tgt != self.cfg.pad_id)[:, None, None, :]  # (B, 1, 1, T)
        return keys & causal_mask(t, device=tgt.device)  # (B, 1, T, T): no peeking ahead

    def encode(self, src: Tensor, src_mask: Tensor | None = None) -> Tensor:
        src_mask = self.src_mask(src) if src_mask is None else src_mask
        x = self.embed(src, self.src_embed)  # (B, S, d)
        for layer in self.encoder:
            x = layer(x, src_mask)
        return self.encoder_norm(x)

    def decode(
        self, tgt: Tensor, memory: Tensor, src_mask: Tensor, tgt_mask: Tensor | None = None
    ) -> Tensor:
        tgt_mask = self.tgt_mask(tgt) if tgt_mask is None else tgt_mask
        y = self.embed(tgt, self.tgt_embed)  # (B, T, d)
        for layer in self.decoder:
            y = layer(y, memory, src_mask, tgt_mask)
        return self.generator(self.decoder_norm(y))  # (B, T, V) logits

    def forward(self, src: Tensor, tgt: Tensor) -> Tensor:
        """Logits ``(B, T, V)`` for each next target token, given ``src`` (B, S) and ``tgt`` (B, T)."""
        src_mask = self.src_mask(src)
        return self.decode(tgt, self.encode(src, src_mask), src_mask)


def create_transformer(**overrides) -> Transformer:
    """A small Transformer for tests and examples; override any config field.

    Examples:
        >>> model = create_transformer(vocab_size=11, d_model=16, n_heads=2, d_ff=32)
        >>> model(torch.ones(2, 5, dtype=torch.long), torch.ones(2, 4, dtype=torch.long)).shape
        torch.Size([2, 4, 11])
    """
    return Transformer(TransformerConfig(**overrides))
# --8<-- [end:model]


# --8<-- [start:greedy]
@torch.no_grad()
def greedy_decode(model: Transformer, src: Tensor, bos_id: int, max_len: int) -> Tensor:
    """Decode by taking the most likely token at each step; returns ``(B, max_len)`` with BOS first."""
    was_training = model.training
    model.eval()
    src_mask = model.src_mask(src)
    memory = model.encode(src, src_mask)  # encode once, reuse at every step
    out = torch.full((src.size(0), 1), bos_id, dtype=torch.long, device=src.device)
    for _ in range(max_len - 1):
        logits = model.decode(out, memory, src_mask)  # (B, t, V)
        next_token = logits[:, -1].argmax(dim=-1, keepdim=True)  # (B, 1)
        out = torch.cat([out, next_token], dim=1)
    model.train(was_training)
    return out
# --8<-- [end:greedy]
