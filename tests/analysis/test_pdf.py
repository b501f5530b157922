"""The PDF converter on generated pages: each layout rule, one test."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

from paper2code.analysis import analyze
from paper2code.analysis.pdf import paper_markitdown, pdf_to_markdown

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
LEFT = ["The left column opens the paper and goes on", "for a few lines of ordinary prose text,",
        "with words kept apart, and an implemen-", "tation detail at the end of it."]
RIGHT = ["The right column comes second in reading", "order, even though its lines sit at the",
         "same heights as the left column lines.", "It ends the page."]


def new_pdf():
    from fpdf import FPDF

    pdf = FPDF(format="letter", unit="pt")
    pdf.add_font("dejavu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("dejavu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(False)
    return pdf


def text(pdf, x, y, line, size=10, style=""):
    pdf.set_font("dejavu", style, size)
    pdf.text(x, y, line)


def two_column_paper(path: Path, line_numbers: bool = False) -> Path:
    """Three pages: running header, title, two columns, page numbers."""
    pdf = new_pdf()
    for page in range(1, 4):
        pdf.add_page()
        text(pdf, 200, 40, "Published as a conference paper at SOMECONF 2031", size=8)
        y = 120
        if page == 1:
            text(pdf, 150, 90, "A Generated Paper About Columns", size=18)
        text(pdf, 72, y, f"{page} Section Number {page}", size=12, style="B")
        for k, (left, right) in enumerate(zip(LEFT, RIGHT, strict=True)):
            text(pdf, 72, y + 20 + 14 * k, left)
            text(pdf, 320, y + 20 + 14 * k, right)
            if line_numbers:
                text(pdf, 40, y + 20 + 14 * k, str(10 * page + k), size=7)
        text(pdf, 300, 760, str(page))
    pdf.output(str(path))
    return path


@pytest.fixture(scope="module")
def columns(tmp_path_factory):
    path = two_column_paper(tmp_path_factory.mktemp("pdf") / "columns.pdf", line_numbers=True)
    return pdf_to_markdown(str(path))


def test_words_are_spaced_and_columns_read_in_order(columns):
    assert "with words kept apart, and an" in columns
    lines = columns.splitlines()
    left = lines.index("for a few lines of ordinary prose text,")
    right = lines.index("order, even though its lines sit at the")
    assert left < right  # the whole left column first


def test_running_headers_page_and_line_numbers_are_dropped(columns):
    assert "Published as a conference paper" not in columns
    assert not any(line.strip().isdigit() for line in columns.splitlines())
    assert "\nThe left column opens the paper" in columns  # no "10 The left column"


def test_title_and_headings(columns):
    assert columns.startswith("# A Generated Paper About Columns\n")
    assert "## 1 Section Number 1" in columns and "## 3 Section Number 3" in columns


def test_hyphenation_is_joined_by_the_cleaning(tmp_path):
    paper = two_column_paper(tmp_path / "columns.pdf")
    assert "an implementation\ndetail" in analyze(paper).conversion.text


def ruled_table_and_algorithm(path: Path) -> Path:
    pdf = new_pdf()
    pdf.add_page()
    text(pdf, 72, 80, "Table 1: Training set-up of the two models.")
    pdf.set_line_width(0.5)
    for y in (90, 108, 160):
        pdf.line(72, y, 540, y)
    header = ["Model", "Layers", "Learning rate", "BLEU"]
    cols = [80, 200, 320, 460]
    for x, cell in zip(cols, header, strict=True):
        text(pdf, x, 102, cell)
    for k, row in enumerate([["base", "6", "0.001", "27.3"], ["big", "12", "0.0005", "28.4"]]):
        for x, cell in zip(cols, row, strict=True):
            text(pdf, x, 124 + 16 * k, cell)
    for y in (220, 238, 320):
        pdf.line(72, y, 540, y)
    text(pdf, 76, 232, "Algorithm 1 Train the model", style="B")
    for k, step in enumerate(["Require: data D, rate η", "1: for each batch do",
                              "2: θ ← θ − η ∇L", "3: end for"]):
        text(pdf, 76, 254 + 16 * k, step)
    text(pdf, 72, 360, "As Table 1 and Algorithm 1 show, the set-up is small.")
    pdf.output(str(path))
    return path


def test_ruled_table_becomes_a_markdown_table_with_its_header(tmp_path):
    md = pdf_to_markdown(str(ruled_table_and_algorithm(tmp_path / "t.pdf")))
    assert "| Model | Layers | Learning rate | BLEU |\n|---|---|---|---|\n| base | 6 | 0.001 | 27.3 |" in md


def test_ruled_algorithm_becomes_a_block_with_its_steps(tmp_path):
    md = pdf_to_markdown(str(ruled_table_and_algorithm(tmp_path / "t.pdf")))
    assert "```text\nAlgorithm 1 Train the model\nRequire: data D, rate η\n1: for each batch do" in md
    outline = analyze(tmp_path / "t.pdf").outline
    (algo,) = outline.algorithms
    assert algo["title"] == "Train the model" and len(algo["steps"]) == 4


def test_set_up_table_values_with_table_row_and_column(tmp_path):
    outline = analyze(ruled_table_and_algorithm(tmp_path / "t.pdf")).outline
    (table,) = [t for t in outline.tables if t["number"] == "1"]
    assert table["header"] == ["Model", "Layers", "Learning rate", "BLEU"] and table["setup"]
    found = {(h["row"], h["column"], h["value"]) for h in outline.hyperparameters if h["how"] == "table"}
    assert found == {("base", "Layers", "6"), ("base", "Learning rate", "0.001"),
                     ("big", "Layers", "12"), ("big", "Learning rate", "0.0005")}  # BLEU: a result
    lr = next(h for h in outline.hyperparameters if h["value"] == "0.0005")
    assert lr["source"] == "Table 1, row big, column Learning rate"


def test_markitdown_uses_the_registered_converter(tmp_path):
    paper = ruled_table_and_algorithm(tmp_path / "t.pdf")
    assert "| Model | Layers |" in paper_markitdown().convert(str(paper)).text_content
