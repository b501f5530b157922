r"""A PDF converter for markitdown that reads papers as a person does.

Stock markitdown reads a PDF through pdfminer: on real arXiv papers the words
run together (``Thedominantsequencetransductionmodels``), two columns are
interleaved, running headers become the first line, and tables lose their
rows. `PaperPdfConverter` is registered with ``MarkItDown.register_converter``
ahead of the stock converter, and builds the Markdown from pypdfium2's
characters and their boxes (pypdfium2 arrives with ``markitdown[pdf]``):

1. characters are grouped into *segments* by `paper2code.analysis.chars`, runs on one baseline with no wide
   gap; a space is put where the gap between two glyphs is one;
2. page furniture is dropped: rotated text (the arXiv stamp), lines repeated
   at the top or bottom of pages (running headers, footers), page numbers and
   the line numbers of review copies;
3. columns, rows and ruled boxes are laid out by `paper2code.analysis.layout`:
   a page with an empty vertical strip near its middle is two columns; a block
   framed by horizontal rules is a Markdown table with its header row or, when
   it is an ``Algorithm N``, a fenced block with one line per step;
4. numbered and named section headings (bold or larger than body text)
   become Markdown headings, the largest text on page 1 the title; display
   equations stand on their own lines, with their numbers; words hyphenated
   across lines are joined;
5. tables without rules are found next to their ``Table N`` caption by
   `paper2code.analysis.ruleless`; each table is written under a comment
   naming its caption (``<!-- Table 3 -->``), which may stand pages away;
6. bold cells of a table keep their bold (``**97.86**``);
7. each page's text is checked against a second reading and for garbling
   (`paper2code.analysis.textcheck`): a page whose plain text is the better
   reading is written from it, and every such finding stands in the Markdown
   as ``<!-- text-check: p. N: … -->``, which the checklist repeats.

Differences from a person: sub- and superscripts are flattened onto the line
(``d_model`` reads ``dmodel``).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, BinaryIO

from paper2code.analysis.chars import LOST, page_segments
from paper2code.analysis.furniture import drop_furniture
from paper2code.analysis.layout import Seg, boxes, gutter, order
from paper2code.analysis.ruleless import ruleless_tables
from paper2code.analysis.textcheck import check_page

__all__ = ["LOST", "PaperPdfConverter", "paper_markitdown", "pdf_to_markdown"]


def _rules(page: Any) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """Horizontal rules (y, x0, x1) and vertical rules (x, y0, y1), y from the top."""
    import pypdfium2.raw as pdfium_c

    height, across, down = page.get_height(), [], []
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_PATH,), max_depth=1):
        left, bottom, right, top = obj.get_bounds()
        if top - bottom < 3.0 and right - left > 30:
            across.append((height - (top + bottom) / 2, left, right))
        elif right - left < 3.0 and top - bottom > 6:
            down.append(((left + right) / 2, height - top, height - bottom))
        if len(across) + len(down) > 600:  # a plot, not a page of tables
            break
    return sorted(across), sorted(down)


# --- Markdown ---------------------------------------------------------------------------

_NUMBERED = re.compile(r"^((?:\d{1,2}|[A-H])(?:\.\d{1,2}){0,3})\.?\s+([A-Z][^=]{1,90})$")
_NAMED = re.compile(
    r"^(Abstract|References|Bibliography|Acknowledge?ments?|Appendix(\s+[A-Z])?\b.*"
    r"|Appendices|Supplementary Material.*)$", re.I)
_MATH = re.compile(r"[=<>≤≥≈∝←→∈∑∏√∫±∇⊗⊙×·]|\(\d{1,3}\)$")


def _heading(line: Seg, body: float) -> str | None:
    text = line.text.strip()
    strong = line.bold or line.size > body + 0.6
    if not strong or len(text.split()) > 14 or text.endswith((".", ",", ";", ":")):
        return None
    if m := _NUMBERED.match(text):
        if sum(c.isalpha() for c in m.group(2)) < 0.6 * len(m.group(2).replace(" ", "")):
            return None
        level = 2 + m.group(1).count(".")
        return f"{'#' * level} {m.group(1)} {m.group(2)}"
    if _NAMED.match(text) and len(text) < 60:
        return f"## {text}"
    return None


def _table_md(rows: list[list[str]]) -> list[str]:
    def row(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") or " " for c in cells) + " |"

    return [row(rows[0]), "|" + "---|" * len(rows[0]), *(row(r) for r in rows[1:])]


def _title_lines(lines: list[Seg], height: float, body: float) -> set[int]:
    """Indices of the lines of page 1 set in the largest type in its top half."""
    top = [(i, s) for i, s in enumerate(lines) if s.top < 0.5 * height and
           sum(c.isalpha() for c in s.text) >= 3]
    if not top:
        return set()
    biggest = max(s.size for _, s in top)
    if biggest < body + 1.5:
        return set()
    chosen = [i for i, s in top if s.size >= biggest - 0.5]
    run = [chosen[0]]
    for i in chosen[1:]:
        if i == run[-1] + 1:
            run.append(i)
    # A subtitle set in large bold type right under the title belongs to it.
    while run[-1] + 1 < len(lines) and lines[run[-1] + 1].bold and \
            lines[run[-1] + 1].size >= max(body + 1.5, 0.75 * biggest) and \
            not _NUMBERED.match(lines[run[-1] + 1].text):  # "1 Introduction" is no subtitle
        run.append(run[-1] + 1)
    return set(run)


def pdf_to_markdown(source: Any) -> str:
    """The Markdown of a PDF (a path, bytes or a binary stream)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(source)
    try:
        pages, heights, widths, rules = [], [], [], []
        notes: dict[int, list[str]] = {}  # page index -> what its text check says
        plain: dict[int, str] = {}  # page index -> its plain text, where that is the better reading
        for number, page in enumerate(doc, start=1):
            said: list[str] = []
            read: list[str] = []
            pages.append(page_segments(page, number, said, read))
            text = page.get_textpage().get_text_range()
            verdict, note = check_page("\n".join(read), text, number)
            if verdict == "plain":
                plain[number - 1] = text
            notes[number - 1] = said + ([note] if note else [])
            heights.append(page.get_height())
            widths.append(page.get_width())
            rules.append(_rules(page))
    finally:
        doc.close()
    pages = drop_furniture(pages, heights)
    sizes: Counter = Counter()
    for segs in pages:
        for s in segs:
            sizes[round(s.size)] += len(s.text)
    body = sizes.most_common(1)[0][0] if sizes else 10.0
    out: list[str] = []
    prev: Seg | None = None
    for p, segs in enumerate(pages):
        out += [f"<!-- text-check: {note} -->" for note in notes[p]]
        if p in plain:
            out += ["", *(line.strip() for line in plain[p].splitlines()), "",
                    "", f"<!-- page {p + 2} -->", ""]
            prev = None
            continue
        segs = boxes(segs, rules[p])
        segs = ruleless_tables(segs, widths[p], gutter([s for s in segs if s.kind == "text"], widths[p]))
        column_gap = gutter([s for s in segs if s.kind == "text"], widths[p])
        blocks = order(segs, column_gap)
        title = _title_lines([s for b in blocks for s in b], heights[p], body) if p == 0 else set()
        n = 0
        for block in blocks:
            left = min(s.x0 for s in block)
            right = max(s.x1 for s in block)
            for line in block:
                if line.kind == "table":
                    mark = [f"<!-- {line.text} -->"] if line.text else []  # the caption it belongs to
                    out += ["", *mark, *_table_md(line.rows), ""]
                    prev = None
                elif line.kind == "algorithm":
                    out += ["", "```text", *line.rows, "```", ""]
                    prev = None
                elif n in title:
                    if len(out) > 1 and out[-2].startswith("# ") and not out[-1]:
                        out[-2] += " " + line.text
                    else:
                        out += [f"# {line.text}", ""]
                    prev = None
                elif heading := _heading(line, body):
                    out += ["", heading, ""]
                    prev = None
                else:
                    display = line.x0 > left + 2 * line.h and line.x1 < right - 1.5 * line.h \
                        and bool(_MATH.search(line.text))
                    if prev is not None and (display or prev.kind == "display"):
                        out.append("")
                    elif prev is not None and prev.page == line.page and \
                            line.bottom - prev.bottom > 1.4 * max(line.h, prev.h) and \
                            not (line.top < prev.top):
                        out.append("")
                    elif prev is not None and (line.top < prev.top or prev.page != line.page):
                        # a new column or page: the paragraph goes on if the sentence does
                        if re.search(r"[.:!?]$", prev.text) or line.text[:1].isupper():
                            out.append("")
                    out.append(line.text)
                    prev = line
                    if display:
                        prev = Seg(line.x0, line.x1, line.top, line.bottom, line.text,
                                   page=line.page, kind="display")
                n += 1
        out += ["", f"<!-- page {p + 2} -->", ""]  # where the next page starts
    text = "\n".join(out[:-3]).strip("\n") + "\n"
    return re.sub(r"\n{3,}", "\n\n", text)


class PaperPdfConverter:
    """A markitdown converter for PDFs, registered ahead of the stock one."""

    def accepts(self, file_stream: BinaryIO, stream_info: Any, **kwargs: Any) -> bool:
        ext = (stream_info.extension or "").lower()
        mime = (stream_info.mimetype or "").lower()
        return ext == ".pdf" or mime.startswith(("application/pdf", "application/x-pdf"))

    def convert(self, file_stream: BinaryIO, stream_info: Any, **kwargs: Any) -> Any:
        from markitdown import DocumentConverterResult

        return DocumentConverterResult(markdown=pdf_to_markdown(file_stream.read()))


def paper_markitdown() -> Any:
    """A ``MarkItDown`` whose PDF path is `PaperPdfConverter`."""
    from markitdown import MarkItDown

    md = MarkItDown(enable_plugins=False)
    md.register_converter(PaperPdfConverter(), priority=-1.0)  # tried before the stock 0.0
    return md
