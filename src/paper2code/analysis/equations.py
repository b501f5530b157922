r"""Numbered equations in a paper's text, each with the reasons its text cannot be trusted.

A PDF keeps an equation's glyphs but not its structure: a fraction's
numerator lands on the line above, a sum's limits become lone letters, big
brackets become ``!`` or vanish, sub- and superscripts are flattened out of
reading order. `text_equations` finds each numbered equation (the number
``(N)`` at the end of its line, or alone under it) and `distrust` says, for
its text, what an implementer must check in the PDF:

* ``symbols lost``: a glyph with no character (``\ufffd``) or empty brackets;
* ``sum, product or integral``: ``∑ ∏ ∫``, or the lone ``P X Q Y R Z`` that
  TeX's big-operator font gives in place of them; their limits are lost;
* ``big delimiter``: ``!``, ``"``, ``#``, ``$`` standing alone, or brackets
  that do not balance;
* ``out of reading order``: two lone letters side by side with no operator
  between them (``T j e zj/T``: a sum's index, a fraction's bar, a
  subscript set apart; ``e -wa``, ``v 0``: an exponent or index flattened), a number repeated (``step_num -0.5 -0.5``: a
  superscript doubled), or an equation that starts or ends with an operator
  (its other side is on another line);
* ``square root``: ``√`` set apart from its argument;
* ``set over several lines``: a short line of formula just above (a
  fraction's numerator, stacked symbols), kept in ``parts``.

Differences from a reader: a lone capital ``P`` or ``X`` that is a variable
is flagged as a lost sum too (a false alarm, never a missed one).
"""

from __future__ import annotations

import re

__all__ = ["distrust", "text_equations"]

_EQ_NUMBER = re.compile(r"\(\s*(\d{1,3}(?:\.\d{1,2})?|[A-H]\.?\d{1,2})\s*\)$")
_MATHY = re.compile(
    r"[=<>≤≥≈∝←→∈∑∏√∫±∇⊗⊙·×∂]|\\(frac|sum|sqrt|cdot|times|left|right)"
    r"|\w\([^()]*,[^()]*\)\s*[+−-]"  # KL(p, q) + …: a function of two arguments in a sum
)
_NOT_EQ_BEFORE = re.compile(
    r"(Eqs?\.|Equations?|eq\.|Section|Sec\.|Table|Figure|Fig\.|Algorithm|Appendix|Step|and|or|in|of|see|by|from)\s*$",
    re.IGNORECASE,
)


def _fragment(line: str) -> bool:
    """A short piece of a formula on a line of its own (no words of prose)."""
    text = line.replace("\f", "").strip()
    return 0 < len(text) <= 24 and not re.search(r"[a-z]{4,}", text) and not text.startswith(("#", "<"))


def _display_math(lines: list[str], k: int) -> bool:
    """A line set apart (blank lines around) whose neighbours in its display are maths."""
    if not (k > 0 and k + 1 < len(lines) and not lines[k - 1].strip() and not lines[k + 1].strip()):
        return False
    near = [lines[j] for j in (k - 2, k + 2) if 0 <= j < len(lines)]
    return any(_MATHY.search(line) and len(line) < 90 for line in near)


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += (ch in "([{") - (ch in ")]}")
        if depth < 0:
            return False
    return depth == 0


def distrust(text: str, parts: list[str] | None = None) -> list[str]:
    """Why the extracted text of an equation cannot be trusted; ``[]`` if it reads whole.

    Examples:
        >>> distrust("FFN(x) = max(0, xW1 + b1)W2 + b2")
        []
        >>> distrust("∂zi = T (qi - pi) = T j e zj/T - j e vj /T !")
        ['big delimiter', 'out of reading order']
    """
    reasons = []
    if "\ufffd" in text or re.search(r"\(\s*\)|\[\s*\]", text):
        reasons.append("symbols lost")
    if re.search(r"[∑∏∫∮⨁⨂]|(?:^|\s)[PXQYRZ](?=\s+[^\s=])", text):
        reasons.append("sum, product or integral")
    if re.search(r"(?:^|\s)[!\"#$](?:\s|$)", text) or not _balanced(text):
        reasons.append("big delimiter")
    if re.search(r"(?<!\S)[^\W\d_]\s+(?:[^\W\d_]|\d|-[^\W\d_]+)(?!\S)", text) or re.search(r"(?<!\S)(\S*\d\S*)\s+\1(?!\S)", text) \
            or re.match(r"\s*[=+·×/]", text) or re.search(r"[=+\-−·×/]\s*[.,]?\s*$", text):
        reasons.append("out of reading order")
    if re.search(r"√\s", text):
        reasons.append("square root")
    if parts:
        reasons.append("set over several lines")
    return reasons


def text_equations(lines: list[str]) -> list[dict]:
    """Numbered equations: number, text, parts (lines above), flags, line (1-based)."""
    found, seen = [], set()
    for i, raw in enumerate(lines):
        line = re.sub(r"[|\s]+$", "", raw.replace("\f", ""))
        m = _EQ_NUMBER.search(line)
        if not m or m.group(1) in seen:
            continue
        before = line[: m.start()].rstrip(" |")
        if _NOT_EQ_BEFORE.search(before) or re.search(r"\[\d+\]\s*$", before):
            continue
        start = i
        if len(before.strip(" |")) < 3:  # the number alone on its line: the equation is above
            k = i - 1
            while k >= 0 and not lines[k].strip():
                k -= 1
            if k < 0:
                continue
            before, start = lines[k].strip(), k
        if not _MATHY.search(before) and not _display_math(lines, start):
            continue
        seen.add(m.group(1))
        # A fraction's numerator or a stacked symbol: a short line set just above.
        parts = [lines[k].strip() for k in (start - 1,) if k >= 0 and _fragment(lines[k])]
        text = " ".join(before.replace("|", " ").split())
        found.append({"number": m.group(1), "text": text, "parts": parts,
                      "flags": distrust(text, parts), "line": start + 1})
    return found
