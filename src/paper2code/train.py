"""A minimal, readable training loop, and the reproduction report.

The model knows nothing about training and the trainer knows nothing about
the model (minGPT's rule): [`Trainer`][paper2code.train.Trainer] takes any
module, a batch function and a loss function.

What it does that a ten-line loop does not, and why:

* a tqdm progress bar with the loss and the learning rate;
* periodic evaluation on held-out data;
* checkpoints that restore the model, the optimizer, the scheduler, the step
  *and* the global random number generators (Python, NumPy, torch CPU and
  CUDA), so that a run stopped and resumed is the same run, to the bit, as
  one that never stopped. A ``DataLoader``'s own generator and its workers'
  states are not global: a run that draws batches from one must save them
  too, or derive each batch from the step, as ``get_batch(step)`` allows;
* seeding and determinism switches ([`seed_everything`][paper2code.utils.seed_everything]).

[`reproduction_report`][paper2code.train.reproduction_report] turns the
paper's numbers and ours into the table every case study ends with.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

__all__ = ["ReportRow", "TrainConfig", "Trainer", "perplexity", "reproduction_report", "rng_state", "set_rng_state"]


# --8<-- [start:rng]
def rng_state() -> dict:
    """The global generators' states: Python, NumPy, torch CPU and CUDA.

    Not a ``torch.Generator`` you created yourself, nor a DataLoader's sampler
    or workers: save those beside this if your batches come from them.
    """
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
# --8<-- [end:rng]


# --8<-- [start:trainer]
@dataclass
class TrainConfig:
    """How long and how to train; the model's own config lives with the model."""

    steps: int = 200  # optimizer steps in total
    eval_every: int = 50  # evaluate every this many steps (0: never)
    checkpoint_every: int = 0  # save every this many steps (0: never)
    checkpoint_path: str | None = None  # where to save; a resumed run reads it
    grad_clip: float | None = None  # max gradient norm; None (default): no clipping, as most papers
    progress: bool = True  # show a tqdm progress bar


@dataclass
class Trainer:
    """Train ``model`` with ``optimizer`` (and a scheduler) on batches from ``get_batch(step)``.

    ``get_batch`` draws from the global torch RNG, which the checkpoint saves.
    """

    model: nn.Module
    optimizer: torch.optim.Optimizer
    get_batch: Callable[[int], tuple[Tensor, Tensor]]
    loss_fn: Callable[[Tensor, Tensor], Tensor]
    config: TrainConfig = field(default_factory=TrainConfig)
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None
    evaluate: Callable[[nn.Module], float] | None = None
    step: int = 0
    history: list[dict] = field(default_factory=list)

    def save(self, path: str | Path) -> None:
        """Write a checkpoint atomically (temporary file, then rename)."""
        state = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler else None,
            "step": self.step,
            "history": self.history,
            "rng": rng_state(),
        }
        tmp = Path(f"{path}.tmp")
        torch.save(state, tmp)
        os.replace(tmp, path)

    def load(self, path: str | Path, map_location: str | torch.device | None = None) -> None:
        """Restore a checkpoint; tensors go to the model's device unless told otherwise.

        Without ``map_location``, ``torch.load`` puts each tensor back on the
        device it was saved from, so a GPU checkpoint fails to load on a CPU.
        """
        if map_location is None:
            map_location = next(self.model.parameters()).device
        state = torch.load(path, map_location=map_location, weights_only=False)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler and state["scheduler"]:
            self.scheduler.load_state_dict(state["scheduler"])
        self.step, self.history = state["step"], state["history"]
        set_rng_state(state["rng"])

    def train_step(self) -> float:
        self.model.train()
        x, y = self.get_batch(self.step)
        loss = self.loss_fn(self.model(x), y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.grad_clip is not None:
            nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.optimizer.step()
        if self.scheduler:
            self.scheduler.step()
        self.step += 1
        return loss.item()

    def fit(self, until: int | None = None) -> list[dict]:
        """Train up to step ``until`` (default: ``config.steps``); resumes from ``step``."""
        from tqdm.auto import tqdm

        cfg, until = self.config, self.config.steps if until is None else until
        bar = tqdm(total=until, initial=self.step, disable=not cfg.progress, desc="train", leave=False)
        while self.step < until:
            lr = self.optimizer.param_groups[0]["lr"]  # the rate this step uses (read before the scheduler moves it)
            loss = self.train_step()
            record = {"step": self.step, "loss": loss, "lr": lr}
            if self.evaluate and cfg.eval_every and self.step % cfg.eval_every == 0:
                self.model.eval()
                with torch.no_grad():
                    record["eval"] = self.evaluate(self.model)
            self.history.append(record)
            bar.set_postfix(loss=f"{loss:.4f}", lr=f"{record['lr']:.2e}")
            bar.update(1)
            if cfg.checkpoint_path and cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0:
                self.save(cfg.checkpoint_path)
        bar.close()
        return self.history
# --8<-- [end:trainer]


# --8<-- [start:metrics]
def perplexity(mean_nll: float) -> float:
    """Perplexity from the mean negative log-likelihood per token, in nats: ``exp(NLL)``.

    Papers average over *tokens*, not sequences; averaging per sequence
    first weights short sequences up and gives another number.
    """
    return math.exp(mean_nll)
# --8<-- [end:metrics]


# --8<-- [start:report]
@dataclass
class ReportRow:
    """One line of a reproduction report."""

    quantity: str
    paper: float
    ours: float
    tolerance: float  # absolute, stated before the run
    note: str = ""

    @property
    def difference(self) -> float:
        return self.ours - self.paper

    @property
    def within(self) -> bool:
        return abs(self.difference) <= self.tolerance


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 and float(v).is_integer() else f"{v:.4g}"


def reproduction_report(rows: list[ReportRow]) -> str:
    """The table of paper value, our value, difference and tolerance, as Markdown.

    Examples:
        >>> print(reproduction_report([ReportRow("accuracy", 0.95, 0.948, 0.01)]))
        | Quantity | Paper | Ours | Difference | Tolerance | Within |
        |---|---|---|---|---|---|
        | accuracy | 0.95 | 0.948 | -0.002 | 0.01 | yes |
    """
    lines = ["| Quantity | Paper | Ours | Difference | Tolerance | Within |", "|---|---|---|---|---|---|"]
    for r in rows:
        note = f" ({r.note})" if r.note else ""
        lines.append(
            f"| {r.quantity}{note} | {_fmt(r.paper)} | {_fmt(r.ours)} | {r.difference:+.4g} "
            f"| {_fmt(r.tolerance)} | {'yes' if r.within else '**no**'} |"
        )
    return "\n".join(lines)
# --8<-- [end:report]
