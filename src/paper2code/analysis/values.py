r"""Written values: what a paper's ``3 × 10-4``, ``100K`` or ``1e-3`` stands for.

`VALUE` is the pattern of a value as papers write it (and as PDF extraction
leaves it: ``10-9`` for a lost superscript ``10⁻⁹``); `parse_value` gives the
number it stands for, `item` the record of one hyperparameter (name, value as
written with its exponent made explicit, number, source, line).
"""

from __future__ import annotations

import re

__all__ = ["SUPERSCRIPTS", "VALUE", "item", "parse_value"]

SUPERSCRIPTS = str.maketrans(  # ⁻⁹ -> -9
    "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
VALUE = (
    rf"(?:{_NUM}\s*[×x*·]\s*10\s*\^?\s*\{{?\s*-?\s*\d+\s*\}}?"  # 3 × 10^-4, 3x10-4
    r"|10\s*\^\s*\{?\s*-?\s*\d+\s*\}?"  # 10^-9, 10^{-9}
    r"|10-\d{1,2}(?!\d|\.\d)"  # 10-9: a PDF's lost superscript
    r"|\d+(?:\.\d+)?[eE][-+]?\d+"  # 1e-3
    rf"|{_NUM}\s?[KMBk](?![A-Za-z])"  # 100K, 10k, 65M, 1.5B
    rf"|{_NUM}%?)"
)
def parse_value(value: str) -> float | None:
    r"""The number a written value stands for.

    Examples:
        >>> [parse_value(v) for v in ("0.001", "1e-3", "10^-9", "10-9", "3 × 10^-4", "100K", "4,000")]
        [0.001, 0.001, 1e-09, 1e-09, 0.0003, 100000.0, 4000.0]
        >>> [parse_value(v) for v in ("3 · 10-4", "3×10^-4", "10k", "20\u2009000")]
        [0.0003, 0.0003, 10000.0, 20000.0]
    """
    if re.search(r",\s", value):
        return None  # a grid of values: "1, 2, 5, 10"
    v = re.sub(r"[\s\u2009\u202f\u00a0]", "", value.translate(SUPERSCRIPTS)).replace(",", "").replace("{", "").replace("}", "")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)[×x*·]10\^?(-?\d+)", v)
    if m:
        return float(f"{float(m.group(1)) * 10.0 ** int(m.group(2)):.12g}")
    m = re.fullmatch(r"10(?:\^(-?\d+)|(-\d+))", v)
    if m:
        return 10.0 ** int(m.group(1) or m.group(2))
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMBkmb])", v)
    if m:
        return float(m.group(1)) * {"K": 1e3, "M": 1e6, "B": 1e9}[m.group(2).upper()]
    try:
        return float(v.rstrip("%")) / (100.0 if v.endswith("%") else 1.0)
    except ValueError:
        return None


def _normalise(value: str) -> str:
    v = " ".join(value.translate(SUPERSCRIPTS).split())
    v = re.sub(r"\s*\^\s*\{?\s*(-?)\s*(\d+)\s*\}?", r"^\1\2", v)  # 10^{-9} -> 10^-9
    return re.sub(r"(^|[×x*·]\s*)10-(\d{1,2})$", r"\g<1>10^-\2", v)  # 10-9 -> 10^-9 (lost superscript)


def _clean_name(name: str) -> str:
    return " ".join(name.replace("{", "").replace("}", "").split())


def item(name: str, value: str, source: str, line: int, how: str) -> dict:
    """One hyperparameter: name, value as written, its number, the sentence or table it came from."""
    value = _normalise(value)
    return {
        "name": _clean_name(name),
        "value": value,
        "numeric": parse_value(value),
        "source": " ".join(source.split())[:240],
        "text": f"{_clean_name(name)} = {value}",
        "line": line,
        "how": how,
        "table": None,  # set for values read from a table: its number, row, column
        "row": None,
        "column": None,
    }
