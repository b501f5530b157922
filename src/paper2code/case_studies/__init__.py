"""Case studies: one module per paper, each with a tiny configuration the tests run.

Each case study has a rubric of the paper's items in ``rubrics/NAME.yaml``
(see `paper2code.scoring.rubric`); its tests link to the leaves, and the scorecard of
a run is recorded in ``docs/data/scorecards/NAME.json`` and compared with
every run of the suite (see `paper2code.scoring.pytest_plugin`).
"""

from __future__ import annotations

import json
from pathlib import Path

from paper2code.scoring.scorecard import Scorecard

__all__ = ["RUBRICS", "SCORECARDS", "scorecard"]

RUBRICS = Path(__file__).resolve().parent / "rubrics"
SCORECARDS = Path(__file__).resolve().parents[3] / "docs" / "data" / "scorecards"


def scorecard(name: str) -> Scorecard:
    """The recorded scorecard of the case study ``name`` (e.g. ``"lora"``)."""
    return Scorecard.from_dict(json.loads((SCORECARDS / f"{name}.json").read_text("utf-8")))
