r"""Extract a paper's outline: what an implementer must find before coding.

From the cleaned text of a paper (Markdown from markitdown, or LaTeX source)
`extract_outline` finds, each with its location (page, section, line):

* **sections** (Markdown headings, numbered headings such as ``3.2 Attention``,
  ``\section{…}``);
* **algorithms**: ``Algorithm N`` blocks with title and steps
  (``\begin{algorithm}`` in LaTeX);
* **definitions** and **theorems, lemmas, propositions, corollaries**;
* **numbered equations**: the number and the text of the equation's line(s);
* **architecture**: the components the paper names, with where they appear;
* **hyperparameters** (see `paper2code.analysis.hyperparameters`);
* the **tables** and **figures** the text refers to; a table whose cells were
  read has ``caption``, ``header``, ``rows``, ``setup`` (a set-up table) and
  ``results``: one ``{"row", "column", "text", "value", "spread", "bold",
  "own"}`` per numeric cell, where ``own`` is true for the paper's own method
  and false for baselines (see `paper2code.analysis.results`).

The rules are the ones a careful reader applies with ``grep``, made robust
to what PDF extraction does to text: lost spaces (``d =512``), equation
numbers on their own line, headings without Markdown markup.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from paper2code.analysis.components import architecture as _architecture
from paper2code.analysis.equations import text_equations
from paper2code.analysis.hyperparameters import find_hyperparameters
from paper2code.analysis.latex import (
    THEOREM_KINDS,
    detex,
    tex_algorithms,
    tex_definitions,
    tex_equations,
    tex_prose,
    tex_sections,
)
from paper2code.analysis.results import own_names, table_results
from paper2code.analysis.sections import MD_HEADING as _MD_HEADING
from paper2code.analysis.sections import text_sections
from paper2code.analysis.tables import METRIC, find_tables, table_hyperparameters

__all__ = ["Outline", "extract_outline"]

KEYS = ("algorithms", "definitions", "equations", "architecture", "hyperparameters", "sections")


@dataclass
class Outline:
    """The structured outline of a paper; every item has ``text`` and ``location``."""

    title: str = ""
    algorithms: list[dict] = field(default_factory=list)
    definitions: list[dict] = field(default_factory=list)
    equations: list[dict] = field(default_factory=list)
    architecture: list[dict] = field(default_factory=list)
    hyperparameters: list[dict] = field(default_factory=list)
    sections: list[dict] = field(default_factory=list)
    tables: list[dict] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    text_checks: list[str] = field(default_factory=list)  # the PDF reader's per-page findings

    def to_dict(self) -> dict:
        return asdict(self)


_PAGE_MARK = re.compile(r"^<!-- page (\d+) -->$")
_TEXT_CHECK = re.compile(r"^<!-- text-check: (.*) -->$")  # see paper2code.analysis.textcheck


class _Locator:
    """Page, section and line of each line of the text."""

    def __init__(self, lines: list[str], sections: list[dict], paged: bool):
        self.page, page = [], 1
        for line in lines:
            if m := _PAGE_MARK.match(line):  # the PDF converter's page marks
                page = int(m.group(1))
            self.page.append(page)
            page += line.count("\f")  # pdfminer's form feeds
        self.has_pages = paged or page > 1
        self.sections = sorted((s["line"], s["text"]) for s in sections)

    def __call__(self, line: int) -> dict:
        section = None
        for start, title in self.sections:
            if start > line:
                break
            section = title
        return {
            "page": self.page[line - 1] if self.has_pages else None,
            "section": section,
            "line": line,
        }


def _flatten_row(line: str) -> str:
    """``| a | b |`` -> ``a b``; a separator row -> ``""``; other lines unchanged."""
    if not line.lstrip().startswith("|"):
        return line
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if all(re.fullmatch(r":?-{2,}:?", c) or not c for c in cells):
        return ""
    return " ".join(c for c in cells if c)


# --- algorithms ----------------------------------------------------------------------

_ALGO_HEAD = re.compile(r"^\s*\**\s*Algorithm\s+(\d+)\s*\**\s*[:.]?\s*(.*)$")
_STEP = re.compile(
    r"^\s*(?:\d+\s*[:.)]|Require|Ensure|Input|Output|Initiali[sz]e|for\b|while\b|repeat\b|until\b"
    r"|end\b|return\b|if\b|else\b|do\b)|←|:=",
    re.IGNORECASE,
)
_CAPTION = re.compile(r"^\s*(Figure|Fig\.|Table|Algorithm)\s+\d+", re.IGNORECASE)


def _text_algorithms(lines: list[str], section_lines: set[int]) -> list[dict]:
    found, seen = [], set()
    for i, raw in enumerate(lines):
        m = _ALGO_HEAD.match(raw.replace("\f", ""))
        if not m or m.group(1) in seen:
            continue
        title = m.group(2).strip().strip("*").strip()
        if title and (len(title) > 120 or title[0].islower()):
            continue  # "Algorithm 1 shows that …": a reference, not the block
        fenced = i > 0 and lines[i - 1].strip().startswith("```")
        window = [line for line in lines[i + 1 : i + 16] if line.strip()]
        if not fenced and sum(bool(_STEP.search(line)) for line in window) < 2:
            continue
        steps, blank = [], 0
        for j in range(i + 1, min(i + (120 if fenced else 40), len(lines))):
            line = lines[j].replace("\f", "").strip()
            if line.startswith("```"):
                break
            if (j + 1 in section_lines and not fenced) or (_CAPTION.match(line) and not line.startswith("Algorithm " + m.group(1))):
                break
            if not line:
                blank += 1
                if blank >= 2 and steps:
                    break
                continue
            blank = 0
            if not title:
                title = line
                continue
            steps.append(line)
        seen.add(m.group(1))
        found.append({"number": int(m.group(1)), "title": title, "steps": steps, "line": i + 1})
    return found


# --- definitions and results ---------------------------------------------------------

_DEF_HEAD = re.compile(rf"^\s*\**\s*({THEOREM_KINDS})\s+(\d+(?:\.\d+)*)\s*\**\s*(\([^)]*\))?\s*([.:]|$)(.*)$")


def _text_definitions(lines: list[str]) -> list[dict]:
    found, seen = [], set()
    for i, raw in enumerate(lines):
        m = _DEF_HEAD.match(raw.replace("\f", ""))
        if not m or (m.group(1), m.group(2)) in seen:
            continue
        seen.add((m.group(1), m.group(2)))
        body = [raw.strip()]
        for line in lines[i + 1 : i + 8]:
            if not line.strip() or _DEF_HEAD.match(line):
                break
            body.append(line.strip())
        found.append({
            "kind": m.group(1).lower(), "number": m.group(2),
            "title": (m.group(3) or "").strip("() "), "text": " ".join(body), "line": i + 1,
        })
    return found


# --- architecture, tables, figures --------------------------------------------------

def _references(lines: list[str], pattern: str, locate) -> list[dict]:
    counts: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        if line.startswith("<!--"):
            continue  # the PDF converter's marks ("<!-- Table 3 -->") are no mentions
        for m in re.finditer(pattern, line):
            counts.setdefault(m.group(2), []).append(i + 1)
    label = "Table" if "Table" in pattern else "Figure"
    return [
        {"text": f"{label} {num}", "number": num, "mentions": len(hits), "location": locate(hits[0])}
        for num, hits in counts.items()
    ]


def _title(lines: list[str], kind: str) -> str:
    if kind == "tex":
        m = re.search(r"\\title\{(.+?)\}", "\n".join(lines), re.DOTALL)
        return detex(m.group(1)) if m else ""
    for line in lines[:40]:
        if m := _MD_HEADING.match(line.strip()):
            return m.group(2).strip("* ")
    first = [_flatten_row(line).strip() for line in lines[:10] if _flatten_row(line).strip()]
    if not first:
        return ""
    title = first[0]
    # A PDF title wrapped onto a second short line: "… A Sample Paper for" / "Implementers".
    dangling = title.split()[-1].lower() in {"for", "of", "and", "the", "to", "in", "with", "a", "an", "on", "via", "from"}
    if len(first) > 1 and dangling:
        title += " " + first[1]
    return title[:160]


_AFFILIATION = re.compile(
    r"universit|institut|google|research|lab|inc\b|corp|college|school|department|dept|@|\.com"
    r"|\.edu|center|centre|academy|ltd|ai\b|meta|deepmind|microsoft|openai|nvidia|equal",
    re.IGNORECASE,
)


def _authors(lines: list[str]) -> list[str]:
    """Names between the ``# Title`` heading and the first section heading."""
    start = next((i for i, line in enumerate(lines[:40]) if line.startswith("# ")), None)
    if start is None:
        return []
    names: list[str] = []
    for line in lines[start + 1 : start + 40]:
        if line.startswith("#"):
            break
        for piece in re.split(r",|;|\band\b|\s{2,}|\s(?=[A-Z][a-zł]+\s[A-Z])(?<=[∗*†‡\d]\s)", line):
            name = re.sub(r"[∗*†‡§¶\d]+", " ", piece).strip(" .")
            name = " ".join(name.split())
            if (re.fullmatch(r"[A-ZÀ-ÖŁ][\w.'’-]+(?:\s[A-ZÀ-ÖŁ][\w.'’-]*){1,3}", name)
                    and not _AFFILIATION.search(name) and name not in names):
                names.append(name)
    return names[:40]


