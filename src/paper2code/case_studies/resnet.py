r"""Case study: *Deep Residual Learning for Image Recognition* (He et al., 2015).

Paper: <https://arxiv.org/abs/1512.03385>. The networks are in
``paper2code.models.resnet`` (Eq. 1 and 2, Fig. 5, Table 1); this module
holds what the case study checks and runs with them:

* ``count_macs``: Table 1's FLOPs, which the paper counts as multiply-adds,
  recomputed with forward hooks on every convolution and linear layer.
* ``to_torchvision``: our parameter names to torchvision's, to load the same
  weights into both and compare outputs.
* The central claim at small scale (Section 4.1, Fig. 4; Section 4.2,
  Fig. 6): on scikit-learn's handwritten digits, a deeper *plain* net has
  higher training error than a shallower one, and the same nets with
  shortcuts do not. ``degradation_experiment`` trains plain and residual
  nets of two depths over several seeds.

Differences from the paper: 8×8 digits, not 224×224 ImageNet or 32×32
CIFAR-10; nets of 8 and 32 layers of width {8, 16, 32} (the paper's CIFAR-10
nets: 20 to 56 layers of width {16, 32, 64}); 300 steps of batch 128 with
the learning rate divided by 10 at 50% and 75% of them (the paper: 64k steps,
at 32k and 48k); a one-pixel random shift as augmentation (the paper pads
CIFAR-10 images by 4 and crops, and flips, which would change a digit).

    uv run python -m paper2code.case_studies.resnet --full      # minutes
    uv run python -m paper2code.case_studies.resnet --dry-run   # seconds
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paper2code.models.resnet import cifar_resnet

__all__ = [
    "DegradationConfig",
    "PerPixelMean",
    "count_macs",
    "degradation_experiment",
    "degradation_summary",
    "digits_data",
    "evaluate",
    "from_torchvision",
    "to_torchvision",
    "train_one",
]

RECORD = Path(__file__).resolve().parents[3] / "docs" / "data" / "resnet_degradation.json"


# --8<-- [start:macs]
def count_macs(model: nn.Module, size: tuple = (1, 3, 224, 224)) -> int:
    r"""Multiply-adds of one forward pass in convolutions and linear layers.

    The paper's "FLOPs (multiply-adds)": a k×k convolution costs
    $k^2 \cdot C_{in} / groups$ multiply-adds per output element, a linear
    layer $d_{in}$ per output. BatchNorm, ReLU, pooling and the shortcut
    additions multiply no weights and are not counted. A model built on
    PyTorch's ``meta`` device is counted from shapes alone, with no arithmetic.
    """
    total = 0

    def hook(module: nn.Module, inputs: tuple, out: Tensor) -> None:
        nonlocal total
        if isinstance(module, nn.Conv2d):
            k_h, k_w = module.kernel_size
            per_output = k_h * k_w * module.in_channels // module.groups
        else:  # nn.Linear
            per_output = module.in_features
        total += out.numel() * per_output

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.Linear))]
    device = next(model.parameters()).device
    was_training = model.training
    with torch.no_grad():
        model.eval()(torch.zeros(size, device=device))
    model.train(was_training)
    for handle in handles:
        handle.remove()
    return total // size[0]  # per image
# --8<-- [end:macs]


# --8<-- [start:mapping]
# (ours, torchvision's) name patterns; the weights themselves are the same.
RENAMES = [
    (r"^stem\.0\.", "conv1."),
    (r"^stem\.1\.", "bn1."),
    (r"^stages\.conv(\d)_x\.", lambda m: f"layer{int(m.group(1)) - 1}."),
    (r"\.conv_([abc])\.0\.", lambda m: f".conv{'abc'.index(m.group(1)) + 1}."),
    (r"\.conv_([abc])\.1\.", lambda m: f".bn{'abc'.index(m.group(1)) + 1}."),
    (r"\.shortcut\.proj\.", ".downsample."),
]


def to_torchvision(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """Our state dict with torchvision's names (``conv_a.0`` → ``conv1``)."""
    out = {}
    for key, value in state.items():
        for pattern, repl in RENAMES:
            key = re.sub(pattern, repl, key)
        out[key] = value
    return out


