"""The nodes of a drafted rubric: leaf and id helpers, and the set-up group (`paper2code.analysis.rubric`)."""

from __future__ import annotations

import re

from paper2code.analysis.checklist import where

__all__ = ["setup_groups"]

_GREEK = dict(zip(
    "αβγδεϵζηθϑικλμνξπρστυφϕχψω",
    "alpha beta gamma delta epsilon epsilon zeta eta theta theta iota kappa lambda mu nu xi "
    "pi rho sigma tau upsilon phi phi chi psi omega".split(), strict=True,
))
_METHOD, _SETUP, _DATA = "Method Implementation", "Experimental Setup", "Data Processing & Preparation"
_EVAL = "Evaluation, Metrics & Benchmarking"


def _slug(text: str) -> str:
    """``"model dimension d_model"`` -> ``model_dimension_d_model``; ``β`` -> ``beta``.

    Examples:
        >>> _slug("Label smoothing"), _slug("β1"), _slug("ε")
        ('label_smoothing', 'beta1', 'epsilon')
    """
    text = "".join(_GREEK.get(c, c) for c in str(text).lower())
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_") or "x"


def _where(item: dict, prefix: str = "") -> str:
    loc = item.get("location") or {}
    place = where(loc) if "line" in loc else ""
    return ", ".join(p for p in (prefix, place) if p) or "not located"


_MINOR = re.compile(r"\b(?:proofs?|derivations?|background|preliminar\w*|related work|additional|extended)\b", re.I)


def _hp_leaf(h: dict) -> dict:
    leaf = _leaf(f"hp-{_slug(h['name'])}", "implementation", _SETUP, f"{h['name']} = {h['value']}", _where(h))
    if h.get("numeric") is not None:
        leaf["value"] = h["numeric"]
    return {**leaf, "name": h["name"], "source": h.get("source", "")}


def _setup_groups(hyperparameters: list[dict], tables: list[dict]) -> list[dict]:
    """The settings, grouped as the paper groups them: a group per set-up table, a leaf per row.

    A set-up table's row is one configuration (a model size, a run): one leaf
    says all of its cells ("Table 5, row 8B ZeRO: GPUs = 400, MP = 4, …"), not
    one leaf per cell. A table of one setting a row ("| Parameter | Value |")
    and the settings of the prose stay a leaf each.
    """
    prose = [h for h in hyperparameters if h.get("how") != "table" or not h.get("table")]
    by_table: dict[str, dict[str, list[dict]]] = {}
    for h in hyperparameters:
        if h.get("how") == "table" and h.get("table"):
            row = str(h.get("row") or f"line {h['location']['line']}")
            by_table.setdefault(str(h["table"]), {}).setdefault(row, []).append(h)
    out: list[dict] = [_hp_leaf(h) for h in prose]
    captions = {str(t.get("number")): " ".join(str(t.get("caption") or "").split()) for t in tables}
    for number, rows in by_table.items():
        if all(len(cells) == 1 for cells in rows.values()):  # "| Parameter | Value |": a setting a row
            out += [_hp_leaf(cells[0]) for cells in rows.values()]
            continue
        children = []
        for row, cells in rows.items():
            text = f"Table {number}, row {row}: " + ", ".join(
                f"{c.get('column') or c['name']} = {c['value']}" for c in cells)
            leaf = _leaf(f"hp-table-{_slug(number)}-{_slug(row)}", "implementation", _SETUP, text,
                         _where(cells[0], f"Table {number}"))
            if len(cells) == 1 and cells[0].get("numeric") is not None:
                leaf["value"] = cells[0]["numeric"]
            children.append({**leaf, "name": f"Table {number}, {row}", "source": cells[0].get("source", "")})
        title = f"Table {number}" + (f": {captions[number][:80]}" if captions.get(number) else "")
        out.append({"id": f"setup-table-{_slug(number)}", "title": title, "weight": 1, "children": children})
    return out


def _leaf(id_: str, kind: str, category: str, text: str, where_: str, weight: int = 1, **extra) -> dict:
    return {"id": id_, "kind": kind, "category": category, "weight": weight, "text": text, "where": where_, **extra}


setup_groups = _setup_groups