def _outside_references(lines: list[str]) -> list[str]:
    """The lines, with those of the reference list blanked.

    A reference list has no tables: a Markdown table inside it (an appendix
    table whose heading was not found, a recipe table set just before the
    appendix heading), its ``<!-- Table N -->`` mark and its ``Table N:``
    caption are kept.
    """
    out, inside, caption = [], False, False
    for line in lines:
        if m := _MD_HEADING.match(line.strip()):
            inside = bool(re.match(r"(\d+\.?\s+)?(references|bibliography)\b", m.group(2), re.I))
        stripped = line.strip()
        caption = bool(re.match(r"\**Table\s+[A-Z]?\.?\d+\s*\**\s*[:.]", stripped)) or caption and bool(stripped)
        keep = not inside or caption or stripped.startswith(("|", "<!-- Table"))
        out.append(line if keep else "")
    return out


def _tables(lines: list[str], references: list[dict], locate, title: str) -> tuple[list[dict], list[dict]]:
    """Tables (referenced and read) and the hyperparameters of set-up tables."""
    read = find_tables(lines)
    names = own_names(title, lines)
    for t in read:
        t["results"] = table_results(t, names, METRIC if t["setup"] else None)
        t["header"] = [c.replace("**", "") for c in t["header"]]  # bold is in the results
        t["rows"] = [[c.replace("**", "") for c in row] for row in t["rows"]]
    params = [p for t in read for p in table_hyperparameters(t)]
    by_number = {t["number"]: t for t in read if t["number"]}
    tables = []
    for ref in references:
        t = by_number.pop(ref["number"], None)
        extra = {k: t[k] for k in ("caption", "header", "rows", "setup", "results")} if t else {}
        tables.append({**ref, **extra})
    for t in read:
        if t["number"] in by_number or t["number"] is None:
            tables.append({
                "text": f"Table {t['number']}" if t["number"] else "Table (no number)",
                "number": t["number"], "mentions": 0, "location": locate(t["line"]),
                **{k: t[k] for k in ("caption", "header", "rows", "setup", "results")},
            })
    return tables, params


