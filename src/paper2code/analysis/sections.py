r"""A paper's section headings, from its Markdown or plain text.

Headings are Markdown headings (``## 3.2 Attention``, which the PDF converter
writes for bold or large numbered and named headings), numbered lines
(``3.2 Attention``) and the usual named ones (``Abstract``, ``References``,
``Appendix A``). What looks like a heading but is not is left out:

* a table's rows and an algorithm's lines (``| 1 | Pos | CB+MD |``,
  ``filters 16 32 64``): lines inside Markdown tables and fenced blocks are
  not read, nor titles with two or more bare numbers;
* list items, footnotes, affiliations, figure labels and reference-list
  entries (``1 Since our corpus …``, ``2 Google Research``, ``6 Dense``,
  ``D Manning. 2018. HotpotQA``): numbered headings must come in order, so
  of all numbered headings the longest increasing run (by number, appendix
  letters after numbers) is kept, and a title with a year, initials
  (``P. Sarath``), two or more commas or ``et al.`` is not a heading.

Differences from a reader: a heading numbered out of order in the paper
itself (a restarted appendix numbering) is dropped with the outliers.
"""

from __future__ import annotations

import re

__all__ = ["MD_HEADING", "text_sections"]

MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_NUMBERED_HEADING = re.compile(
    r"^\s*(?P<num>(?:\d{1,2}|[A-H])(?:\.\d{1,2}){0,3})\.?\s+(?P<title>[A-Z][^\n]{1,90})$"
)
_NAMED_HEADING = re.compile(
    r"^\s*(?:\d+\.?\s+)?(Abstract|Introduction|Related Work|Background|Preliminaries|Methods?|Methodology"
    r"|Model Architecture|Experiments?|Experimental Setup|Results|Discussion|Conclusions?|Limitations"
    r"|References|Bibliography|Acknowledge?ments?|Appendix(?:\s+[A-Z])?(?:[:.]\s.*)?)\s*:?\s*$",
    re.IGNORECASE,
)
_NOT_A_TITLE = re.compile(r"\b(?:19|20)\d\d\b|(?:^|\s)[A-Z]\.\s[A-Z]|\bet al\b")


def _number_key(num: str) -> tuple:
    return tuple(int(p) if p.isdigit() else ord(p) - ord("A") + 100 for p in num.split("."))


def _bad_title(title: str, marked: bool) -> bool:
    """Not a heading's title; ``marked``: set as a heading (bold or large) in the PDF."""
    bare = sum(bool(re.fullmatch(r"[\d+×x#-]+\w?", w)) for w in title.split())
    if bare >= 2 or title.count(",") >= 3 or _NOT_A_TITLE.search(title):
        return True
    return not marked and (
        len(title.split()) > 12
        or title.endswith((".", ",", ";"))
        or re.search(r"[=<>≤≥]|\d\s*$", title) is not None
        or sum(c.isalpha() for c in title) < 0.6 * len(title.replace(" ", ""))
    )


def _in_order(found: list[dict]) -> list[dict]:
    """Drop numbered headings outside the longest increasing run of numbers."""
    numbered = [k for k, s in enumerate(found) if s.get("key")]
    # best[i]: (weight, run) of the heaviest run ending at numbered[i]; a marked
    # heading weighs more than a plain line, so it wins a tie with one.
    best: list[tuple[int, list[int]]] = []
    for i, k in enumerate(numbered):
        weight, run = max((best[j] for j in range(i) if found[numbered[j]]["key"] < found[k]["key"]),
                          key=lambda b: b[0], default=(0, []))
        best.append((weight + (3 if found[k]["marked"] else 2), [*run, k]))
    keep = set(max(best, key=lambda b: b[0], default=(0, []))[1])
    return [{x: v for x, v in s.items() if x not in ("key", "marked")} for k, s in enumerate(found)
            if not s.get("key") or k in keep]


def text_sections(lines: list[str]) -> list[dict]:
    """Headings of ``lines``: text, line (1-based), level."""
    found: list[dict] = []
    fenced = False
    for i, raw in enumerate(lines):
        line = raw.replace("\f", "").strip()
        if line.startswith("```"):
            fenced = not fenced
        if fenced or line.startswith(("|", "```")):
            continue
        m = MD_HEADING.match(line)
        if m:
            line = m.group(2).strip("* ")
        named = _NAMED_HEADING.match(line)
        # "# A Paper" is a title, not appendix A
        numbered = _NUMBERED_HEADING.match(line) if not (m and len(m.group(1)) == 1) else None
        if numbered and not _bad_title(numbered.group("title").strip(), bool(m)):
            title = numbered.group("title").strip()
            level = numbered.group("num").count(".") + 1
            found.append({"text": f"{numbered.group('num')} {title}", "line": i + 1,
                          "level": len(m.group(1)) if m else level,
                          "key": _number_key(numbered.group("num")), "marked": bool(m)})
        elif named:
            found.append({"text": line.rstrip(":"), "line": i + 1, "level": len(m.group(1)) if m else 1})
        elif m and not numbered and not _bad_title(line, True):
            found.append({"text": line, "line": i + 1, "level": len(m.group(1))})
    return _in_order(found)
