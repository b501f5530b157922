"""Benchmark: stock markitdown against the whole ``paper2code analyze``, per paper.

    uv run python tests/benchmarks/bench_analysis.py [FOLDER]

For every PDF in FOLDER (default ``../shared/papers`` beside the project, or
``$PAPER2CODE_PAPERS``) and for an 83-page PDF made by joining their pages, it
reports in one run, both in this process after a warm-up (imports done):

* ``markitdown``: stock markitdown converting the PDF;
* ``analyze``: the whole analysis, what ``paper2code analyze PDF -o OUT``
  does after start-up: conversion (markitdown with our PDF converter),
  outline, checklist, writing the files.

and, for the 83-page PDF, the wall time of the command in a fresh process
(``command``), whose extra is Python start-up and markitdown's own imports
(pandas, magika). Targets: analyze takes at most half of markitdown's time on
every paper, and under 10 s for 83 pages. Exit status 1 if a target is missed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def join_pages(papers: list[Path], pages: int, path: Path) -> Path:
    """A PDF of the first ``pages`` pages of ``papers``, one after another."""
    import pypdfium2 as pdfium

    out = pdfium.PdfDocument.new()
    for paper in papers:
        src = pdfium.PdfDocument(str(paper))
        take = min(len(src), pages - len(out))
        out.import_pages(src, list(range(take)))
        src.close()
        if len(out) >= pages:
            break
    out.save(str(path))
    return path


def analyze_seconds(paper: Path, outdir: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "paper2code.cli", "analyze", str(paper), "-o", str(outdir), "--force"],
        check=True, capture_output=True,
    )
    return time.perf_counter() - start


def analyze_in_process(paper: Path, outdir: Path) -> float:
    from paper2code.analysis import analyze, check_output_dir, write_outputs

    start = time.perf_counter()
    check_output_dir(outdir, force=True)
    write_outputs(analyze(paper), outdir)
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    from markitdown import MarkItDown

    default = Path(os.environ.get("PAPER2CODE_PAPERS", ROOT.parent / "shared" / "papers"))
    folder = Path(argv[1]) if len(argv) > 1 else default
    papers = sorted(folder.glob("*.pdf"))
    if not papers:
        print(f"no PDFs in {folder}", file=sys.stderr)
        return 2
    stock = MarkItDown(enable_plugins=False)
    stock.convert(str(papers[0]))  # warm-up: imports and first-call costs
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        analyze_in_process(papers[0], Path(tmp) / "warm-up")
        long = join_pages(papers, 83, Path(tmp) / "joined-83-pages.pdf")
        print(f"{'paper':<24} {'pages':>5} {'markitdown':>11} {'analyze':>9} {'ratio':>6}")
        for paper in [*papers, long]:
            import pypdfium2 as pdfium

            pages = len(pdfium.PdfDocument(str(paper)))
            start = time.perf_counter()
            stock.convert(str(paper))
            markitdown = time.perf_counter() - start
            ours = analyze_in_process(paper, Path(tmp) / f"out-{paper.stem}")
            ratio = ours / markitdown
            miss = ratio > 0.5 or (pages >= 83 and ours >= 10)
            ok = ok and not miss
            flag = "  MISSED" if miss else ""
            print(f"{paper.stem:<24} {pages:>5} {markitdown:>10.2f}s {ours:>8.2f}s {ratio:>6.2f}{flag}")
        command = analyze_seconds(long, Path(tmp) / "out-command")
        ok = ok and command < 10
        print(f"{long.stem}: the command in a fresh process took {command:.2f}s")
    print("targets: analyze <= 0.5 x markitdown on every paper; < 10 s for 83 pages:",
          "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
