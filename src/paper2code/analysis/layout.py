r"""Lay out a PDF page's text: lines, columns, and ruled tables and algorithm boxes.

Works on *segments* (runs of characters on one baseline, see
`paper2code.analysis.pdf`), all in points from the page's top left:

* rows: segments sharing a baseline, with sub- and superscripts kept on
  their line;
* columns: a page with an empty vertical strip near its middle is two
  columns, read left then right in bands cut by anything spanning both;
* ruled boxes: segments framed by horizontal rules become a table (columns
  where no word crosses a vertical strip, or at vertical rules; header rows
  above the first inner rule) or, under an ``Algorithm N`` caption, a block of
  lines; a cell set in bold in a row that is not all bold reads ``**…**``;
* captions: `name_tables` gives each table the ``Table N`` caption next to
  it (tables without rules are found by `paper2code.analysis.ruleless`).

Differences from a person: two tables set side by side under one caption
read as one table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["CAPTION", "Seg", "boxes", "name_tables", "cells", "columns", "gutter", "lines_of", "more_header", "order", "rows_of"]


@dataclass
class Seg:
    """A run of characters on one baseline; coordinates from the page's top."""

    x0: float
    x1: float
    top: float
    bottom: float
    text: str
    size: float = 0.0  # font size of the first character
    bold: bool = False
    page: int = 0
    kind: str = "text"  # "text", "table" or "algorithm" once laid out
    rows: list = field(default_factory=list)  # a table's rows of cells
    words: list = field(default_factory=list)  # [x0, x1] of each word

    @property
    def h(self) -> float:
        return self.bottom - self.top


# --- columns and lines ---------------------------------------------------------------


def gutter(segs: list[Seg], width: float) -> float | None:
    """The x of an empty vertical strip between two columns, or None."""
    text = [s for s in segs if len(s.text) > 3]
    if len(text) < 6:
        return None
    best, best_x = None, None
    for x in range(int(0.38 * width), int(0.62 * width) + 1, 2):
        crossing = sum(s.x0 < x - 1 < x + 1 < s.x1 for s in text)
        if best is None or crossing < best:
            best, best_x = crossing, float(x)
    assert best is not None and best_x is not None
    left = sum(len(s.text) for s in text if s.x1 <= best_x)
    right = sum(len(s.text) for s in text if s.x0 >= best_x)
    total = sum(len(s.text) for s in text)
    if best <= 0.06 * len(text) and left > 0.2 * total and right > 0.2 * total:
        return best_x
    return None


def rows_of(segs: list[Seg]) -> list[list[Seg]]:
    """Segments grouped into rows that share a baseline, top to bottom."""
    rows: list[list[Seg]] = []
    for s in sorted(segs, key=lambda s: (s.bottom, s.x0)):
        if rows:
            ref = max(rows[-1], key=lambda r: r.h)
            if abs(s.bottom - ref.bottom) < 0.35 * ref.h or (
                s.h < 0.8 * ref.h and ref.top < (s.top + s.bottom) / 2 < ref.bottom
            ):
                rows[-1].append(s)
                continue
        rows.append([s])
    merged: list[list[Seg]] = []
    for k, r in enumerate(rows):
        h = max(s.h for s in r)
        mid = sum((s.top + s.bottom) / 2 for s in r) / len(r)
        nxt = rows[k + 1] if k + 1 < len(rows) else None
        if nxt and h < 0.85 * max(s.h for s in nxt) and \
                min(s.top for s in nxt) - 0.2 * h < mid < max(s.bottom for s in nxt):
            nxt.extend(r)  # a superscript above its line
        elif merged and h < 0.85 * max(s.h for s in merged[-1]) and \
                min(s.top for s in merged[-1]) < mid < max(s.bottom for s in merged[-1]) + 0.2 * h:
            merged[-1].extend(r)  # a subscript below its line
        else:
            merged.append(r)
    return [sorted(r, key=lambda s: s.x0) for r in merged]


def lines_of(segs: list[Seg]) -> list[Seg]:
    """Rows joined into lines; a table or algorithm block stays whole."""
    blocks = [s for s in segs if s.kind != "text"]
    lines = [_join(r) for r in rows_of([s for s in segs if s.kind == "text"])]
    return sorted(lines + blocks, key=lambda s: s.top)


