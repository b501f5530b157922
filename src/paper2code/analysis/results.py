r"""The numbers a paper reports in its tables, and which of them are its own.

`table_results` turns each numeric cell of a results table into a result:

* ``value`` and ``spread`` as written: ``4.2 ± 0.2``, ``4.2± 0.2``,
  ``97.86(3.78)`` and ``71.3 (±2.1)`` give a spread, a plain ``28.4`` or
  ``61.1%`` none; marks around a cell (``**bold**``, ``*``, ``†``) are not
  part of its value;
* ``bold``: the cell was set in bold (the paper's best, usually);
* ``own``: the row (or the column) is the paper's own method, not a baseline.

A row is the paper's own when its label says so (``ours``, ``our …``,
``proposed``, ``this work``) or names the method: a name the paper gives
itself, found by `own_names` in its title (``PonderNet: Learning to
Ponder`` gives ``PonderNet``; ``FlashAttention``, any coined CamelCase or
capitals word in the title) and its opening pages (``we present the MuZero
algorithm``, ``we propose the Transformer``, ``which we call SEAL``,
``(SEAL)`` after ``we introduce``), or the stem of a title's leading verb
(``Distilling the Knowledge …`` gives ``Distill``, so ``Distilled single
model`` is the paper's own). Rows of cited work (``BERT [12]``, ``DPR
(Maillard et al., 2021)``) are never the paper's own.

Each table of the outline carries its results as ``results``: a list of
``{"row", "column", "text", "value", "spread", "bold", "own"}``, one per numeric
cell (for a set-up table, only its metric columns).

Differences from a reader: a method the paper names only in prose elsewhere,
or renames in its tables, is taken for a baseline.
"""

from __future__ import annotations

import re

__all__ = ["cell_value", "own_names", "table_results"]

_NUM = r"[-+−]?\d+(?:,\d{3})*(?:\.\d+)?"
_MARKS = re.compile(r"\*+|[†‡§¶∗⋆]|\^\w")
_SPREAD = re.compile(
    rf"^(?P<v>{_NUM})\s*%?\s*(?:(?:±|\+/-|\+-)\s*(?P<s1>{_NUM})|\(\s*±?\s*(?P<s2>{_NUM})\s*\))\s*%?$")
_PLAIN = re.compile(rf"^(?P<v>{_NUM})\s*%?$")


def _number(text: str) -> float:
    return float(text.replace(",", "").replace("−", "-"))


def cell_value(text: str) -> dict | None:
    """``{"value", "spread", "bold"}`` of a table cell, or None when it is not a number.

    Examples:
        >>> cell_value("4.2± 0.2"), cell_value("**97.86(3.78)**")["bold"], cell_value("n/a")
        ({'value': 4.2, 'spread': 0.2, 'bold': False}, True, None)
    """
    bold = text.strip().startswith("**") and text.strip().endswith("**")
    clean = " ".join(_MARKS.sub("", text).split())
    if m := _SPREAD.match(clean):
        return {"value": _number(m.group("v")), "spread": _number(m.group("s1") or m.group("s2")),
                "bold": bold}
    if m := _PLAIN.match(clean):
        return {"value": _number(m.group("v")), "spread": None, "bold": bold}
    return None


_INTRO = re.compile(
    r"\b(?:we|this paper|this work)\s+(?:\w+\s+){0,2}?(?:propose[sd]?|introduce[sd]?|present(?:s|ed)?|call|name|term|dub)"
    r"\b[^.]{0,160}", re.IGNORECASE)
_COINED = re.compile(r"\b[A-Z][a-z]*[A-Z][\w-]*|\b[A-Z]{3,}\w*")
_AFTER_VERB = re.compile(
    r"(?:(?P<naming>call|called|name[sd]?|term(?:ed)?|dub(?:bed)?)|propose[sd]?|introduce[sd]?|present(?:s|ed)?)"
    r"\s+(?:it\s+)?(?P<the>the\s+)?(?:a\s+|an\s+)?[“\"]?(?P<name>[A-Z][\w-]+)")


def own_names(title: str, lines: list[str]) -> list[str]:
    """The names the paper gives its own method (see the module's docstring)."""
    names = []
    head = title.split(":")[0].strip()
    if ":" in title and len(head.split()) <= 2:
        names.append(head)
    names += _COINED.findall(title)
    first = title.split()[0] if title.split() else ""
    if first.endswith("ing") and len(first) > 6:
        names.append(first[:-3])
    text = " ".join(line.strip() for line in lines[:400] if not line.startswith(("|", "#", "<")))
    text = re.sub(r"(\w)- (\w)", r"\1\2", text)
    for m in _INTRO.finditer(text):
        sentence = m.group(0)
        names += [v["name"] for v in _AFTER_VERB.finditer(sentence)
                  if v["naming"] or v["the"] or _COINED.fullmatch(v["name"])]
        names += re.findall(r"\(([A-Z][A-Za-z0-9-]{1,15})\)", sentence)
    seen: list[str] = []
    for n in names:
        n = n.strip("“”\"'-")
        if len(n) >= 3 and n not in seen and n.lower() not in {"the", "and", "for", "deep", "learning"}:
            seen.append(n)
    return seen


def _own(label: str, names: list[str]) -> bool:
    if re.search(r"\[\d+(?:,\s*\d+)*\]|et al\.|\(\w+,? \d{4}\)", label):
        return False  # a cited method
    if re.search(r"\b(?:ours|our|proposed|this work)\b", label, re.IGNORECASE):
        return True
    return any(re.search(rf"(?<![\w-]){re.escape(n)}", label, 0 if n[1:].lower() != n[1:] else re.IGNORECASE)
               for n in names)


def table_results(table: dict, names: list[str], metric: re.Pattern | None = None) -> list[dict]:
    """The numeric cells of ``table`` as results (see the module's docstring).

    ``metric`` (for a set-up table): only columns whose header matches are results.
    """
    header = table.get("header") or []
    own_cols = {j for j, h in enumerate(header) if j and _own(h, names)}
    found = []
    for row in table.get("rows") or []:
        label = next((c for c in row if c and cell_value(c) is None), "")
        own_row = _own(label, names)
        for j, cell in enumerate(row):
            column = header[j] if j < len(header) else ""
            if cell == label or (metric is not None and not metric.search(column)):
                continue
            if (v := cell_value(cell)) is None:
                continue
            found.append({"row": label.replace("**", ""), "column": column,
                          "text": cell.replace("**", "").strip(), **v,
                          "own": own_row or j in own_cols})
    return found
