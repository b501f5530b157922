"""Checks that a PDF page's text was read right: a second reading, and a garble detector.

`paper2code.analysis.pdf` builds a page's text from its character boxes. Two
independent checks guard each page against coming out silently garbled
(words such as ``C se S udy``, the mark of text and boxes out of step):

* **a second reading**: PDFium's plain text of the page
  (``PdfTextPage.get_text_range``), which does not depend on the boxes; the
  letters of the two readings are compared as multisets (order and spaces
  aside): `agreement`;
* **a garble detector**: the share of a page's words that are fragments,
  one or two letters long and not a short English word: `fragment_share`.
  Prose has few (``x``, ``h`` and ``N`` of the equations); a garbled page
  has many.

`check_page` decides, per page, whether the box reading stands, whether the
plain text is the better reading (and is used instead), or whether both are
suspect (a warning); each decision other than "stands" is a one-line note
that names the page, which the checklist repeats.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

__all__ = ["agreement", "check_page", "fragment_share"]

_SHORT = set("a an as at be by do go he if in is it me my no of on or so to up us we vs et al "
             "i ii iv vi id ok".split())
_WORD = re.compile(r"[^\W\d_]+")

#: Fewer words than this on a page: too few to judge.
MIN_WORDS = 60
#: Letters of the two readings that must agree (a share of the larger multiset).
MIN_AGREEMENT = 0.97
#: How many more fragments (a share of the words) the box reading may have than the plain text.
EXTRA_FRAGMENTS = 0.06
#: A page with this share of fragments in both readings is flagged (a page of symbols reaches 0.45).
GARBLED = 0.5


def fragment_share(text: str) -> float:
    """The share of ``text``'s words that are one- or two-letter fragments (0 for a short text).

    Examples:
        >>> round(fragment_share("C se S udy: O e-Dimensional S ne W ve R gression " * 8), 2)
        0.77
        >>> fragment_share("We train the model on the data set for ten epochs with a batch of 32. " * 8)
        0.0
    """
    words = _WORD.findall(unicodedata.normalize("NFKC", text))
    if len(words) < MIN_WORDS:
        return 0.0
    return sum(len(w) <= 2 and w.lower() not in _SHORT for w in words) / len(words)


def _letters(text: str) -> Counter:
    return Counter(c for c in unicodedata.normalize("NFKC", text) if c.isascii() and c.isalnum())


def agreement(a: str, b: str) -> float:
    """How far the letters and digits of two readings agree, 0 to 1, order and spacing aside.

    Examples:
        >>> agreement("Case Study", "C se S udy")
        0.7777777777777778
        >>> agreement("Case Study", "CaseStudy")
        1.0
    """
    x, y = _letters(a), _letters(b)
    larger = max(sum(x.values()), sum(y.values()))
    return 1.0 if larger == 0 else sum((x & y).values()) / larger


# --8<-- [start:check]
def check_page(boxes: str, plain: str, number: int) -> tuple[str, str | None]:
    """``(verdict, note)`` for page ``number``: ``"boxes"``, ``"plain"`` (use the plain text) or ``"warn"``."""
    ours, theirs = fragment_share(boxes), fragment_share(plain)
    agree = agreement(boxes, plain)
    if len(_WORD.findall(plain)) >= MIN_WORDS and (agree < MIN_AGREEMENT or ours > theirs + EXTRA_FRAGMENTS):
        if theirs < ours or agree < MIN_AGREEMENT and theirs <= GARBLED:
            return "plain", (f"p. {number}: the text read from the character boxes disagrees with the "
                             f"page's plain text ({agree:.0%} of letters agree; {ours:.0%} vs {theirs:.0%} "
                             "of words are fragments): the plain text is used for this page, "
                             "without its tables and layout")
    if ours > GARBLED:
        return "warn", (f"p. {number}: {ours:.0%} of its words are one- or two-letter fragments: "
                        "the page may be garbled, check it in the PDF")
    return "boxes", None
# --8<-- [end:check]
