r"""Evaluate like the paper: one import for the comparisons a reproduction needs; eval mode.

The statistics live in modules split along their seams, and this module
gathers them (pages and case studies import from here):

* `paper2code.statistics.intervals`: the mean's Student-t interval over
  seeds, the prediction interval for a paper's single run, the paired
  difference (`mean_ci`, `over_seeds`, `prediction_interval`, `paired_difference`);
* `paper2code.statistics.paired`: two arms over the same seeds, `compare_arms`
  (which is higher) and `equivalence` (TOST within a margin), each with the
  exact sign-flip test beside the t interval (`paper2code.statistics.signflip`)
  and warnings on its assumptions (`paper2code.statistics.verdict`);
* `paper2code.statistics.paper`: `compare_to_paper`, our runs against the
  paper's number;
* `paper2code.statistics.family`: a family of registered comparisons by
  Holm (`judge_family`), and `conjunction` for a claim with several halves;
* `paper2code.statistics.power`: `tost_power` and `seeds_for_power`, to size
  the runs before they run.

Differences from the paper: not applicable (a method, not a paper); the
intervals say nothing about differences between *data sets* or *code*.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from paper2code.statistics.family import conjunction, holm, judge_family
from paper2code.statistics.intervals import (
    Interval,
    check_margin,
    mean_ci,
    over_seeds,
    paired_difference,
    prediction_interval,
)
from paper2code.statistics.paired import compare_arms, equivalence
from paper2code.statistics.paper import compare_to_paper
from paper2code.statistics.power import seeds_for_power, tost_power
from paper2code.statistics.signflip import sign_flip_test
from paper2code.statistics.student_t import t_quantile
from paper2code.statistics.verdict import Verdict

if TYPE_CHECKING:  # torch only for the annotation: the statistics import without it
    from torch import nn

__all__ = [
    "Interval", "Verdict", "check_margin", "compare_arms", "compare_to_paper", "conjunction",
    "equivalence", "eval_mode", "holm", "judge_family", "mean_ci", "over_seeds",
    "paired_difference", "prediction_interval", "seeds_for_power", "sign_flip_test",
    "t_quantile", "tost_power",
]


# --8<-- [start:eval_mode]
@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """``model.eval()`` inside the block; each module's own mode restored after.

    ``torch.no_grad()`` does not switch dropout or BatchNorm to evaluation
    behaviour; ``model.eval()`` does, and forgetting ``model.train()``
    afterwards silently trains without dropout.
    """
    modes = {m: m.training for m in model.modules()}
    model.eval()
    try:
        yield model
    finally:
        for m, training in modes.items():
            m.train(training)


# --8<-- [end:eval_mode]