# --8<-- [start:extract_outline]
def extract_outline(text: str, kind: str = "markdown") -> Outline:
    """Find the outline of a paper in its cleaned text.

    Args:
        text: The paper as cleaned Markdown/plain text, or LaTeX source.
        kind: ``"tex"`` for LaTeX source, ``"pdf"`` for a PDF's text (locations
            then carry page numbers); anything else is read as text.

    Returns:
        An `Outline`; each item has ``text`` and ``location``
        (``{"page", "section", "line"}``).
    """
    lines = text.split("\n")
    if kind == "tex":
        sections = tex_sections(lines)
        algorithms, definitions = tex_algorithms(lines), tex_definitions(lines)
        equations = tex_equations(lines)
        prose = tex_prose(lines)
    else:
        # markitdown sets some PDF passages as Markdown table rows: read their cells as text.
        flat = [_flatten_row(line) for line in lines]
        sections = text_sections(lines)
        algorithms = _text_algorithms(flat, {s["line"] for s in sections})
        definitions, equations = _text_definitions(flat), text_equations(lines)
        prose = _outside_references([line.replace("\f", "") for line in lines])
    locate = _Locator(lines, sections, paged=kind == "pdf")
    references = _references(prose, r"\b(Table|Tab\.)\s+(\d+|[A-H]\.\d+)", locate)
    if kind == "tex":
        tables, from_tables = references, []
        params = find_hyperparameters(prose, latex=lines, section_of=lambda n: locate(n)["section"])
    else:
        tables, from_tables = _tables(prose, references, locate, _title(lines, kind))
        params = find_hyperparameters(prose, markdown_tables=False,
                                      section_of=lambda n: locate(n)["section"]) + from_tables
        params.sort(key=lambda h: h["line"])

    def located(items: list[dict], text_of) -> list[dict]:
        return [{**item, "text": text_of(item), "location": locate(item.pop("line"))} for item in items]

    return Outline(
        title=_title(lines, kind),
        sections=located(sections, lambda s: s["text"]),
        algorithms=located(algorithms, lambda a: f"Algorithm {a['number']}: {a['title']}".rstrip(": ")),
        definitions=located(definitions, lambda d: d["text"]),
        equations=located(equations, lambda e: e["text"]),
        hyperparameters=located(params, lambda h: h["text"]),
        architecture=_architecture(prose, locate),
        tables=tables,
        figures=_references(prose, r"\b(Figure|Fig\.)\s+(\d+|[A-H]\.\d+)", locate),
        authors=_authors(lines) if kind != "tex" else [],
        text_checks=[m.group(1) for line in lines if (m := _TEXT_CHECK.match(line))],
    )
# --8<-- [end:extract_outline]
