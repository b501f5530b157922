r"""Grokking: generalisation long after memorisation, on modular arithmetic.

Paper: Power et al., *Grokking: Generalization Beyond Overfitting on Small
Algorithmic Datasets*, 2022, <https://arxiv.org/abs/2201.02177>.

The data set is every equation ``a ∘ b = c`` for a binary operation mod a
prime $p$ (here $a + b \bmod 97$); a fraction of the $p^2$ pairs is used for
training and the rest for validation. A small decoder-only Transformer reads
the four tokens ``a, ∘, b, =`` and predicts ``c`` at the last position.
Training accuracy reaches 100% early; validation accuracy stays near chance,
then rises to ~100% much later. Weight decay shortens the delay.

Setup from the paper (Section 3 and Appendix A.1): 2 layers, width 128,
4 heads; AdamW, learning rate $10^{-3}$, weight decay 1, $\beta_2 = 0.98$,
batch size 512, a linear warm-up of 10 steps. Differences: 1 layer instead of
2 and 5,000 steps, so that the full run fits in minutes on a 2-core CPU;
learned positional embeddings and pre-norm blocks built from
``paper2code.nn``; 40% of the pairs for training (the paper sweeps the
fraction).

    uv run python -m paper2code.case_studies.grokking --full      # minutes; records the curves
    uv run python -m paper2code.case_studies.grokking --dry-run   # seconds
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
from torch import Tensor, nn

from paper2code.nn.attention import MultiHeadAttention, causal_mask
from paper2code.nn.feedforward import PositionwiseFeedForward
from paper2code.nn.norm import LayerNorm, Residual

__all__ = [
    "GrokConfig", "GrokTransformer", "grokked", "mirror_fraction", "modular_data", "train_grokking"]

RECORD = Path(__file__).resolve().parents[3] / "docs" / "data" / "grokking.json"
SEEDS_RECORD = RECORD.with_name("grokking_seeds.json")  # the registered weight-decay comparison
RUBRIC = Path(__file__).parent / "rubrics" / "grokking.yaml"


# --8<-- [start:config]
@dataclass(frozen=True)
class GrokConfig:
    p: int = 97  # the prime modulus
    train_fraction: float = 0.4  # share of the p² pairs used for training
    d_model: int = 128
    n_heads: int = 4
    n_layers: int = 1  # the paper uses 2; 1 fits the CPU budget (see the page)
    lr: float = 1e-3
    weight_decay: float = 1.0
    beta2: float = 0.98
    batch_size: int = 512
    warmup_steps: int = 10
    steps: int = 5_000
    eval_every: int = 100
    seed: int = 0
# --8<-- [end:config]


# --8<-- [start:data]
def modular_data(cfg: GrokConfig) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """All ``a + b = c (mod p)``, shuffled and split: ``(x_train, y_train, x_val, y_val)``.

    Tokens: 0..p-1 are numbers, p is "+", p+1 is "=". Each input is
    ``[a, +, b, =]``; the label is ``c``.
    """
    a, b = torch.meshgrid(torch.arange(cfg.p), torch.arange(cfg.p), indexing="ij")
    a, b = a.flatten(), b.flatten()
    x = torch.stack([a, torch.full_like(a, cfg.p), b, torch.full_like(a, cfg.p + 1)], dim=1)  # (p², 4)
    y = (a + b) % cfg.p
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(cfg.seed))
    n_train = int(cfg.train_fraction * len(x))
    train, val = order[:n_train], order[n_train:]
    return x[train], y[train], x[val], y[val]
# --8<-- [end:data]


# --8<-- [start:mirror]
def mirror_fraction(cfg: GrokConfig) -> float:
    """Share of validation pairs ``(a, b)`` whose mirror ``(b, a)`` is a training pair.

    Addition is commutative, so a model that has memorised ``b + a`` and
    learned that the order of the operands does not matter answers
    ``a + b`` too: validation accuracy can sit near this share, not at
    chance, while the training set is being memorised.
    """
    x_tr, _, x_va, _ = modular_data(cfg)
    train = {(a, b) for a, b in x_tr[:, [0, 2]].tolist()}
    return sum((b, a) in train for a, b in x_va[:, [0, 2]].tolist()) / len(x_va)
# --8<-- [end:mirror]


# --8<-- [start:model]
class GrokTransformer(nn.Module):
    """A decoder-only Transformer over 4 tokens; the logits at the last position predict ``c``."""

    def __init__(self, cfg: GrokConfig):
        super().__init__()
        d = cfg.d_model
        self.embed = nn.Embedding(cfg.p + 2, d)
        self.pos = nn.Parameter(torch.randn(4, d) * 0.02)  # learned positions
        self.attn = nn.ModuleList(MultiHeadAttention(d, cfg.n_heads) for _ in range(cfg.n_layers))
        self.ffn = nn.ModuleList(PositionwiseFeedForward(d, 4 * d) for _ in range(cfg.n_layers))
        self.res_attn = nn.ModuleList(Residual(d, norm_first=True) for _ in range(cfg.n_layers))
        self.res_ffn = nn.ModuleList(Residual(d, norm_first=True) for _ in range(cfg.n_layers))
        self.norm = LayerNorm(d)
        self.head = nn.Linear(d, cfg.p)
        self.register_buffer("mask", causal_mask(4), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        h = self.embed(x) + self.pos  # (B, 4, d)
        for attn, ffn, r1, r2 in zip(self.attn, self.ffn, self.res_attn, self.res_ffn, strict=True):
            h = r1(h, lambda z, attn=attn: attn(z, z, z, self.mask))
            h = r2(h, ffn)
        return self.head(self.norm(h[:, -1]))  # (B, p): the answer after "="
# --8<-- [end:model]


# --8<-- [start:train]
def accuracy(model: nn.Module, x: Tensor, y: Tensor) -> float:
    with torch.no_grad():
        return (model(x).argmax(-1) == y).float().mean().item()


def train_grokking(cfg: GrokConfig, progress: bool = False) -> dict:
    """Train and record accuracy curves every ``eval_every`` steps."""
    torch.manual_seed(cfg.seed)
    x_tr, y_tr, x_va, y_va = modular_data(cfg)
    model = GrokTransformer(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, cfg.beta2), weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / cfg.warmup_steps))
    g = torch.Generator().manual_seed(cfg.seed + 1)
    curves = {"step": [], "train_acc": [], "val_acc": [], "train_loss": []}
    start = time.perf_counter()
    for step in range(1, cfg.steps + 1):
        idx = torch.randint(0, len(x_tr), (min(cfg.batch_size, len(x_tr)),), generator=g)
        loss = nn.functional.cross_entropy(model(x_tr[idx]), y_tr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % cfg.eval_every == 0 or step == cfg.steps:
            model.eval()
            curves["step"].append(step)
            curves["train_acc"].append(round(accuracy(model, x_tr, y_tr), 4))
            curves["val_acc"].append(round(accuracy(model, x_va, y_va), 4))
            curves["train_loss"].append(round(loss.item(), 5))
            model.train()
            if progress:
                print(f"step {step:>6}  train {curves['train_acc'][-1]:.3f}  val {curves['val_acc'][-1]:.3f}", flush=True)
    return {"config": asdict(cfg), "seconds": round(time.perf_counter() - start, 1), **curves}
# --8<-- [end:train]


# --8<-- [start:grokked]
def first_step(curve: dict, key: str, threshold: float) -> int | None:
    """The first recorded step at which ``curve[key]`` reaches ``threshold``."""
    return next((s for s, v in zip(curve["step"], curve[key], strict=True) if v >= threshold), None)


def grokked(curve: dict, train_at: float = 0.99, val_at: float = 0.95, factor: float = 2.0) -> bool:
    """The grokking pattern: train accuracy ≥ 99% well before (``factor``×) validation ≥ 95%."""
    t, v = first_step(curve, "train_acc", train_at), first_step(curve, "val_acc", val_at)
    return t is not None and v is not None and v >= factor * t
# --8<-- [end:grokked]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Grokking on a + b mod 97.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--full", action="store_true", help=f"the full runs (minutes); writes {RECORD.name}")
    group.add_argument("--dry-run", action="store_true", help="a tiny run, seconds")
    group.add_argument("--seeds", type=int, nargs="+",
                       help=f"both arms on each seed (the rubric's registered comparison); adds them to {SEEDS_RECORD.name}")
    args = parser.parse_args(argv)
    if args.dry_run:
        result = train_grokking(GrokConfig(p=11, d_model=32, n_layers=1, steps=50, eval_every=10), progress=True)
        print(f"dry run done in {result['seconds']} s")
        return 0
    if args.seeds:
        found = {}
        for seed in args.seeds:
            for name, wd in (("weight_decay_1", 1.0), ("weight_decay_0.1", 0.1)):
                print(f"== seed {seed}, {name}", flush=True)
                run = train_grokking(replace(GrokConfig(), weight_decay=wd, seed=seed))
                found.setdefault(name, {})[str(seed)] = run  # with its config and loss
        old = json.loads(SEEDS_RECORD.read_text()) if SEEDS_RECORD.exists() else {}
        for name, by_seed in found.items():
            old.setdefault(name, {}).update(by_seed)
        SEEDS_RECORD.write_text(json.dumps(old) + "\n")
        print(f"recorded to {SEEDS_RECORD}")
        return 0
    runs = {}
    for name, wd in (("weight_decay_1", 1.0), ("weight_decay_0.1", 0.1)):
        print(f"== {name}", flush=True)
        runs[name] = train_grokking(replace(GrokConfig(), weight_decay=wd), progress=True)
    RECORD.write_text(json.dumps(runs) + "\n")
    print(f"recorded to {RECORD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
