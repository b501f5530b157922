"""The quick recordings: recomputed by ``uv run python -m paper2code.figures [NAME ...]``.

``QUICK`` maps each recording under ``docs/data/`` that takes seconds to the function that
computes it; tests/test_figures.py checks every recorded file is what its function gives
today. The long runs' recordings are written by their case studies (``--integration``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from paper2code.figures import DATA
from paper2code.figures.building_blocks import (
    attention_masks_data,
    norms_data,
    positional_data,
    schedules_data,
)
from paper2code.figures.case_studies import bias_correction_data, transformer_schedule_data
from paper2code.figures.workflow import lr_range_data

__all__ = ["QUICK", "main", "record"]


QUICK = {
    "lr_range": lr_range_data,
    "transformer_schedule": transformer_schedule_data,
    "bias_correction": bias_correction_data,
    "attention_masks": attention_masks_data,
    "positional": positional_data,
    "schedules": schedules_data,
    "norms": norms_data,
}


def record(names=None) -> list[Path]:
    """Recompute and write the quick recordings (all, or ``names``)."""
    DATA.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names or QUICK:
        path = DATA / f"{name}.json"
        path.write_text(json.dumps(QUICK[name](), indent=1) + "\n")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    names = sys.argv[1:] if argv is None else argv
    unknown = [name for name in names if name not in QUICK]
    if unknown:
        print(f"paper2code.figures: no quick recording {unknown[0]!r} (known: {', '.join(QUICK)})",
              file=sys.stderr)
        raise SystemExit(2)
    for path in record(names or None):
        print(path)
