"""The synthetic copy task: the Transformer's first sanity check.

The model reads a random sequence of symbols and must output the same
sequence. A correct encoder–decoder learns it to exact match in a few
hundred steps on a CPU (500 here, with a margin: every seed and thread
count tried reaches exact match by then); a broken mask, a wrong shift between decoder input
and target, or a missing positional encoding make that impossible. (The
Annotated Transformer starts the same way, before any real data.)

Token ids: 0 padding, 1 beginning of sequence (BOS), 2.. symbols.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
from torch import Tensor

from paper2code.losses import label_smoothed_cross_entropy
from paper2code.models.transformer import Transformer, TransformerConfig, greedy_decode
from paper2code.optim import AdamW, cosine_with_warmup

__all__ = ["CopyTaskConfig", "copy_batch", "exact_match", "train_copy_model", "trained_copy_model"]

PAD, BOS = 0, 1


@dataclass(frozen=True)
class CopyTaskConfig:
    """A small copy task and model; trains to exact match in seconds on a CPU."""

    n_symbols: int = 8  # distinct symbols to copy
    length: int = 6  # sequence length
    d_model: int = 32
    n_heads: int = 4
    n_layers: int = 1  # encoder and decoder layers each
    d_ff: int = 64
    steps: int = 500  # 300 reached exact match on one CPU, not on all: keep a margin
    batch_size: int = 64
    lr: float = 3e-3
    smoothing: float = 0.1  # label smoothing, as the paper (Section 5.4)
    seed: int = 0


# --8<-- [start:data]
def copy_batch(cfg: CopyTaskConfig, batch_size: int, generator: torch.Generator) -> tuple[Tensor, Tensor, Tensor]:
    """``(src, decoder_input, target)``: the decoder sees BOS + target shifted right by one."""
    src = torch.randint(2, 2 + cfg.n_symbols, (batch_size, cfg.length), generator=generator)  # (B, L)
    bos = torch.full((batch_size, 1), BOS)
    decoder_input = torch.cat([bos, src[:, :-1]], dim=1)  # (B, L): BOS, s_1 … s_{L-1}
    return src, decoder_input, src  # the target at position t is s_t
# --8<-- [end:data]


def make_model(cfg: CopyTaskConfig) -> Transformer:
    torch.manual_seed(cfg.seed)
    return Transformer(TransformerConfig(
        vocab_size=2 + cfg.n_symbols, d_model=cfg.d_model, n_heads=cfg.n_heads,
        n_encoder_layers=cfg.n_layers, n_decoder_layers=cfg.n_layers, d_ff=cfg.d_ff,
        dropout=0.0, max_len=64, pad_id=PAD,
    ))


def exact_match(model: Transformer, cfg: CopyTaskConfig, n: int = 256, seed: int = 1) -> float:
    """Fraction of new sequences copied exactly by greedy decoding."""
    src, _, target = copy_batch(cfg, n, torch.Generator().manual_seed(seed))
    out = greedy_decode(model, src, bos_id=BOS, max_len=cfg.length + 1)[:, 1:]  # drop BOS
    return (out == target).all(dim=1).float().mean().item()


# --8<-- [start:train]
def train_copy_model(cfg: CopyTaskConfig | None = None) -> tuple[Transformer, list[float]]:
    """Train on fresh random batches; returns the model and the loss per step."""
    cfg = cfg or CopyTaskConfig()
    model = make_model(cfg)
    opt = AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, 0.98), eps=1e-9, weight_decay=0.0)
    # The rate decays to zero over the run (cosine): a run that ends at full rate ends
    # wherever its last few noisy steps left it, which differs from CPU to CPU.
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: cosine_with_warmup(s, 1.0, 0, cfg.steps))
    g = torch.Generator().manual_seed(cfg.seed)
    losses = []
    for _ in range(cfg.steps):
        src, dec_in, target = copy_batch(cfg, cfg.batch_size, g)
        logits = model(src, dec_in)  # (B, L, V)
        loss = label_smoothed_cross_entropy(logits.flatten(0, 1), target.flatten(), cfg.smoothing)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    return model, losses
# --8<-- [end:train]


@functools.lru_cache(maxsize=4)
def trained_copy_model(cfg: CopyTaskConfig = CopyTaskConfig()) -> tuple[Transformer, tuple[float, ...]]:
    """``train_copy_model(cfg)``, trained once per process and shared (do not train it further)."""
    model, losses = train_copy_model(cfg)
    return model.eval(), tuple(losses)
