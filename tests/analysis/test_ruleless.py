"""A generated paper with what real papers do and the first converter missed.

Tables without rules (caption below, as in Hinton et al. 2015; caption above,
with ``4.2± 0.2``, ``97.86(3.78)`` and bold cells), equations whose text is
garbled or whose number ends a line of sums, hyperparameters stated in a
set-up section, and results, definitions and lists that give none.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from paper2code.analysis import analyze
from tests.analysis.test_pdf import new_pdf, text

PROSE = [
    "## 3 Experimental set-up",
    "We train the student with a loss weight β = 0.01 on the hard targets and ε = 0.05.",
    "The net has two hidden layers of 1200 rectified linear hidden units, trained with a",
    "learning rate of 0.001 and a batch size of 128 for 50 epochs. We tried temperatures",
    "of 1, 2, 5 and 10. Inputs were jittered by up to ±2 pixels in any direction.",
    "We trained 61 specialist models on 3% of the training data, with a relative weight of 0.5.",
    "## 4 Results",
    "PonderNet takes 3 steps on average and reaches 97.86% after 20 steps of training.",
    "The logits are zero-meaned, so that z = v = 0 for each case.",
]


def paper(path: Path) -> Path:
    pdf = new_pdf()
    pdf.add_page()
    text(pdf, 150, 60, "Distilling PonderNet: A Generated Paper on Tables", size=16, style="B")
    text(pdf, 72, 100, "1 Method", size=12, style="B")
    text(pdf, 72, 120, "The distilled model is trained on soft targets, as follows.")
    text(pdf, 150, 145, "∂zi = T (qi - pi) = T j e zj/T - j e vj /T !")
    text(pdf, 500, 145, "(2)")
    text(pdf, 150, 170, "KL(p g , q) + KL(p m, q)")
    text(pdf, 500, 170, "(5)")
    text(pdf, 72, 200, "The results of Table 1 and Table 2 are below.")
    # Table 1: no rules, caption below.
    rows = [("System", "Test Frame Accuracy", "WER"), ("Baseline", "58.9%", "10.9%"),
            ("10xEnsemble", "61.1%", "10.7%"), ("Distilled Single model", "60.8%", "10.7%")]
    for k, row in enumerate(rows):
        for x, cell in zip((90, 260, 420), row, strict=True):
            text(pdf, x, 230 + 14 * k, cell)
    text(pdf, 72, 300, "Table 1: Frame classification accuracy and WER of the distilled model and")
    text(pdf, 72, 312, "the ensemble it was distilled from.")
    # Table 2: no rules, caption above, spreads and a bold cell.
    text(pdf, 72, 350, "Table 2: Accuracy and steps on parity.")
    rows2 = [("Model", "Accuracy", "Steps"), ("ACT [12]", "71.3 ± 2.1", "8.2(0.4)"),
             ("PonderNet", "97.86(3.78)", "4.2± 0.2")]
    for k, row in enumerate(rows2):
        for j, (x, cell) in enumerate(zip((90, 260, 420), row, strict=True)):
            text(pdf, x, 372 + 14 * k, cell, style="B" if (k, j) == (2, 1) else "")
    y = 440
    for line in PROSE:
        heading = line.startswith("## ")
        text(pdf, 72, y, line.removeprefix("## "), size=12 if heading else 10, style="B" if heading else "")
        y += 20 if heading else 14
    text(pdf, 72, y + 10, "1 Input images are taken from the", style="B")  # a list item, not a heading
    pdf.output(str(path))
    return path


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):
    return analyze(paper(tmp_path_factory.mktemp("ruleless") / "paper.pdf"))


def tables(analysis) -> dict:
    return {t["number"]: t for t in analysis.outline.tables if "rows" in t}


def test_table_without_rules_caption_below(analysis):
    t = tables(analysis)["1"]
    assert t["header"] == ["System", "Test Frame Accuracy", "WER"]
    assert t["rows"][2] == ["Distilled Single model", "60.8%", "10.7%"]
    own = {(r["row"], r["column"], r["value"]) for r in t["results"] if r["own"]}
    assert own == {("Distilled Single model", "Test Frame Accuracy", 60.8), ("Distilled Single model", "WER", 10.7)}


def test_table_without_rules_caption_above_keeps_spreads_and_bold(analysis):
    t = tables(analysis)["2"]
    assert t["rows"] == [["ACT [12]", "71.3 ± 2.1", "8.2(0.4)"], ["PonderNet", "97.86(3.78)", "4.2± 0.2"]]
    got = {(r["row"], r["column"]): (r["value"], r["spread"], r["bold"], r["own"]) for r in t["results"]}
    assert got == {("ACT [12]", "Accuracy"): (71.3, 2.1, False, False),
                   ("ACT [12]", "Steps"): (8.2, 0.4, False, False),
                   ("PonderNet", "Accuracy"): (97.86, 3.78, True, True),
                   ("PonderNet", "Steps"): (4.2, 0.2, False, True)}


def test_garbled_equations_are_flagged_and_none_is_lost(analysis):
    eqs = {e["number"]: e for e in analysis.outline.equations}
    assert eqs["5"]["text"] == "KL(p g , q) + KL(p m, q)"
    assert "out of reading order" in eqs["2"]["flags"] and "big delimiter" in eqs["2"]["flags"]
    assert "- [ ] Equation (5): `KL(p g , q) + KL(p m, q)`" in analysis.checklist
    assert "Equation (2): big delimiter, out of reading order in the text" in analysis.checklist


def test_list_items_are_not_sections(analysis):
    assert [s["text"] for s in analysis.outline.sections] == [
        "Distilling PonderNet: A Generated Paper on Tables", "1 Method", "3 Experimental set-up", "4 Results"]


def test_hyperparameters_are_named_and_come_from_the_set_up(analysis):
    found = {(h["name"], h["value"]) for h in analysis.outline.hyperparameters if h["how"] != "table"}
    assert found == {
        ("loss weight β", "0.01"), ("ε", "0.05"), ("hidden units per layer", "1200"),
        ("learning rate", "0.001"), ("batch size", "128"), ("epochs", "50"),
        ("temperatures", "1, 2, 5, 10"), ("jitter", "±2 pixels"),
        ("specialist models", "61"), ("share of the training data", "3%"), ("relative weight", "0.5"),
    }  # not "layers = 1200", nor "steps = 3" or "v = 0" from the results


def test_an_equation_of_sums_in_running_text_keeps_its_number():
    from paper2code.analysis.equations import text_equations

    lines = ["The loss adds the two divergences,", "KL(p g , q) + KL(p m, q) (5)",
             "where q is the prior, as in (4) above."]
    assert [(e["number"], e["text"]) for e in text_equations(lines)] == [("5", "KL(p g , q) + KL(p m, q)")]


def test_a_sentence_that_starts_with_table_n_is_no_caption():
    from paper2code.analysis.layout import CAPTION

    captions = ["Table 1: Frame accuracy.", "Table 2. Error rates (%)", "Table 3 Results on NQ", "Table A.1"]
    sentences = ["Table 3 shows that all three options are better", "Table 4 compares the models."]
    assert [bool(CAPTION.match(t)) for t in captions + sentences] == [True] * 4 + [False] * 2
