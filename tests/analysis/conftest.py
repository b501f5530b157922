"""Helpers for the analysis tests: PDFs generated on the spot, and the real papers analysed once."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest


def make_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A PDF with one page per list of lines, in DejaVu Sans (Unicode)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", "", str(Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans.ttf"))
    pdf.set_font("dejavu", size=10)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


@pytest.fixture
def pdf(tmp_path):
    def build(*pages: list[str], name: str = "paper.pdf") -> Path:
        return make_pdf(tmp_path / name, list(pages))

    return build


ROOT = Path(__file__).resolve().parents[2]
# ../shared/papers beside the project (or ../../shared/papers beside a git
# worktree's folder); PAPER2CODE_PAPERS names another folder.
def _papers() -> Path:
    if "PAPER2CODE_PAPERS" in os.environ:
        return Path(os.environ["PAPER2CODE_PAPERS"])
    for up in (ROOT.parent, ROOT.parent.parent):  # a checkout, or a worktree one level down
        if (up / "shared" / "papers").is_dir():
            return up / "shared" / "papers"
    return ROOT.parent / "shared" / "papers"


PAPERS = _papers()


@pytest.fixture(scope="session")
def real_analyses():
    """Each real paper in PAPERS analysed once per test session, by arXiv id."""
    from paper2code.analysis import analyze

    if not PAPERS.is_dir():
        pytest.skip(f"the real papers are not here ({PAPERS} is absent)")
    return {p.stem: analyze(p) for p in sorted(PAPERS.glob("*.pdf"))}
