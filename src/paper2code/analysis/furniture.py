"""Page furniture: running headers and footers, page numbers, review line numbers.

Lines in the top or bottom margin that repeat on other pages (digits ignored,
so ``Page 3`` matches ``Page 4``) are running headers and footers; numbers
alone in a margin are page numbers, and short numbers left of the text's left
edge or right of its right edge are the line numbers of a review copy.
"""

from __future__ import annotations

import re
from collections import Counter

from paper2code.analysis.layout import Seg

__all__ = ["drop_furniture"]



def _furniture_key(seg: Seg) -> str:
    return re.sub(r"\d+", "#", seg.text.lower())


def drop_furniture(pages: list[list[Seg]], heights: list[float]) -> list[list[Seg]]:
    """Remove running headers and footers, page numbers and line numbers."""
    def margin(seg: Seg, height: float) -> bool:
        return seg.top < 0.09 * height or seg.bottom > 0.92 * height

    repeated = Counter(
        key for segs, height in zip(pages, heights, strict=True)
        for key in {_furniture_key(s) for s in segs if margin(s, height)}
    )
    enough = 2 if len(pages) > 2 else 99
    out = []
    for segs, height in zip(pages, heights, strict=True):
        long = sorted(s.x0 for s in segs if len(s.text) > 25) or [0.0]
        right = sorted(s.x1 for s in segs if len(s.text) > 25) or [1e9]
        left_edge = long[len(long) // 50]
        right_edge = right[-1 - len(right) // 50]
        keep = []
        for s in segs:
            if margin(s, height) and (
                repeated[_furniture_key(s)] >= enough
                or re.fullmatch(r"(page\s*)?[\divxlc]{1,4}(\s*(of|/)\s*\d+)?", s.text.lower())
            ):
                continue
            if re.fullmatch(r"\d{1,4}", s.text) and (s.x1 < left_edge + 1 or s.x0 > right_edge - 1):
                continue  # a line number in the margin of a review copy
            keep.append(s)
        out.append(keep)
    return out
