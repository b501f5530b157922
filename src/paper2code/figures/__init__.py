"""Figures of the handbook, drawn from results recorded beside the pages.

Pages show them through ``<!-- plot: paper2code.figures.MODULE:NAME -->`` (see
``docs/hooks/plots.py``), one module per part of the handbook the figure belongs to:
``building_blocks`` (attention masks, positional encodings, schedules, norms),
``workflow`` (the Debugging page's LR range test) and ``case_studies``. Each figure
reads a JSON file under ``docs/data/`` (:func:`load`) that a function of the package
computes; the test suite recomputes the quick ones (``record.QUICK``) and checks the
recorded file is what the code gives today, and checks the long ones' recorded curves
show what the page claims. The site build therefore needs matplotlib, not torch. Each
figure function returns a ``Figure``.

    uv run python -m paper2code.figures   # recompute the quick recordings

A tool of the handbook, beside the exercises: it may import the case studies and the
teaching code; no other package of paper2code imports it (the pages and the tests do).
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["DATA", "load", "pyplot"]

DATA = Path(__file__).resolve().parents[3] / "docs" / "data"


def pyplot():
    """matplotlib.pyplot on the Agg backend: figures are drawn to files, never to a window."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def load(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text())
