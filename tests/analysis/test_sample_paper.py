"""The sample paper: the gold list of what it contains, found from its PDF and its source."""

from __future__ import annotations

import re

import pytest

from paper2code.analysis import analyze, sample_paper
from paper2code.analysis.sample.build_pdf import build

# What a reader must find in the sample paper (src/paper2code/analysis/sample/paper.tex).
GOLD = {
    "sections": ["Abstract", "Introduction", "Method", "Architecture", "Experiments", "Conclusion"],
    "algorithms": [1],
    "definitions": [("definition", "1"), ("lemma", "1")],
    "equations": ["1", "2", "3", "4", "5", "6"],
    "architecture": [
        "encoder", "multi-head attention", "self-attention", "attention heads", "embedding",
        "positional encoding", "layer normalisation", "feed-forward network", "residual connection",
    ],
    # (pattern the name must match, value): names vary with what the PDF kept of subscripts.
    "hyperparameters": [
        (r"^N$|layers", 6), (r"^h$|heads", 8), (r"d|model", 512), (r"d|ff", 2048),
        (r"β", 0.9), (r"β", 0.98), (r"ε", 1e-9), (r"learning rate", 3e-4), (r"warmup", 4000),
        (r"batch size", 256), (r"drop", 0.1), (r"weight decay", 0.01), (r"steps", 1e5),
        (r"γ", 0.95), (r"λ", 1e-4), (r"^Layers$", 6), (r"^Heads$", 8),
        (r"^Label smoothing$", 0.1), (r"^Gradient clipping$", 1.0),
    ],
}


def found_and_missed(outline) -> tuple[int, list[str]]:
    missed = []
    sections = " | ".join(s["text"] for s in outline.sections)
    missed += [f"section {s}" for s in GOLD["sections"] if s not in sections]
    numbers = {a["number"] for a in outline.algorithms}
    missed += [f"algorithm {n}" for n in GOLD["algorithms"] if n not in numbers]
    defs = {(d["kind"], d["number"]) for d in outline.definitions}
    missed += [f"{k} {n}" for k, n in GOLD["definitions"] if (k, n) not in defs]
    eqs = {e["number"] for e in outline.equations}
    missed += [f"equation ({n})" for n in GOLD["equations"] if n not in eqs]
    comps = {c["text"] for c in outline.architecture}
    missed += [f"component {c}" for c in GOLD["architecture"] if c not in comps]
    for pattern, value in GOLD["hyperparameters"]:
        if not any(
            re.search(pattern, h["name"]) and h["numeric"] is not None
            and abs(h["numeric"] - value) <= 1e-9 * max(1.0, abs(value))
            for h in outline.hyperparameters
        ):
            missed.append(f"hyperparameter {pattern} = {value}")
    total = sum(len(v) for v in GOLD.values())
    return total - len(missed), missed


def test_recall_from_the_latex_source_is_complete():
    found, missed = found_and_missed(analyze(sample_paper("tex")).outline)
    assert missed == [], f"missed from the source: {missed}"


def test_recall_from_the_pdf_is_at_least_95_percent():
    found, missed = found_and_missed(analyze(sample_paper("pdf")).outline)
    total = sum(len(v) for v in GOLD.values())
    assert found / total >= 0.95, f"recall {found}/{total}; missed: {missed}"


def test_algorithm_steps_and_equations_used():
    outline = analyze(sample_paper("pdf")).outline
    (algo,) = outline.algorithms
    assert "Decayed Memory Attention" in algo["title"]
    assert len(algo["steps"]) >= 8
    checklist = analyze(sample_paper("pdf")).checklist
    assert "Algorithm 1: Decayed Memory Attention, one sequence (Equations 1, 2, 3, 4)" in checklist


def test_locations_name_page_section_and_line():
    outline = analyze(sample_paper("pdf")).outline
    eq1 = next(e for e in outline.equations if e["number"] == "1")
    assert eq1["location"]["page"] == 1
    assert eq1["location"]["section"] == "2 Method"
    lines = analyze(sample_paper("pdf")).conversion.text.split("\n")
    assert "(1)" in lines[eq1["location"]["line"] - 1]


def test_committed_pdf_is_built_from_the_committed_source(tmp_path):
    rebuilt = build(sample_paper("tex"), tmp_path / "paper.pdf")
    assert rebuilt.read_bytes() == sample_paper("pdf").read_bytes(), (
        "paper.pdf is stale: run uv run python src/paper2code/analysis/sample/build_pdf.py"
    )


@pytest.mark.parametrize("kind", ["pdf", "tex"])
def test_checklist_has_every_part(kind):
    text = analyze(sample_paper(kind)).checklist
    for heading in ("## Core algorithms", "## Model components", "## Key equations",
                    "## Hyperparameters (from the paper)", "| Parameter | Value | Where |"):
        assert heading in text
    assert "purpose: ____" in text
