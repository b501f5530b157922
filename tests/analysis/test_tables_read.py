"""A table is read, or the checklist says it was not; the reference list takes no table with it."""

from __future__ import annotations

import re

import pytest

from paper2code.analysis.extract import extract_outline
from paper2code.analysis.values import parse_value
from tests.analysis.conftest import PAPERS

PAPER = """# A Paper

## 1 Method

We train with a batch size of 64 (Table 5).

## References

[1] A. Author. A paper. 2020.

<!-- Table 5 -->
| Model | Layers | Hidden size |
|---|---|---|
| small | 12 | 768 |
| large | 24 | 1024 |

Table 5: Training configurations for each model size.

[2] B. Author. Another paper. 2021.
"""


def test_a_table_after_the_reference_heading_is_read_and_the_references_are_not():
    outline = extract_outline(PAPER, "pdf")
    table = next(t for t in outline.tables if t["number"] == "5")
    assert table.get("rows") and table["setup"]
    assert {(h["name"], h["value"]) for h in outline.hyperparameters} >= {("Layers (large)", "24"),
                                                                          ("Hidden size (small)", "768")}
    assert not any("2021" in h["value"] or "2020" in h["value"] for h in outline.hyperparameters)


@pytest.mark.parametrize("written, number", [("20\u2009000", 20000.0), ("10k", 1e4), ("3 · 10-4", 3e-4),
                                             ("3×10^-4", 3e-4)])
def test_numbers_as_papers_write_them(written, number):
    assert parse_value(written) == pytest.approx(number)


@pytest.mark.skipif(not PAPERS.is_dir(), reason=f"the real papers are not here ({PAPERS} is absent)")
def test_the_checklist_and_paper_md_agree_about_which_tables_were_read(real_analyses):
    for paper, analysis in real_analyses.items():
        unread = re.findall(r"Table (\S+): referred to, but no table with its cells was read", analysis.checklist)
        written = [n for n in unread if f"<!-- Table {n} -->" in analysis.conversion.text]
        assert not written, f"{paper}: paper.md has the cells of Tables {written}, the checklist says unread"
