r"""Tables without rules: whitespace-aligned columns next to a ``Table N`` caption.

Many papers set their tables without a single rule (the columns aligned by
whitespace alone, the caption above or below). `ruleless_tables` finds them
from the page's segments (see `paper2code.analysis.layout`): from each
``Table N`` caption that no ruled table has claimed, it walks the rows of
its column away from the caption, up and down, keeping rows that look
tabular and stopping at prose, a wide gap or another caption:

* a *tabular* row holds two or more segments (cells apart by more than a
  space), or one short segment (a group label, a wrapped cell);
* *prose* is a row with a segment across most of the column, or of more than
  eight words; a caption's own continuation lines are skipped first;
* the side with more tabular rows wins; two rows of two or more cells at
  least, and two columns, make a table.

Columns are then cut where no word of the body crosses a vertical strip
(`paper2code.analysis.layout`), the first row is the header (with a second
row that goes on it), and the cells keep their marks: ``4.2 ± 0.2``,
``97.86(3.78)``, bold as ``**…**``.

Ruled tables are named after their captions first
(`paper2code.analysis.layout.name_tables`); a caption one of them took is
not looked at again.

Differences from a reader: a table whose rows are more than two and a half
lines apart, or that sits beside another table under one caption, is read
only in part or as one table.
"""

from __future__ import annotations

import re

from paper2code.analysis.layout import (
    CAPTION,
    Seg,
    cells,
    columns,
    more_header,
    name_tables,
    rows_of,
)

__all__ = ["ruleless_tables"]

_OTHER_CAPTION = re.compile(r"^\s*(Table|Figure|Fig\.|Algorithm)\s+\d")


def _top(row: list[Seg]) -> float:
    return min(s.top for s in row)


def _bottom(row: list[Seg]) -> float:
    return max(s.bottom for s in row)


def _prose(row: list[Seg], width: float) -> bool:
    return any(s.x1 - s.x0 > 0.6 * width or len(s.text.split()) > 8 for s in row)


def _walk(rows: list[list[Seg]], edge: float, up: bool, width: float) -> list[list[Seg]]:
    taken: list[list[Seg]] = []
    for row in rows:
        h = max(s.h for s in row)
        gap = edge - _bottom(row) if up else _top(row) - edge
        if gap > 2.5 * h or _prose(row, width) or any(_OTHER_CAPTION.match(s.text) for s in row):
            break
        taken.append(row)
        edge = _top(row) if up else _bottom(row)
    while taken and len(taken[-1]) < 2:  # a stray line at the far end: not the table's
        taken.pop()
    return taken


def _skip_caption(rows: list[list[Seg]], caption: Seg, width: float) -> tuple[list[list[Seg]], float]:
    """The rows under a caption, less the caption's own continuation lines; and their top edge."""
    edge, k = caption.bottom, 0
    while k < len(rows) and len(rows[k]) == 1 and _top(rows[k]) - edge < 0.8 * caption.h \
            and rows[k][0].x1 - rows[k][0].x0 > 0.4 * width:
        edge, k = _bottom(rows[k]), k + 1
    return rows[k:], edge


def _table(rows: list[list[Seg]], number: str) -> Seg | None:
    n_head = 1
    while n_head < len(rows) - 1 and more_header(rows[n_head], min(s.x0 for r in rows for s in r)):
        n_head += 1
    body = rows[n_head:]
    if sum(len(r) >= 2 for r in body) < 2:
        return None
    cols = columns(body, [])
    if len(cols) < 2:
        return None
    header = [" ".join(" ".join(parts).split()) for parts in
              zip(*[cells(r, cols) for r in rows[:n_head]], strict=True)]
    segs = [s for r in rows for s in r]
    return Seg(min(s.x0 for s in segs), max(s.x1 for s in segs), _top(rows[0]), _bottom(rows[-1]),
               f"Table {number}", segs[0].size, False, segs[0].page, "table",
               [header] + [cells(r, cols) for r in body])


def ruleless_tables(segs: list[Seg], width: float, gutter: float | None) -> list[Seg]:
    """Replace the segments of each table without rules with a table block."""
    name_tables(segs)
    claimed = {s.text for s in segs if s.kind == "table"}
    for caption in [s for s in segs if s.kind == "text" and CAPTION.match(s.text)]:
        number = CAPTION.match(caption.text).group(1)  # type: ignore[union-attr]
        if f"Table {number}" in claimed:
            continue
        if gutter is not None and caption.x1 < gutter + 2:
            lo, hi = 0.0, gutter
        elif gutter is not None and caption.x0 > gutter - 2:
            lo, hi = gutter, width
        else:
            lo, hi = 0.0, width
        pool = [s for s in segs if s.kind == "text" and s is not caption and lo <= (s.x0 + s.x1) / 2 <= hi
                and not (abs(s.bottom - caption.bottom) < 0.5 * caption.h)]
        if not pool:
            continue
        rows = rows_of(pool)
        span = (max(s.x1 for s in pool) - min(s.x0 for s in pool)) or 1.0
        above = [r for r in rows if _bottom(r) <= caption.top + 1][::-1]
        below, edge = _skip_caption([r for r in rows if _top(r) >= caption.bottom - 1], caption, span)
        up = _walk(above, caption.top, True, span)
        down = _walk(below, edge, False, span)
        side = max((sorted(up, key=_top), down), key=lambda rs: sum(len(r) >= 2 for r in rs))
        block = _table(side, number) if side else None
        if block is None:
            continue
        ids = {id(s) for r in side for s in r}
        segs = [s for s in segs if id(s) not in ids] + [block]
        claimed.add(block.text)
    return segs
