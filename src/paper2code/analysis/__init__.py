"""Phase 1, paper analysis: a paper in, its Markdown and an implementation checklist out.

One module per concern:

* `paper2code.analysis.convert`: PDF/HTML/.docx/LaTeX to text, and cleaning;
  a PDF's text comes from `paper2code.analysis.pdf`, which reads characters
  with `paper2code.analysis.chars`, checks each page with
  `paper2code.analysis.textcheck`, and lays pages out with
  `paper2code.analysis.layout`, `paper2code.analysis.furniture` and
  `paper2code.analysis.ruleless` (tables without rules);
* `paper2code.analysis.extract`: the structured outline, from
  `paper2code.analysis.sections`, `paper2code.analysis.equations`,
  `paper2code.analysis.components`, `paper2code.analysis.hyperparameters`
  (values parsed by `paper2code.analysis.values`), `paper2code.analysis.tables`,
  `paper2code.analysis.results` (reported numbers, the paper's own told from
  baselines') and `paper2code.analysis.latex`;
* `paper2code.analysis.arxiv`: ``arXiv:ID``, the LaTeX source and PDF fetched and cached;
* `paper2code.analysis.checklist`: the checklist as Markdown;
* `paper2code.analysis.rubric` (with `paper2code.analysis.rubric_nodes`) and
  `paper2code.analysis.claims`: the rubric (``rubric.yaml``), a weighted tree
  by contribution, that the scorecard grades;
* `paper2code.analysis.measure`: recall and precision of the hyperparameters
  against hand-written gold lists.

`analyze` ties them together, and ``paper2code analyze`` is its command.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from paper2code.analysis.checklist import render_checklist
from paper2code.analysis.convert import Conversion, PaperError, convert_paper
from paper2code.analysis.extract import KEYS, Outline, extract_outline
from paper2code.analysis.rubric import rubric_yaml

__all__ = ["Analysis", "PaperError", "analyze", "analyze_arxiv", "outline_json", "sample_paper", "write_outputs"]

OUTPUT_FILES = ("paper.md", "paper.raw.md", "checklist.md", "rubric.yaml")


@dataclass
class Analysis:
    conversion: Conversion
    outline: Outline
    checklist: str
    arxiv: str = ""  # the arXiv id, for a paper fetched from arXiv


def sample_paper(kind: str = "pdf") -> Path:
    """The sample paper shipped with the package: ``"pdf"`` or ``"tex"``."""
    return Path(__file__).parent / "sample" / f"paper.{kind}"


def analyze(paper: str | Path, progress: Callable[[str], None] | None = None) -> Analysis:
    """Convert and analyse a paper; raises `PaperError` on bad input.

    ``progress`` receives a message before a long conversion (see `convert_paper`).
    """
    conversion = convert_paper(paper, progress)
    outline = extract_outline(conversion.text, conversion.kind)
    return Analysis(conversion, outline, render_checklist(outline, Path(paper).name))


def outline_json(outline: Outline) -> str:
    """The outline as JSON, with the keys of the command's ``--json`` output."""
    data = outline.to_dict()
    ordered = {
        "title": data["title"], **{k: data[k] for k in KEYS},
        "tables": data["tables"], "figures": data["figures"], "authors": data["authors"],
    }
    return json.dumps(ordered, indent=2, ensure_ascii=False)


def check_output_dir(outdir: Path, force: bool) -> None:
    """Refuse, before any work, an output folder that cannot take our files."""
    if outdir.exists() and not outdir.is_dir():
        raise PaperError(f"output folder {outdir} is a file")
    parent = outdir
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise PaperError(f"cannot create output folder {outdir}: {parent} is a file")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PaperError(f"output folder {outdir} is not writable")
    existing = [name for name in OUTPUT_FILES if (outdir / name).exists()]
    if existing and not force:
        raise PaperError(f"{outdir / existing[0]} already exists (use --force to overwrite)")


