"""What ``paper2code analyze`` finds in the ZeRO paper, recorded for the case study page.

The PDF (arXiv:1910.02054) is the authors' and is not part of the project, so
the page shows a recording, ``docs/data/zero_analysis.json``; the integration
tests re-run the analysis wherever the PDF is at hand and compare. After a
change to `paper2code.analysis`, re-record with

    uv run python -m paper2code.case_studies.zero_analysis ../shared/papers/1910.02054.pdf
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

__all__ = ["PDF", "RECORD", "record_analysis"]

RECORD = Path(__file__).resolve().parents[3] / "docs" / "data" / "zero_analysis.json"
PDF = Path(__file__).resolve().parents[3].parent / "shared" / "papers" / "1910.02054.pdf"
SYMBOLS = ("Ψ", "Nd", "K")  # the quantities of the memory model


def record_analysis(pdf: Path) -> dict:
    """The parts of the analysis of ``pdf`` the page discusses."""
    from paper2code.analysis import analyze
    from paper2code.analysis.rubric import rubric_from_outline

    result = analyze(pdf)
    o = result.outline
    text = result.conversion.text
    rubric = rubric_from_outline(o, "1910.02054", text)

    def leaves(node: dict) -> list[dict]:
        kids = node.get("children")
        return [leaf for kid in kids for leaf in leaves(kid)] if kids is not None else [node]

    table_1 = next((t for t in o.tables if str(t["number"]) == "1"), {})
    # the memory formulas are inline and unnumbered: are they in the text at all?
    formulas = sorted({m.group(0) for m in re.finditer(r"\d*Ψ \+ \d*[KΨ]+Ψ?", text)})
    return {
        "title": o.title,
        "pages": result.conversion.pages,
        "equations": len(o.equations),
        "algorithms": len(o.algorithms),
        "tables": {t["number"]: len(t.get("rows", [])) for t in o.tables},
        "stage sections": [s["text"] for s in o.sections if re.match(r"\d[\d.]* P", s["text"])],
        "symbols": [f"{h['name']} = {h['value']}" for h in o.hyperparameters
                    if h["name"] in SYMBOLS],
        "formulas in the text": formulas,
        "rubric": {group["id"]: len(leaves(group)) for group in rubric["items"]},
        "table 1 cells": len(table_1.get("results") or []),
        "table 1 own": sum(bool(r.get("own")) for r in table_1.get("results") or []),
        "claims": [leaf["text"] for group in rubric["items"] if group["id"].startswith("method-")
                   for leaf in leaves(group)][:3],
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not Path(argv[1]).is_file():
        print("usage: python -m paper2code.case_studies.zero_analysis PATH/1910.02054.pdf",
              file=sys.stderr)
        return 2
    data = record_analysis(Path(argv[1]))
    RECORD.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"recorded to {RECORD}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
