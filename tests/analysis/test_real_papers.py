"""Real arXiv papers: gold lists written by reading each PDF, recall and glued words.

The PDFs live in ``../shared/papers/`` beside the project (never in it: they are
the authors' work). Where that folder is absent, these tests skip and say why.
Run with ``-s`` to see the recall per paper and the glued-word rates.
"""

from __future__ import annotations

import json
import re

import pytest

from paper2code.analysis.record import RECORD, glued_per_mille, record
from tests.analysis.conftest import PAPERS

pytestmark = pytest.mark.skipif(
    not PAPERS.is_dir(), reason=f"the real papers are not here ({PAPERS} is absent)"
)

# Read from the PDFs: title, numbered equations, algorithms, and the values of
# the main architecture / training table as (table, row label or None,
# column-name pattern or None, value).
GOLD = {
    "1706.03762": {
        "title": "Attention Is All You Need",
        "equations": ["1", "2", "3"],
        "algorithms": [],
        "table": [
            ("3", "base", r"^N$", 6), ("3", "base", r"model", 512), ("3", "base", r"ff", 2048),
            ("3", "base", r"^h$", 8), ("3", "base", r"^dk$", 64), ("3", "base", r"^dv$", 64),
            ("3", "base", r"drop", 0.1), ("3", "base", r"ls", 0.1), ("3", "base", r"steps", 1e5),
            ("3", "base", r"params", 65),
            ("3", "big", r"^N$", 6), ("3", "big", r"model", 1024), ("3", "big", r"ff", 4096),
            ("3", "big", r"^h$", 16), ("3", "big", r"drop", 0.3), ("3", "big", r"steps", 3e5),
            ("3", "big", r"params", 213),
        ],
    },
    "1512.03385": {
        "title": "Deep Residual Learning for Image Recognition",
        "equations": ["1", "2"],
        "algorithms": [],
        "table": [("1", "FLOPs", r"18-layer", 1.8e9), ("1", "FLOPs", r"34-layer", 3.6e9),
                  ("1", "FLOPs", r"50-layer", 3.8e9), ("1", "FLOPs", r"101-layer", 7.6e9),
                  ("1", "FLOPs", r"152-layer", 11.3e9)],
    },
    "2205.14135": {
        "title": "FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness",
        "equations": ["1", "2", "3", "4", "5", "6"],
        "algorithms": [0, 1, 2, 3, 4, 5],
        "table": [],
    },
    "1910.02054": {
        "title": "ZeRO: Memory Optimizations Toward Training Trillion Parameter Models",
        "equations": [],
        "algorithms": [],
        "table": [("4", "1.5B", r"Layers", 48), ("4", "1.5B", r"^HD$", 1600),
                  ("4", "8B", r"Layers", 72), ("4", "8B", r"^HD$", 3072),
                  ("4", "40B-60B", r"^HD$", 4096), ("4", "80B-170B", r"^HD$", 8192),
                  ("4", "140B-170B", r"^HD$", 8192)],
    },
    "2305.13048": {
        "title": "RWKV: Reinventing RNNs for the Transformer Era",
        "equations": [str(n) for n in range(1, 38)],
        "algorithms": [],
        "table": [
            ("2", row, col, value)
            for row, layers, dim in [("169 M", 12, 768), ("430 M", 24, 1024), ("1.5 B", 24, 2048),
                                     ("3 B", 32, 2560), ("7 B", 32, 4096), ("14 B", 40, 5120)]
            for col, value in ((r"Layers", layers), (r"Model Dimension", dim))
        ],
    },
    "2203.14465": {
        "title": "STaR: Self-Taught Reasoner Bootstrapping Reasoning With Reasoning",
        "equations": [],
        "algorithms": [1, 2],
        "table": [],
    },
    "1911.08265": {
        "title": "Mastering Atari, Go, Chess and Shogi by Planning with a Learned Model",
        "equations": ["1", "2", "3", "4", "5", "6"],
        "algorithms": [],
        "table": [],
    },
    "2204.10628": {
        "title": "Autoregressive Search Engines: Generating Substrings as Document Identifiers",
        "equations": ["1", "2", "3", "4"],
        "algorithms": [],
        "table": [],
    },
}


@pytest.fixture(scope="session")
def analyses(real_analyses):
    """Each real paper analysed once per test session."""
    return real_analyses


def _cell_read(outline, number: str, row: str | None, column: str | None, value: float) -> bool:
    """A cell of a derived quantity (parameter count, FLOPs): read in the table, not a setting.

    `paper2code.analysis.tables.DERIVED` keeps such cells out of the hyperparameters.
    """
    from paper2code.analysis.tables import DERIVED
    from paper2code.analysis.values import parse_value

    if not (DERIVED.search(column or "") or DERIVED.search(row or "")):
        return False
    for t in outline.tables:
        if str(t.get("number")) != number or not t.get("rows"):
            continue
        for cells in t["rows"]:
            if row is not None and row not in cells:
                continue
            for k, cell in enumerate(cells):
                head = t["header"][k] if k < len(t["header"]) else ""
                v = parse_value(cell.replace("×10", "×10^").replace("^^", "^")) if cell else None
                if (column is None or re.search(column, head, re.I)) and v is not None and \
                        abs(v - value) <= 1e-6 * abs(value):
                    return True
    return False