def from_torchvision(state: dict[str, Tensor], model: nn.Module) -> dict:
    """torchvision's state dict with our key names, for ``load_state_dict``."""
    ours = dict(zip(to_torchvision(model.state_dict()), model.state_dict(),
                    strict=True))
    return {ours[k]: v for k, v in state.items()}
# --8<-- [end:mapping]


# --8<-- [start:data]
def digits_data(seed: int = 0, n_train: int = 1437) -> tuple[Tensor, ...]:
    """The 8×8 digits in [0, 1]: ``(x_train, y_train, x_test, y_test)``.

    Images are ``(N, 1, 8, 8)``; the split is a fixed random permutation.
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.images, dtype=torch.float32).unsqueeze(1) / 16.0
    y = torch.tensor(d.target)
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(x), generator=g)
    train, test = order[:n_train], order[n_train:]
    return x[train], y[train], x[test], y[test]


class PerPixelMean:
    """Subtract the training set's mean image: "the per-pixel mean subtracted".

    Section 3.4 and 4.2 of the paper. One mean per pixel position (and
    channel), computed once on the training images and used unchanged for
    every input, training or test. Not torchvision's per-channel mean/std.
    """

    def __init__(self, x_train: Tensor):
        self.mean = x_train.mean(dim=0, keepdim=True)  # (1, C, H, W)

    def __call__(self, x: Tensor) -> Tensor:
        return x - self.mean  # (B, C, H, W)
# --8<-- [end:data]


# --8<-- [start:evaluate]
@torch.no_grad()
def evaluate(model: nn.Module, x: Tensor, y: Tensor, normalise: PerPixelMean,
             batch_size: int = 512) -> float:
    """Error rate on ``(x, y)``, with BatchNorm in inference mode.

    ``model.eval()`` makes BN use its running statistics, so an image's
    prediction does not depend on the rest of its batch, and evaluating does
    not move the running statistics. The previous mode is restored.
    """
    was_training = model.training
    model.eval()
    wrong = 0
    for i in range(0, len(x), batch_size):
        logits = model(normalise(x[i:i + batch_size]))
        wrong += (logits.argmax(-1) != y[i:i + batch_size]).sum().item()
    model.train(was_training)
    return wrong / len(x)
# --8<-- [end:evaluate]


# --8<-- [start:config]
@dataclass(frozen=True)
class DegradationConfig:
    """Plain against residual nets, two depths, several seeds."""

    depths: tuple[int, int] = (1, 5)  # n: 6n+2 layers, so 8 and 32
    width: int = 8  # filters of the first stage; then 2× and 4×
    steps: int = 300  # SGD steps of batch_size images
    batch_size: int = 128  # Section 4.2
    lr: float = 0.1  # divided by 10 at 50% and 75% of the steps
    momentum: float = 0.9  # Section 3.4
    weight_decay: float = 1e-4  # Section 3.4
    eval_every: int = 20  # steps between training-error evaluations
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
# --8<-- [end:config]


# --8<-- [start:train]
def shift(x: Tensor, g: torch.Generator) -> Tensor:
    """Augmentation: one random shift by up to 1 pixel for the batch."""
    i, j = torch.randint(0, 3, (2,), generator=g).tolist()
    return F.pad(x, (1, 1, 1, 1))[:, :, i:i + x.shape[2], j:j + x.shape[3]]


def train_one(cfg: DegradationConfig, n: int, residual: bool, seed: int,
              stop: int | None = None) -> dict:
    """Train one 6n+2-layer net; record training error and minibatch loss.

    ``stop`` ends the run early, the schedule unchanged: a prefix of the run.
    """
    x_tr, y_tr, x_te, y_te = digits_data()
    normalise = PerPixelMean(x_tr)
    torch.manual_seed(seed)
    model = cifar_resnet(n, width=cfg.width, in_channels=1, residual=residual)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                          weight_decay=cfg.weight_decay)
    milestones = [cfg.steps // 2, 3 * cfg.steps // 4]
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones, gamma=0.1)
    g = torch.Generator().manual_seed(1000 + seed)  # batches and shifts
    out = {"step": [], "train_error": [], "loss": [], "lr": []}
    start = time.process_time()
    for step in range(1, (stop or cfg.steps) + 1):
        idx = torch.randint(0, len(x_tr), (cfg.batch_size,), generator=g)
        loss = F.cross_entropy(model(normalise(shift(x_tr[idx], g))), y_tr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        out["lr"].append(opt.param_groups[0]["lr"])  # the step size this step used
        sched.step()
        out["loss"].append(round(loss.item(), 6))
        if step % cfg.eval_every == 0:
            out["step"].append(step)
            out["train_error"].append(evaluate(model, x_tr, y_tr, normalise))
    out["test_error"] = evaluate(model, x_te, y_te, normalise)
    out["cpu_seconds"] = round(time.process_time() - start, 1)
    return out
# --8<-- [end:train]


# --8<-- [start:experiment]
def run_name(n: int, residual: bool) -> str:
    return f"{'residual' if residual else 'plain'}-{6 * n + 2}"


def _one_thread_run(args: tuple) -> dict:
    torch.set_num_threads(1)  # one run per core; results independent of workers
    return train_one(*args)


def degradation_experiment(cfg: DegradationConfig, workers: int = 1,
                           progress: bool = False) -> dict:
    """Every (depth, plain/residual, seed) run: ``record["runs"][name][seed]``.

    Each run is single-threaded; ``workers`` runs go in parallel processes.
    """
    jobs = [(cfg, n, residual, seed) for n in reversed(cfg.depths)
            for seed in cfg.seeds for residual in (False, True)]  # deep first
    runs: dict[str, dict[str, dict]] = {run_name(n, r): {} for n in cfg.depths
                                         for r in (False, True)}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = {pool.submit(_one_thread_run, job): job for job in jobs}
        for future in as_completed(futures):
            _, n, residual, seed = futures[future]
            run = future.result()
            runs[run_name(n, residual)][str(seed)] = run
            if progress:
                print(f"seed {seed} {run_name(n, residual):12} training error "
                      f"{run['train_error'][-1]:.3f}  "
                      f"({run['cpu_seconds']} s CPU)", flush=True)
    for name in runs:  # seeds in order, whatever order the runs finished in
        runs[name] = {str(s): runs[name][str(s)] for s in cfg.seeds}
    return {"config": asdict(cfg), "runs": runs}


def final_error(run: dict, last: int = 3) -> float:
    """Training error averaged over the last ``last`` evaluations."""
    return statistics.fmean(run["train_error"][-last:])


def degradation_summary(record: dict) -> dict[str, tuple[float, float, int]]:
    """Paired differences of final training error, over seeds.

    Returns ``{comparison: (mean, std, seeds with a positive difference)}``
    for: deeper plain minus shallower plain (the degradation), deeper
    residual minus shallower residual, and deeper plain minus deeper residual.
    """
    n_small, n_big = record["config"]["depths"]
    runs, seeds = record["runs"], [str(s) for s in record["config"]["seeds"]]

    def diff(a: str, b: str) -> tuple[float, float, int]:
        d = [final_error(runs[a][s]) - final_error(runs[b][s]) for s in seeds]
        return statistics.fmean(d), statistics.stdev(d), sum(v > 0 for v in d)

    plain_s, plain_b = run_name(n_small, False), run_name(n_big, False)
    res_s, res_b = run_name(n_small, True), run_name(n_big, True)
    return {
        f"{plain_b} − {plain_s}": diff(plain_b, plain_s),
        f"{res_b} − {res_s}": diff(res_b, res_s),
        f"{plain_b} − {res_b}": diff(plain_b, res_b),
    }
# --8<-- [end:experiment]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Plain vs residual nets on digits.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--full", action="store_true",
                       help=f"the full runs (minutes); writes {RECORD.name}")
    group.add_argument("--dry-run", action="store_true", help="a tiny run, seconds")
    parser.add_argument("--workers", type=int, default=2,
                        help="runs in parallel, one thread each (default: 2)")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.dry_run:
        cfg = DegradationConfig(depths=(1, 2), steps=20, eval_every=10, seeds=(0, 1))
        result = degradation_experiment(cfg, args.workers, progress=True)
        print(f"dry run done: {len(result['runs'])} nets × 2 seeds")
        return 0
    cfg = DegradationConfig()
    start = time.perf_counter()
    record = degradation_experiment(cfg, workers=args.workers, progress=True)
    record["command"] = "uv run python -m paper2code.case_studies.resnet --full"
    record["wall_seconds"] = round(time.perf_counter() - start, 1)
    record["workers"] = args.workers
    RECORD.write_text(json.dumps(record) + "\n")
    print(f"recorded to {RECORD} in {record['wall_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