def write_outputs(analysis: Analysis, outdir: Path, raw: bool = False) -> list[Path]:
    """Write paper.md, checklist.md and rubric.yaml (and paper.raw.md if ``raw``), all or none.

    paper.raw.md is what stock markitdown makes of the paper, for comparison;
    for a PDF that is the slow part of the run, hence optional.

    Each file is written to a temporary name and renamed into place once all
    are written, so an error or Ctrl-C leaves no half-written file.
    """
    created_dir = not outdir.exists()
    contents = {
        "paper.md": analysis.conversion.text,
        "checklist.md": analysis.checklist,
        "rubric.yaml": rubric_yaml(analysis.outline, analysis.arxiv, analysis.conversion.text),
    }
    if raw:
        contents["paper.raw.md"] = analysis.conversion.stock()
    temps: list[Path] = []
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        for name, text in contents.items():
            tmp = outdir / f".{name}.{os.getpid()}.tmp"
            temps.append(tmp)
            tmp.write_text(text, encoding="utf-8")
        for tmp, name in zip(temps, contents, strict=True):
            os.replace(tmp, outdir / name)
        temps.clear()
    except BaseException:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        if created_dir and outdir.exists() and not any(outdir.iterdir()):
            outdir.rmdir()
        raise
    return [outdir / name for name in contents]


def analyze_arxiv(ident: str, progress=None):
    """`paper2code.analysis.analyze` for arXiv paper ``ident``: its LaTeX, and its PDF's tables.

    The outline comes from the LaTeX source (equations exactly as written,
    sections, algorithms, hyperparameters). Tables with their cells come from
    the PDF, which the LaTeX path does not read. A paper with no LaTeX source
    on arXiv is analysed from its PDF alone.
    """
    from paper2code.analysis.arxiv import fetch
    from paper2code.analysis.convert import clean_text, read_source

    source, pdf = fetch(ident)
    tex = read_source(source)
    from_pdf = analyze(pdf, progress)
    if tex is None:
        if progress is not None:
            progress(f"arXiv:{ident} has no LaTeX source; analysing its PDF")
        from_pdf.arxiv = ident
        return from_pdf
    conversion = Conversion(kind="tex", raw=tex, text=clean_text(tex), path=source)
    outline = extract_outline(conversion.text, "tex")
    cells = [t for t in from_pdf.outline.tables if t.get("rows")]
    read = {str(t["number"]): t for t in cells if t.get("number")}
    tables = [{**t, **read.pop(str(t.get("number")), {})} for t in outline.tables]
    outline.tables = tables + list(read.values()) + [t for t in cells if not t.get("number")]
    return Analysis(conversion, outline, render_checklist(outline, f"arXiv:{ident}"), arxiv=ident)


def run_analyze(paper: str, outdir: str | None, as_json: bool, force: bool, raw: bool = False) -> int:
    """The ``paper2code analyze`` command; returns the exit code."""
    def progress(msg: str) -> None:  # to stderr only: stdout may be JSON
        print(f"paper2code analyze: {msg}", file=sys.stderr, flush=True)

    try:
        from paper2code.analysis.arxiv import arxiv_id

        ident = arxiv_id(paper)
        stem = ident.replace("/", "_") if ident else Path(paper).stem
        target = Path(outdir) if outdir else (None if as_json else Path(f"{stem}-analysis"))
        if target is not None:
            check_output_dir(target, force)
        result = analyze_arxiv(ident, progress) if ident else analyze(paper, progress)
        if target is not None:
            written = write_outputs(result, target, raw)
    except PaperError as err:
        print(f"paper2code analyze: error: {paper}: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"paper2code analyze: error: {err.filename or paper}: {err.strerror}", file=sys.stderr)
        return 2
    o = result.outline
    summary = (
        f"{len(o.algorithms)} algorithms, {len(o.equations)} numbered equations, "
        f"{len(o.definitions)} definitions, {len(o.hyperparameters)} hyperparameters"
    )
    if as_json:
        print(outline_json(o))
    if target is not None:
        print(f"paper2code analyze: {summary}; wrote {', '.join(str(p) for p in written)}", file=sys.stderr)
    return 0
