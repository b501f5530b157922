"""Benchmark: how long paper analysis takes, and what extraction adds to conversion.

    uv run python tests/benchmarks/bench_analysis.py

For the sample paper and a generated 20-page PDF it reports markitdown's
conversion time, our cleaning + extraction + checklist time (and its share of
the conversion), and the wall time of the whole ``paper2code analyze``
command in a fresh process. Targets: extraction adds under 20% to
conversion; a 20-page paper takes under 5 s end to end.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib


def twenty_page_pdf(path: Path) -> Path:
    """A 20-page paper-like PDF: sections, prose with hyperparameters, equations, an algorithm."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", "", str(Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans.ttf"))
    pdf.set_font("dejavu", size=10)
    prose = (
        "The encoder stacks N = 6 layers of multi-head self-attention and a feed-forward network, "
        "each wrapped in a residual connection and layer normalization. We train with a learning "
        "rate of 3 × 10⁻⁴, β1 = 0.9, β2 =0.98, ε =10−9, dropout P_drop = 0.1 and batch size 256 "
        "for 100K steps, as Table 2 and Figure 3 summarise. "
    ) * 3
    eq = 0
    for page in range(20):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"{page + 1} Section {page + 1}", new_x="LMARGIN", new_y="NEXT")
        for _ in range(4):
            pdf.multi_cell(0, 5, prose, new_x="LMARGIN", new_y="NEXT")
            eq += 1
            pdf.multi_cell(0, 6, f"y{eq} = W{eq} x + b{eq}                                  ({eq})", new_x="LMARGIN", new_y="NEXT")
        if page % 5 == 0:
            pdf.multi_cell(0, 5, f"Algorithm {page // 5 + 1} Update\nRequire: x\n1: y ← Wx\n2: return y\n", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    from markitdown import MarkItDown

    from paper2code.analysis import sample_paper
    from paper2code.analysis.checklist import render_checklist
    from paper2code.analysis.convert import clean_text
    from paper2code.analysis.extract import extract_outline

    md = MarkItDown(enable_plugins=False)
    with tempfile.TemporaryDirectory() as tmp:
        papers = {"sample paper (2 pages)": sample_paper("pdf"), "generated (20 pages)": twenty_page_pdf(Path(tmp) / "p20.pdf")}
        print(f"{'paper':<24} {'convert':>9} {'extract':>9} {'share':>7} {'end to end':>11}")
        for name, path in papers.items():
            raw = md.convert(str(path)).text_content
            convert = median_time(lambda path=path: md.convert(str(path)), 5)
            extract = median_time(lambda raw=raw: render_checklist(extract_outline(clean_text(raw), "pdf")), 5)
            out = Path(tmp) / f"out-{path.stem}"
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "paper2code.cli", "analyze", str(path), "-o", str(out), "--force"],
                check=True, capture_output=True,
            )
            total = time.perf_counter() - start
            print(f"{name:<24} {convert:8.3f}s {extract:8.3f}s {extract / convert:6.1%} {total:10.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
