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
(pandas, magika). Each time is given as wall-clock seconds and as CPU seconds
of the process: on a shared machine the wall clock also counts the other
jobs, so the targets are judged on CPU time. Targets: analyze takes at most
half of markitdown's time on every paper, and under 10 s for 83 pages.
Exit status 1 if a target is missed.
"""

from __future__ import annotations

import os
import resource
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


def command_seconds(paper: Path, outdir: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of ``paper2code analyze`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "paper2code.cli", "analyze", str(paper), "-o", str(outdir), "--force"],
        check=True, capture_output=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def timed(fn) -> tuple[float, float]:
    """(wall, CPU) seconds of ``fn()`` in this process."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def analyze_in_process(paper: Path, outdir: Path) -> None:
    from paper2code.analysis import analyze, check_output_dir, write_outputs

    check_output_dir(outdir, force=True)
    write_outputs(analyze(paper), outdir)


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
        print(f"{'paper':<18} {'pages':>5} {'markitdown wall/CPU':>20} "
              f"{'analyze wall/CPU':>17} {'CPU ratio':>9}")
        for paper in [*papers, long]:
            import pypdfium2 as pdfium

            pages = len(pdfium.PdfDocument(str(paper)))
            md_wall, md_cpu = timed(lambda paper=paper: stock.convert(str(paper)))
            out = Path(tmp) / f"out-{paper.stem}"
            wall, cpu = timed(lambda paper=paper, out=out: analyze_in_process(paper, out))
            ratio = cpu / md_cpu
            miss = ratio > 0.5 or (pages >= 83 and cpu >= 10)
            ok = ok and not miss
            print(f"{paper.stem:<18} {pages:>5} {md_wall:>9.2f}s /{md_cpu:>6.2f}s "
                  f"{wall:>7.2f}s /{cpu:>6.2f}s {ratio:>9.2f}{'  MISSED' if miss else ''}")
        wall, cpu = command_seconds(long, Path(tmp) / "out-command")
        ok = ok and cpu < 10
        print(f"{long.stem}: the whole command in a fresh process: {wall:.2f}s wall, "
              f"{cpu:.2f}s CPU")
    print("targets: analyze <= 0.5 x markitdown on every paper; < 10 s for 83 pages:",
          "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
