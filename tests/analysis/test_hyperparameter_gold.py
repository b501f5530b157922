"""Hyperparameter precision on the real papers: right, wrong and missed, per paper.

Gold lists written by reading each paper's set-up sections (training details,
implementation, appendices of hyperparameters) in the PDF. A hyperparameter
found is **right** when its name matches a gold item's pattern and its value
the gold value, or when it comes from a gold set-up table; every other one
is **wrong** (a finding, a definition, a misnamed value, a baseline's
setting); a gold item nothing matches is **missed**. Run with ``-s`` to see
the counts. The bars below are the counts reached when the test was written
(see the project's history for the counts before): they may only get better.
"""

from __future__ import annotations

import re

import pytest

from tests.analysis.conftest import PAPERS

pytestmark = pytest.mark.skipif(
    not PAPERS.is_dir(), reason=f"the real papers are not here ({PAPERS} is absent)"
)

# paper: (set-up tables, [(name pattern, value)], bars (right at least, wrong at most, missed at most))
GOLD = {
    "1706.03762": ({"3"}, [
        (r"^N$", 6), (r"model", 512), (r"^h$", 8), (r"dk|dv", 64), (r"ff", 2048),
        (r"vocabulary", 37000), (r"batch|tokens", 25000), (r"steps", 1e5), (r"steps", 3e5),
        (r"β1", 0.9), (r"β2", 0.98), (r"ϵ|ε", 1e-9), (r"warmup", 4000), (r"drop", 0.1),
        (r"label smoothing", 0.1), (r"beam size", 4), (r"length penalty|α", 0.6), (r"model", 1024),
        (r"vocabulary", 16e3), (r"vocabulary", 32e3), (r"beam size", 21), (r"α", 0.3),
    ], (76, 1, 2)),
    "1512.03385": ({"1", None}, [
        (r"batch", 256), (r"learning rate", 0.1), (r"iterations", 6e5), (r"weight decay", 1e-4),
        (r"momentum", 0.9), (r"batch", 128), (r"iterations", 32e3), (r"iterations", 48e3),
        (r"iterations", 64e3), (r"learning rate", 0.01), (r"iterations", 400), (r"^n$", 18),
        (r"^n$", 200), (r"layers", 3), (r"^s$|side", 600), (r"iterations", 240e3),
        (r"iterations", 80e3), (r"learning rate", 0.001), (r"batch", 16),
    ], (23, 8, 5)),
    "1910.02054": ({"4"}, [(r"sequence length", 1024), (r"batch size", 32)], (21, 47, 0)),
    "2305.13048": ({"2"}, [(r"batch size", 400), (r"^V$|vocab", 50277), (r"std|deviation", 0.02)],
                   (26, 38, 1)),
    "2205.14135": (set(), [
        (r"learning rate", 3.75e-3), (r"batch size", 448), (r"steps", 7100), (r"batch size", 512),
        (r"learning rate", 6e-4), (r"learning rate", 1.5e-4), (r"weight decay", 0.1),
        (r"steps", 4e5), (r"epochs", 200), (r"dropout", 0.1),
        # the benchmarks' settings (Sections 3.1, E.4-E.6)
        (r"batch size", 64), (r"heads", 16), (r"sequence length", 128), (r"sequence length", 256),
        (r"sequence length", 512), (r"batch size", 8), (r"heads", 12), (r"batch size", 16),
        (r"batch size", 12), (r"heads", 8),
    ], (21, 9, 1)),
    "1911.08265": (set(), [
        (r"c1", 1.25), (r"c2", 19652), (r"simulations", 800), (r"simulations", 50),
        (r"discount", 0.997), (r"training steps", 1000), (r"replay|games", 1e6),
        (r"steps", 5e5), (r"steps", 2.5e5), (r"temperature", 1), (r"temperature", 0.5),
        (r"temperature", 0.25), (r"ϵ|ε", 0.001), (r"support|size", 601), (r"α|β", 1),
        (r"^n$", 10), (r"^K$", 5), (r"^n$", 5),
    ], (14, 1, 4)),
    "2203.14465": (set(), [
        (r"embedding", 1024), (r"heads", 16), (r"FFN|hidden", 16384), (r"vocabulary", 50.4e3),
        (r"batch size", 8), (r"length", 1024), (r"learning rate", 1e-6), (r"warm", 100),
        (r"training steps", 40), (r"steps", 300),
    ], (6, 2, 4)),
    "2204.10628": (set(), [
        (r"^k$|length", 10), (r"learning rate", 3e-5), (r"warm", 500), (r"updates", 8e5),
        (r"steps", 15e3), (r"label smoothing", 0.1), (r"weight decay", 0.01), (r"clipping", 0.1),
        (r"batch", 4096), (r"beam size", 15), (r"timesteps", 10),
    ], (9, 1, 2)),
}


def _matches(h: dict, pattern: str, value) -> bool:
    if not re.search(pattern, h["name"]):
        return False
    return h["numeric"] is not None and abs(h["numeric"] - value) <= 1e-6 * abs(value)


def score(outline, setup_tables: set, gold: list) -> tuple[int, int, int, list]:
    """(right, wrong, missed, wrong items) of an outline's hyperparameters."""
    found = outline.hyperparameters
    right, wrong_items = 0, []
    for h in found:
        ok = h["table"] in setup_tables if h["how"] == "table" else \
            any(_matches(h, p, v) for p, v in gold)
        if ok:
            right += 1
        else:
            wrong_items.append(h["text"])
    missed = sum(not any(h["how"] != "table" and _matches(h, p, v) for h in found) for p, v in gold)
    return right, len(wrong_items), missed, wrong_items


def test_hyperparameter_precision_per_paper(real_analyses, capsys):
    analyses = real_analyses
    report, failures = [], []
    for name, (tables, gold, (right_min, wrong_max, missed_max)) in GOLD.items():
        right, wrong, missed, wrong_items = score(analyses[name].outline, tables, gold)
        report.append(f"{name}: right {right}, wrong {wrong}, missed {missed} of {len(gold)} in prose")
        if right < right_min or wrong > wrong_max or missed > missed_max:
            failures.append(f"{name}: right {right} (≥ {right_min}), wrong {wrong} (≤ {wrong_max}), "
                            f"missed {missed} (≤ {missed_max}); wrong: {wrong_items}")
    with capsys.disabled():
        print("\n" + "\n".join(report))
    assert not failures, "\n".join(failures)