def _join(row: list[Seg]) -> Seg:
    text = " ".join(s.text for s in row)
    main = max(row, key=lambda s: len(s.text))
    return Seg(row[0].x0, max(s.x1 for s in row), min(s.top for s in row),
               max(s.bottom for s in row), text, main.size, main.bold, row[0].page)


def order(segs: list[Seg], gutter: float | None) -> list[list[Seg]]:
    """Blocks of lines in reading order: one block per column part of a band."""
    if gutter is None:
        return [lines_of(segs)]
    blocks: list[list[Seg]] = []
    band: list[Seg] = []

    def flush() -> None:
        left = [s for s in band if (s.x0 + s.x1) / 2 < gutter]
        right = [s for s in band if (s.x0 + s.x1) / 2 >= gutter]
        blocks.extend(lines_of(part) for part in (left, right) if part)
        band.clear()

    for s in sorted(segs, key=lambda s: s.top):
        if s.x0 < gutter - 2 and s.x1 > gutter + 2:
            flush()
            blocks.append([s])
        else:
            band.append(s)
    flush()
    return blocks


# --- tables and algorithm boxes --------------------------------------------------------

_CAPTION = re.compile(r"^(Table|Algorithm)\s+(\d+|[A-H]\.?\d+)\b")
# A table's caption: "Table 3: …", "Table 3. …", "Table 3 Results …"; not "Table 3 shows …".
CAPTION = re.compile(r"^\s*(?:\*\*)?Table\s+(\d+|[A-H]\.?\d+)(?:\s*[:.|]|\s*$|\s+(?:\*\*)?[A-Z(])")


_NUMBER_WORD = re.compile(r"[-+]?\d[\d.,]*[KMB%]?")


def _spans(rows: list[list[list]], min_gap: float) -> list[tuple[float, float]]:
    """x-intervals of words, split where a strip of ``min_gap`` is (almost) uncovered.

    ``rows`` holds, per table row, its words as ``[x0, x1, text]``.
    """
    words = [w for r in rows for w in r]
    lo, hi = min(w[0] for w in words), max(w[1] for w in words)
    cover = [0] * (int(hi - lo) + 2)
    for r in rows:
        hit: set[int] = set()
        for a, b, _ in r:
            hit.update(range(int(a - lo), int(b - lo) + 1))
        for k in hit:
            cover[k] += 1
    limit = 1 if len(rows) >= 8 else 0  # one cell spanning several columns is allowed
    spans, start, gap = [], None, 0
    for k, c in enumerate(cover + [0] * int(min_gap + 2)):
        if c > limit:
            if start is None:
                start = k
            elif gap >= min_gap:
                spans.append((lo + start, lo + k - gap))
                start = k
            gap = 0
        else:
            gap += 1
    if start is not None:
        spans.append((lo + start, lo + len(cover)))
    return spans


def columns(rows: list[list[Seg]], verticals: list[float]) -> list[tuple[float, float]]:
    """Column spans: x-intervals between vertical rules and strips no word crosses."""
    em = min(s.h for r in rows for s in r)
    words = [[[a, b, t] for s in r for (a, b), t in zip(s.words, s.text.split(" "), strict=False)]
             for r in rows]
    spans = _spans(words, 0.4 * em)
    for x in verticals:  # a ruled grid: every vertical rule separates columns
        for k, (a, b) in enumerate(spans):
            if a + 1 < x < b - 1:
                spans[k : k + 1] = [(a, x), (x, b)]
                break
    return spans


def cells(row: list[Seg], cols: list[tuple[float, float]]) -> list[str]:
    """The row's words put in the columns; a bold cell in a row not all bold is ``**…**``."""
    out, bold = [""] * len(cols), [True] * len(cols)
    for s in row:
        for (a, b), word in zip(s.words, s.text.split(" "), strict=False):
            mid = (a + b) / 2
            k = min(range(len(cols)), key=lambda k: 0 if cols[k][0] <= mid <= cols[k][1]
                    else min(abs(cols[k][0] - mid), abs(cols[k][1] - mid)))
            out[k] = f"{out[k]} {word}".strip()
            bold[k] = bold[k] and s.bold
    if not all(b for b, c in zip(bold, out, strict=True) if c):
        out = [f"**{c}**" if b and c else c for b, c in zip(bold, out, strict=True)]
    return out


