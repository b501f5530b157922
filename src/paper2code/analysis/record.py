r"""Record ``paper2code analyze`` on a real paper, for the handbook to show.

The Phase 1 page shows the checklist of Vaswani et al., *Attention Is All You
Need* (https://arxiv.org/abs/1706.03762). The PDF is the authors' and is not
part of the project, so the site cannot convert it at build time: this module
runs the analysis once and writes ``docs/data/attention_analysis.json``; the
test suite re-runs it wherever the PDF is at hand and compares.

    uv run python -m paper2code.analysis.record ../shared/papers/1706.03762.pdf

It also defines the glued-word rate, the measure of lost spaces used by the
tests and the benchmark.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from paper2code.analysis import Analysis, analyze

__all__ = ["RECORD", "glued_per_mille", "record"]

RECORD = Path(__file__).resolve().parents[3] / "docs" / "data" / "attention_analysis.json"


# --8<-- [start:glued]
def glued_per_mille(text: str) -> float:
    """Share of 16+-letter "words" (runs of letters) in ``text``, per mille.

    Words that lost the spaces between them read as one long run of letters
    (``Thedominantsequencetransductionmodels``); English prose has very few
    words of 16 letters or more.

    Examples:
        >>> text = "The dominant models" + " ok" * 996 + " Thedominantmodels"
        >>> glued_per_mille(text)
        1.0
    """
    words = re.findall(r"[^\W\d_]+", text)
    return 1000 * sum(len(w) >= 16 for w in words) / max(1, len(words))
# --8<-- [end:glued]


def record(paper: Path, result: Analysis | None = None) -> dict:
    """What the page shows of the analysis of ``paper`` (``result``, if done)."""
    result = result or analyze(paper)
    o = result.outline
    return {
        "paper": paper.name,
        "title": o.title,
        "authors": o.authors,
        "pages": result.conversion.pages,
        "glued_per_mille": round(glued_per_mille(result.conversion.text), 2),
        "equations": [e["number"] for e in o.equations],
        "tables": {t["number"]: ("set-up" if t["setup"] else "results")
                   for t in o.tables if "rows" in t},
        "checklist": result.checklist,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m paper2code.analysis.record PATH/1706.03762.pdf", file=sys.stderr)
        return 2
    RECORD.write_text(json.dumps(record(Path(argv[1])), indent=1, ensure_ascii=False) + "\n")
    print(f"recorded to {RECORD}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