def score(outline, gold) -> tuple[int, int, list[str]]:
    """(found, total, missed) of the gold items in an outline."""
    missed = []
    if " ".join(outline.title.split()) != gold["title"]:
        missed.append(f"title {outline.title!r}")
    numbers = {e["number"] for e in outline.equations}
    missed += [f"equation ({n})" for n in gold["equations"] if n not in numbers]
    algos = {a["number"] for a in outline.algorithms if a["steps"]}
    missed += [f"algorithm {n}" for n in gold["algorithms"] if n not in algos]
    for table, row, column, value in gold["table"]:
        if not any(
            h.get("table") == table and (row is None or h.get("row") == row)
            and (column is None or re.search(column, h.get("column") or "", re.I))
            and h["numeric"] is not None and abs(h["numeric"] - value) <= 1e-6 * abs(value)
            for h in outline.hyperparameters
        ) and not _cell_read(outline, table, row, column, value):
            missed.append(f"Table {table} {row} {column} = {value}")
    total = 1 + len(gold["equations"]) + len(gold["algorithms"]) + len(gold["table"])
    return total - len(missed), total, missed


def test_recall_per_paper_and_overall(analyses, capsys):
    found = total = 0
    report, worst = [], 1.0
    for name, gold in GOLD.items():
        f, t, missed = score(analyses[name].outline, gold)
        found, total, worst = found + f, total + t, min(worst, f / t)
        report.append(f"{name}: recall {f}/{t} = {f / t:.0%}; missed {missed}")
    report.append(f"overall: {found}/{total} = {found / total:.1%}")
    with capsys.disabled():
        print("\n" + "\n".join(report))
    assert found / total >= 0.95 and worst >= 0.95, "\n".join(report)


def test_glued_words_under_2_per_mille(analyses, capsys):
    rates = {name: glued_per_mille(a.conversion.text) for name, a in analyses.items()}
    with capsys.disabled():
        print("\n" + ", ".join(f"{n}: {r:.2f}‰" for n, r in rates.items()))
    assert max(rates.values()) <= 2.0, rates


def test_attention_checklist_puts_what_to_set_first(analyses):
    checklist = analyses["1706.03762"].checklist
    lines = checklist.splitlines()
    for eq in ("Equation (1)", "Equation (2)", "Equation (3)"):
        assert any(line.startswith(f"- [ ] {eq}") for line in lines), eq
    start = lines.index("## Hyperparameters (from the paper)")
    top = "\n".join(lines[start : start + 45])
    for needle in ("| β1 | 0.9 |", "| β2 | 0.98 |", "10^-9", "| warmup_steps | 4000 |",
                   "Table 3, row base, column dmodel", "Table 3, row big, column dmodel"):
        assert needle in top, needle


def test_results_tables_and_references_give_no_hyperparameters(analyses):
    outline = analyses["1706.03762"].outline
    tables = {h.get("table") for h in outline.hyperparameters}
    assert tables <= {None, "3"}  # Tables 1, 2 and 4 are results
    assert not any((h["column"] or "").startswith(("PPL", "BLEU")) for h in outline.hyperparameters)
    refs = [s["location"]["line"] for s in outline.sections if s["text"] == "References"]
    assert refs and not any(
        h["how"] != "table" and h["location"]["section"] == "References" for h in outline.hyperparameters
    )


def test_the_recording_on_the_phase_1_page_matches_a_fresh_run(analyses):
    paper = PAPERS / "1706.03762.pdf"
    fresh = record(paper, analyses["1706.03762"])
    recorded = json.loads(RECORD.read_text())
    assert fresh == recorded, "re-record: uv run python -m paper2code.analysis.record " + str(paper)


def _rubric_nodes(items):
    for node in items:
        yield node
        yield from _rubric_nodes(node.get("children", []))


def test_the_rubric_tree_of_every_paper(analyses):
    """Groups by contribution in order, positive weights, no made-up tolerance, and it loads."""
    from paper2code.analysis.rubric import rubric_from_outline
    from paper2code.scoring.rubric import parse_rubric

    order = {"data": 0, "setup": 1, "method": 2, "experiments": 3, "results": 4}
    for name, result in analyses.items():
        tree = rubric_from_outline(result.outline, name, result.conversion.text)
        ranks = [order[g["id"].split("-")[0]] for g in tree["items"]]
        assert ranks == sorted(ranks) and {1, 2} <= set(ranks), (name, [g["id"] for g in tree["items"]])
        for node in _rubric_nodes(tree["items"]):
            assert isinstance(node["weight"], int | float) and node["weight"] > 0, (name, node["id"])
            assert "tolerance" not in node, (name, node["id"])
        assert parse_rubric(tree).arxiv == name


# Read from the PDFs: numbers each paper reports for its own method (Table, value),
# and numbers of its baselines in the same tables, which must not be result leaves.
OWN_RESULTS = {
    "1512.03385": {"own": [("2", 27.88), ("2", 25.03), ("5", 3.57)],  # ResNet-18/34 top-1; ResNet ensemble top-5 (Table 5)
                   "baselines": [("2", 27.94), ("2", 28.54), ("5", 7.32), ("5", 6.66), ("5", 4.82)]},
    "1706.03762": {"own": [("2", 27.3), ("2", 38.1), ("2", 28.4), ("2", 41.8)],  # base/big BLEU EN-DE, EN-FR
                   "baselines": [("2", 23.75), ("2", 24.6), ("2", 25.16), ("2", 26.36)]},
}


@pytest.mark.parametrize("name", OWN_RESULTS)
def test_result_leaves_are_the_papers_own_numbers_not_the_baselines(analyses, name):
    from paper2code.analysis.rubric import rubric_from_outline

    tree = rubric_from_outline(analyses[name].outline, name, analyses[name].conversion.text)
    results = {(leaf["id"].split("-")[1], leaf["value"]) for leaf in _rubric_nodes(tree["items"])
               if leaf.get("kind") == "result"}
    assert set(OWN_RESULTS[name]["own"]) <= results
    assert not set(OWN_RESULTS[name]["baselines"]) & results
    runs = [leaf["id"] for leaf in _rubric_nodes(tree["items"]) if leaf.get("kind") == "execution"]
    assert "exec-table-2" in runs
