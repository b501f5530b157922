r"""Read a paper's tables: number, caption, header, rows, and the set-up values.

A table is a Markdown table in the converted text (the PDF converter writes
one for every ruled table; markitdown writes them for HTML and .docx), with
its ``Table N`` caption found in the lines just above or below it.

A table is a **set-up table** (model variants, training configuration,
hyperparameters) when its caption says so, or when at least two of its column
(or row) labels are hyperparameter names (``N``, ``d_model``, ``layers``,
``heads``, ``learning rate``, …). Its cells become hyperparameters with their
source: table, row and column. Results tables give none, and neither do the
metric columns (BLEU, PPL, accuracy, …) of a set-up table, nor its derived
quantities (parameter counts, FLOPs: `DERIVED`).

Differences from a reader: a value whose row label is empty (a group of
variations) is kept, but ranked after the named rows (``base``, ``big``).
"""

from __future__ import annotations

import re

from paper2code.analysis.values import VALUE, parse_value

__all__ = ["METRIC", "find_tables", "table_hyperparameters"]

_CAPTION = re.compile(r"^\s*\**Table\s+(\d+|[A-Z]\.?\d+)\s*\**\s*[:.|]?\s*(.*)$")
_NAME_CELL = re.compile(
    r"(?:#\s*)?(?:n|l|h|d|dk|dv|dff"
    r"|d\s?_?\s?(?:model|ff|k|v|h|head|hidden|emb|inner|state|mlp)"
    r"|layers?|heads?|hidden(?: size| dim\w*)?|width|depth|dim(?:ension)?s?"
    r"|embedding(?: size| dim\w*)?|#?\s?params|param(?:eter)?s?(?: .{0,8})?"
    r"|learning rate|lr|batch(?: size)?|dropout|p\s?drop|warm-?up(?: steps)?"
    r"|(?:train(?:ing)? )?(?:steps|iterations|epochs?)|weight decay|optimi[sz]er"
    r"|β\s?\d?|ε|ϵ?\s?ls|label smoothing|momentum|context(?: length)?"
    r"|seq(?:uence)?\.? len(?:gth)?|vocab(?:ulary)?(?: size)?|block size|n_\w+"
    r"|channels|filters|kernel(?: size)?|stride|output size|flops)",
    re.IGNORECASE,
)
_SETUP_CAPTION = re.compile(
    r"hyper-?parameters?|configurations?|settings?|set-?ups?|architectures?|variants?|model sizes?"
    r"|training details|implementation details|model details",
    re.IGNORECASE,
)
METRIC = re.compile(
    r"ppl|bleu|acc|f1|\berr|score|perplex|top-?\d|\bem\b|rouge|loss|time|speed|throughput"
    r"|memory|\bdev\b|\btest\b|\bval(?:id|\b|\.)|win|elo|reward|bpc|%",
    re.IGNORECASE,
)
# Quantities a configuration implies, not settings an implementer chooses: "params ×10^6", "FLOPs".
DERIVED = re.compile(r"#?\s?params\b|\bparam(?:eter)?s?\b(?! init)|\bflops\b|\bmacs\b", re.IGNORECASE)
_RESULTS = re.compile(
    r"results?|error|accuracy|bleu|f1|score|perplexit|performance|compar|runtime|speed-?up|measured",
    re.IGNORECASE,
)
_IS_VALUE = re.compile(rf"\s*{VALUE}\s*")