def boxes(segs: list[Seg], ruling: tuple[list, list]) -> list[Seg]:
    """Replace the segments framed by horizontal rules with table/algorithm blocks."""
    rules, verticals = ruling
    # Captions separate boxes; an algorithm's caption sits just under its top rule.
    captions = [s.top - (s.h if s.text.startswith("Algorithm") else 0) for s in segs
                if re.match(r"(Table|Figure|Fig\.|Algorithm)\s+\d", s.text)]
    groups: list[list[tuple[float, float, float]]] = []
    for rule in rules:
        for g in groups:
            y, a, b = g[-1]
            if (0 < rule[0] - y < 330 and rule[1] > g[0][1] - 3 and rule[2] < g[0][2] + 3
                    and not any(y < c < rule[0] for c in captions)):
                g.append(rule)
                break
        else:
            groups.append([rule])
    for g in groups:
        if len(g) < 2:
            continue
        top, bottom = g[0][0], g[-1][0]
        x0, x1 = min(r[1] for r in g) - 2, max(r[2] for r in g) + 2
        inside = [s for s in segs if top < (s.top + s.bottom) / 2 < bottom
                  and x0 <= s.x0 and s.x1 <= x1 and s.kind == "text"]
        if not inside:
            continue
        rows = rows_of(inside)
        head = " ".join(s.text for s in rows[0])
        algorithm = re.match(r"Algorithm\s+\d+", head) or _near_caption(segs, top, "Algorithm")
        if algorithm and len(rows) < 2:
            continue  # the caption alone: the box goes on past a rule, read it as text
        if algorithm:
            lines = [_join(r).text for r in rows]
            kind = "algorithm"
            table_rows: list = lines
        else:
            inner = [y for y, _, _ in g[1:-1] if y - top > 4]
            n_head = sum(1 for r in rows if r[0].bottom < inner[0]) if inner else 1
            n_head = max(1, min(n_head, len(rows) - 1))
            while n_head < len(rows) - 1 and more_header(rows[n_head], x0 + 2):
                n_head += 1  # a second header row under a ruled first one
            body = rows[n_head:]
            if not body or not any(s.words for r in body for s in r):
                continue
            cols = columns(body, [x for x, a, b in verticals
                                   if x0 < x < x1 and a < bottom and b > top])
            if len(cols) < 2 or len(body) < 1:
                continue
            header = [" ".join(" ".join(parts).split()) for parts in
                      zip(*[cells(r, cols) for r in rows[:n_head]], strict=True)]
            table_rows = [header] + [cells(r, cols) for r in body]
            kind = "table"
        block = Seg(min(s.x0 for s in inside), max(s.x1 for s in inside), top, bottom,
                    "", inside[0].size, False, inside[0].page, kind, table_rows)
        ids = {id(s) for s in inside}
        segs = [s for s in segs if id(s) not in ids] + [block]
    return segs


def more_header(row: list[Seg], left: float) -> bool:
    """A row with an empty first cell and no numbers: it goes on the header above."""
    return row[0].x0 > left + 3 * row[0].h and not any(
        _NUMBER_WORD.fullmatch(w) for s in row for w in s.text.split())


def _near_caption(segs: list[Seg], top: float, word: str) -> bool:
    return any(s.text.startswith(word) and 0 <= top - s.bottom < 30 and _CAPTION.match(s.text)
               for s in segs)


def name_tables(segs: list[Seg]) -> None:
    """Name each table block after its ``Table N`` caption (``block.text``).

    Pairs of a table and a caption that overlap across are taken nearest
    first, each table and caption once, up to 40 pt apart; the side (above or
    below) where more tables of the page have a caption is preferred, by 20 pt.
    """
    tables = [s for s in segs if s.kind == "table" and not s.text]
    captions = [(s, m.group(1)) for s in segs if s.kind == "text" and (m := CAPTION.match(s.text))]
    pairs = []
    for t in tables:
        for c, number in captions:
            if c.x1 >= t.x0 and c.x0 <= t.x1:
                d = t.top - c.bottom if c.bottom <= t.top + 2 else c.top - t.bottom
                if -2 <= d < 40:
                    pairs.append((d, c.bottom <= t.top + 2, id(t), id(c), t, number))
    above = len({p[2] for p in pairs if p[1]}) >= len({p[2] for p in pairs if not p[1]})
    used: set[int] = set()
    for _, _, tid, cid, t, number in sorted(pairs, key=lambda p: p[0] + (0 if p[1] == above else 20)):
        if tid not in used and cid not in used:
            used |= {tid, cid}
            t.text = f"Table {number}"