def _split(line: str) -> list[str]:
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def _caption(lines: list[str], start: int, end: int) -> tuple[str | None, str, int | None]:
    """(number, caption, line index) of the ``Table N`` caption nearest a table."""
    best = None
    if start > 0 and (m := re.fullmatch(r"<!-- Table (\S+) -->", lines[start - 1].strip())):
        # the PDF converter names the caption it placed the table by: find that caption
        best = next((k for k, line in enumerate(lines) if (c := _CAPTION.match(line)) and c.group(1) == m.group(1)),
                    None)
        if best is None:
            return m.group(1), "", None
    candidates = [] if best is not None else \
        [*range(max(0, start - 12), start), *range(end, min(len(lines), end + 8))]
    for k in candidates:
        if _CAPTION.match(lines[k]) and (best is None or abs(k - start) < abs(best - start)):
            best = k
    if best is None:
        return None, "", None
    text = [lines[best].strip()]
    for line in lines[best + 1 : best + 6]:
        if not line.strip() or line.lstrip().startswith("|"):
            break
        text.append(line.strip())
    return _CAPTION.match(lines[best]).group(1), " ".join(text), best  # type: ignore[union-attr]


def find_tables(lines: list[str]) -> list[dict]:
    """Every Markdown table of ``lines``: number, caption, header, rows, line (1-based)."""
    found, i = [], 0
    while i < len(lines):
        if not lines[i].lstrip().startswith("|"):
            i += 1
            continue
        j = i
        while j < len(lines) and lines[j].lstrip().startswith("|"):
            j += 1
        rows = [_split(line) for line in lines[i:j]]
        rows = [r for r in rows if not all(re.fullmatch(r":?-{2,}:?", c) or not c for c in r)]
        if len(rows) >= 2:
            number, caption, _ = _caption(lines, i, j)
            header, body = rows[0], rows[1:]
            names = sum(bool(_NAME_CELL.fullmatch(c)) for c in header[1:])
            names_down = sum(bool(_NAME_CELL.fullmatch(r[0])) for r in body if r)
            found.append({
                "number": number, "caption": caption, "header": header, "rows": body,
                "line": i + 1,
                "setup": names >= 2 or names_down >= 2 or (
                    bool(_SETUP_CAPTION.search(caption)) and not _RESULTS.search(caption)),
                "transposed": names_down >= 2 and names < 2,
            })
        i = j
    return found


def _named(label: str) -> bool:
    return sum(c.isalpha() for c in label) >= 2 and not re.fullmatch(r"\(\w{1,3}\)", label)


def table_hyperparameters(table: dict) -> list[dict]:
    """The values of a set-up table, each with table, row, column and rank."""
    if not table["setup"]:
        return []
    found = []
    header, label_of = table["header"], "Table " + (table["number"] or "?")
    # The first column labels the rows unless its header names a hyperparameter.
    labels = not (header and _NAME_CELL.fullmatch(header[0]))
    for offset, row in enumerate(table["rows"], start=1):
        label = row[0] if row and (labels or not _IS_VALUE.fullmatch(row[0])) else ""
        lead = 0
        if not label:  # a label set across the first columns: "| | FLOPs | 1.8×10^9 |"
            lead = next((k for k, c in enumerate(row) if c), 0)
            if lead and not _IS_VALUE.fullmatch(row[lead]):
                label = row[lead]
        for col, cell in enumerate(row):
            if col <= lead and label or not _IS_VALUE.fullmatch(cell):
                continue
            column = header[col] if col < len(header) else ""
            if METRIC.search(column) or DERIVED.search(column) or DERIVED.search(label) or \
                    (table["transposed"] and METRIC.search(label)):
                continue
            if re.fullmatch(r"values?|settings?|choices?", column, re.I):  # "| Parameter | Value |"
                name, context = label, ""
            elif table["transposed"]:
                name, context = label, column
            else:
                name, context = column or label, label if column else ""
            if not name:
                continue
            value = " ".join(cell.split())
            where = f"{label_of}, row {label or offset}, column {column or col + 1}"
            found.append({
                "name": f"{name} ({context})" if context else name,
                "value": value, "numeric": parse_value(value), "source": where,
                "text": f"{name} = {value}" + (f" ({context})" if context else ""),
                "line": table["line"] + offset + 1, "how": "table",
                "table": table["number"], "row": label, "column": column,
                "rank": 1 if _named(label) or table["transposed"] else 2,
            })
    return found
