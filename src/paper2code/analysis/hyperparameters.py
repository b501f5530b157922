r"""Find hyperparameters in a paper's text: name, value and where they came from.

Three sources, as papers write them:

* **assignments**: ``β1 = 0.9``, ``warmup_steps = 4000``, ``P_drop = 0.1``, and
  what PDF extraction leaves of them (``d =512``, ``β =0.9``, ``ε =10-9``);
* **prose**: ``a learning rate of 0.001``, ``batch size 256``, ``trained for
  100K steps``, ``dropout rate P_drop = 0.1``;
* **tables**: Markdown tables (markitdown writes them for many PDFs and HTML
  pages) and LaTeX ``tabular`` rows.

Values are kept as written, with the exponent made explicit where a PDF lost
the superscript (``10-9`` → ``10^-9``), and also parsed to a number.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from paper2code.analysis.values import SUPERSCRIPTS, VALUE
from paper2code.analysis.values import item as _item
from paper2code.analysis.values import parse_value as parse_value  # where it used to live

__all__ = ["find_hyperparameters", "rank"]

_GREEK = "α-ωΑ-Ωϵϑϕ"
_NAME = (
    rf"(?:[A-Za-z{_GREEK}][A-Za-z0-9{_GREEK}]*(?:_\{{?[A-Za-z0-9{_GREEK},]+\}}?)?)"
)
_ASSIGN = re.compile(rf"(?<![\w\\])(?P<name>{_NAME})\s*(?:=|:=)\s*(?P<value>{VALUE})(?!\w|\.\d)")
_KNOWN = (
    r"learning[ -]rates?|lr|batch[ -]sizes?|mini-?batch(?: size)?|dropout(?: rate| probability)?"
    r"|weight[ -]decay|momentum|warm-?up(?: steps| period)?|label smoothing|epochs?"
    r"|(?:training |train |total )?(?:steps|iterations|updates)|temperatures?|beam (?:size|width)"
    r"|length penalty|gradient (?:norm )?(?:clipping|norm)|clip(?:ping)? (?:norm|threshold)"
    r"|hidden (?:size|dimension|units)|embedding (?:size|dimension)|model dimension"
    r"|vocabulary(?: size)?|sequence length|context length|number of (?:layers|heads|epochs)"
    r"|layers|heads|attention heads|rank|decay rate|discount(?: factor)?|epsilon|seed"
    r"|(?:relative|loss|hard[- ]target|soft[- ]target|regulari[sz]ation|penalty) weights?"
)
# Words and symbols allowed between a name and its value: "rate of", "P_drop =", "(β1)".
_STOP = (
    r"(?:and|or|for|on|in|by|we|per|each|from|than|but|which|that|this|it|as|use|used|train|trained"
    # the first words of other names: "steps with batch size 64" is not steps = 64
    r"|learning|batch|dropout|weight|momentum|warm\w*|label|epochs?|steps|training|temperature"
    r"|beam|gradient|hidden|embedding|vocabulary|sequence|context|layers|heads|seed"
    # ordinary words, no symbols: "layers mostly have 3×3", "vocabulary of about 37000"
    r"|are|have|has|mostly|about|around|approximately|roughly|nearly|only|also|then|always|typically)\b"
)
_SYMBOL = rf"(?!{_STOP})(?:[A-Za-z{_GREEK}]+_\{{?\w+\}}?|[A-Za-z{_GREEK}]{{1,6}}\d?|\([^()\s]{{1,10}}\))"
_FILLER = rf"(?:\s+(?:of|is|was|to|set|at|equal|with|a|an|the|value|values|about|around|roughly|=|:|{_SYMBOL}))"
_PROSE = re.compile(
    # (a value glued to a letter is a subscript: "η0" is not "0")
    rf"\b(?P<name>{_KNOWN})\b(?P<filler>{_FILLER}{{0,4}})\s*[=:]?\s*(?:\((?={VALUE}\)))?(?<![^\W\d_])"
    rf"(?P<value>{VALUE})(?!\w|\.\d)",
    re.IGNORECASE,
)
_COUNTED = re.compile(
    rf"(?<![\w.])(?P<value>{VALUE})\s+(?P<name>(?:training |warm-?up |warmup )?(?:steps|epochs|iterations|updates)"
    r"|(?:encoder |decoder |transformer )?layers|(?:attention )?heads|GPUs|parameters|params"
    r"|(?:hidden )?units|neurons|specialist(?: model)?s|experts|(?:source |target |training )?tokens)\b",
    re.IGNORECASE,
)
_LINKING = {"of", "is", "was", "to", "set", "at", "equal", "with", "a", "an", "the", "value", "values", "about",
            "around", "roughly"}
# Loop indices and similar: "i = 1", "t = 0" are not hyperparameters.
_INDEX_NAMES = {"i", "j", "k", "l", "t", "n", "m", "x", "y", "z", "s", "p", "q", "c", "a", "b"}


def _table_rows(lines: list[str], start: int):
    """Yield (line number, cells) of the Markdown table starting at ``start``."""
    for offset, line in enumerate(lines[start:]):
        if not line.lstrip().startswith("|"):
            return
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if all(re.fullmatch(r":?-{2,}:?", c) or not c for c in cells):
            continue  # the separator row
        yield start + offset, cells


def _from_table(header: list[str], rows: list[tuple[int, list[str]]], source_of) -> list[dict]:
    found = []
    is_value = re.compile(rf"\s*{VALUE}\s*")
    two_col = len(header) == 2
    for line, cells in rows:
        if two_col and len(cells) >= 2 and is_value.fullmatch(cells[1]):
            found.append(_item(cells[0], cells[1].strip(), source_of(line), line, "table"))
            continue
        label = cells[0] if cells and not is_value.fullmatch(cells[0]) else ""
        for col, cell in enumerate(cells):
            if col < len(header) and header[col] and is_value.fullmatch(cell):
                name = f"{header[col]} ({label})" if label and col > 0 else header[col]
                found.append(_item(name, cell.strip(), source_of(line), line, "table"))
    return found


def _latex_tables(lines: list[str]) -> list[dict]:
    found, i = [], 0
    while i < len(lines):
        if r"\begin{tabular}" in lines[i]:
            rows, j = [], i + 1
            while j < len(lines) and r"\end{tabular}" not in lines[j]:
                for part in lines[j].split(r"\\"):
                    part = re.sub(r"\\(hline|toprule|midrule|bottomrule|cline\{[^}]*\})", "", part)
                    cells = [re.sub(r"\\[a-zA-Z]+\{([^}]*)\}", r"\1", c).replace("$", "").strip() for c in part.split("&")]
                    if any(cells):
                        rows.append((j + 1, cells))
                j += 1
            if rows:
                header, body = rows[0][1], rows[1:]
                found += _from_table(header, body, lambda n, rows=rows: " | ".join(c for r in rows if r[0] == n for c in r[1]))
            i = j
        i += 1
    return found


_CAPTION = re.compile(r"^\s*Table\s+\d+\s*[:.]")
_PLAIN_ROW = re.compile(rf"^\s*(?P<name>[A-Za-z{_GREEK}][\w{_GREEK} /()'-]{{0,40}}?)\s+(?P<value>{VALUE})\s*$")


def _plain_table(lines: list[str], start: int) -> tuple[list[dict], int]:
    """Rows ``Name  value`` under a ``Table N:`` caption (a PDF's table as text)."""
    found, i = [], start + 1
    while i < len(lines) and i < start + 40:
        line = lines[i].replace("\f", "")
        if not line.strip():
            break
        m = _PLAIN_ROW.match(line)
        if m:
            found.append(_item(m.group("name"), m.group("value"), f"{lines[start].strip()} {line.strip()}", i + 1, "table"))
        elif found:
            break
        i += 1
    return found, i


def _paragraphs(lines: list[str]):
    """Runs of non-empty prose lines, joined, with the line each character came from."""
    run: list[int] = []
    fenced = False
    for i, line in enumerate(lines + [""]):
        fence = line.lstrip().startswith("```")
        fenced ^= fence
        prose = line.strip() and not line.lstrip().startswith("|") and not _CAPTION.match(line)
        if prose and not fence and not (fenced and run):  # an algorithm's lines one by one
            run.append(i)
            continue
        if run:
            text, owner = "", []
            for k in run:
                piece = lines[k].replace("\f", "").strip().translate(SUPERSCRIPTS) + " "
                text += piece
                owner += [k] * len(piece)
            yield text, owner
            run = []


def _sentence(text: str, pos: int) -> str:
    start = text.rfind(". ", 0, pos)
    start = 0 if start == -1 else start + 2
    end = text.find(". ", pos)
    return text[start : end + 1 if end != -1 else len(text)]


_FIRST = re.compile(
    r"^(?:β|ε|ϵ|learning rate|lr|warm-?up|batch|dropout|p ?drop|label smoothing|weight decay"
    r"|momentum|(?:training |train |total )?(?:steps|epochs|iterations)|d ?_?model|d ?_?ff|layers"
    r"|heads|N$|h$)",
    re.IGNORECASE,
)


def rank(item: dict) -> int:
    """1: what an implementer sets first (optimiser, schedule, sizes); 3: the rest."""
    if "rank" in item:
        return item["rank"]
    if _FIRST.match(item["name"]) and item["numeric"] is not None:
        return 1
    return 2 if item["how"] == "assignment" else 3


# Sections whose numbers are findings or others' settings, not the paper's set-up.
_NOT_SETUP = re.compile(
    r"^(?:(?:\d+|[A-H])(?:\.\d+)*\s+)?(?:(?:main|experimental|empirical|extended)\s+)?(?:abstract|introduction"
    r"|related work|prior work|results?\b|discussion|conclusions?|limitations|future work"
    r"|acknowledge?ments?|references|bibliography|broader impact)", re.IGNORECASE)
# "two hidden layers of 1200 rectified linear hidden units": 1200 counts units, not layers.
_UNIT = re.compile(r"\s+(?:[a-z-]+\s+){0,3}?(?P<unit>hidden units|units|neurons|channels|filters|feature maps)\b")
# "a loss weight β = 0.01": what the symbol is, said just before it.
_ROLE = re.compile(
    r"(?:^|\s)(?P<role>(?:(?!(?:a|an|the|with|and|of|for)\s)[a-z-]+\s+){0,2}?(?:weight|coefficient|rate|factor|temperature|margin|threshold"
    r"|penalty|strength|scale|probability|constant|decay))\s+(?:of\s+|is\s+)?$", re.IGNORECASE)
# "temperatures of 1, 2, 5 and 10": three values or more are a grid.
_GRID = re.compile(rf"(?:\s*,\s*{VALUE}(?!\w|\.\d))+(?:,?\s+(?:and|or)\s+{VALUE}(?!\w|\.\d))?")
_AUGMENT = re.compile(
    r"\b(?P<name>jitter\w*|shift\w*|translat\w*|rotat\w*|crop\w*)\b[^.]{0,40}?"
    r"(?P<value>±\s?\d+(?:\.\d+)?\s*(?:px|pixels?|degrees?|°|%)?)", re.IGNORECASE)
_STEP_CONTEXT = re.compile(
    r"(?:\bfor|train\w*|over|run\w*|\bof|\bwith|every|\bat)\s+(?:the\s+)?(?:a total of\s+|about\s+|roughly\s+"
    r"|approximately\s+|up to\s+|at most\s+|only\s+|first\s+|next\s+|last\s+|another\s+)?$", re.IGNORECASE)
_CHAIN = re.compile(rf"(?P<name>{_NAME})\s*=\s*(?:[^\s=,;]{{1,12}}\s*=\s*)*$")
# "on 3% of the training data": the share of the data a model is trained on.
_SHARE = re.compile(rf"(?<![\w.])(?P<value>{VALUE}%)\s+of\s+the\s+(?P<name>(?:training\s+)?(?:data|set|examples))\b",
                    re.IGNORECASE)
# "learning rate 6e-4 for GPT-2 small and 1.5e-4 for GPT-2 medium": one value per model.
_EACH = re.compile(rf"\s+for\s+(?P<first>[^,.;=()]{{1,40}}?),?\s+(?:and|or|while)\s+(?:an?\s+)?"
                   rf"(?P<value>{VALUE})(?!\w|\.\d)\s+for\s+(?:the\s+)?(?P<second>[^,.;=()]{{1,40}}?)(?=[,.;)]|\s+and\b|$)")
# "the learning rate is divided by 10", "a 224×224 crop": a decay factor, a crop or input size.
_DIVIDED = re.compile(rf"\b(?P<name>divided|divide (?:it|them)|multiplied|reduced|decayed)\s+by\s+(?:a factor of\s+)?"
                      rf"(?P<value>{VALUE})(?!\w|\.\d)", re.IGNORECASE)
_SIZED = re.compile(r"(?<![\w.])(?P<value>\d{1,4})\s?[×x]\s?\d{1,4}\s+(?:(?:random(?:ly)?|center|centre)\s+)?"
                    r"(?P<name>crops?|patch(?:es)?|images?|inputs?|pixels?|resolution)\b", re.IGNORECASE)
_INDEXED = re.compile(rf"[A-Za-z{_GREEK}][ijntN]")  # vj, zi, λn, pN: a variable over an index


def _named(m: re.Match, pattern: re.Pattern, text: str) -> str | None:
    """The name of a match, made precise, or None when it is no hyperparameter."""
    name, value = m.group("name"), m.group("value")
    before = text[max(0, m.start() - 60) : m.start()]
    if pattern is _ASSIGN:
        if name in _INDEX_NAMES and re.fullmatch(r"[0-2]", value) or _INDEXED.fullmatch(name):
            return None
        if value == "0" or re.search(r"[?&]$", before):
            return None  # "Σj zj = Σj vj = 0": a definition; "?id=11": a web address
        expression = before.endswith("/")  # "dmodel/h = 64": h is part of the value's formula
        if chain := _CHAIN.search(re.sub(r"[^\s=,;]*/$", "", before)):  # "dk = dv = …", "α = β = 1"
            names = re.findall(rf"({_NAME})\s*=", chain.group(0)) + ([] if expression else [name])
            return ", ".join(names)
        if expression:
            return None
        if role := _ROLE.search(before):
            return f"{role.group('role').lower()} {name}"
        return name
    if pattern is _SHARE:
        return f"share of the {' '.join(name.lower().split())}"
    if pattern is _DIVIDED:
        sentence = _sentence(text, m.start())
        what = "learning rate" if re.search(r"learning rate|\blr\b", sentence, re.I) else "value"
        return f"{what} {name.split()[0].lower().replace('divide', 'divided')} by"
    if pattern is _SIZED:
        stem = name.lower()[:4]  # crop, patc(h), imag(e), inpu(t), pixe(l), reso(lution)
        return {"crop": "crop size", "patc": "patch size", "inpu": "input size", "reso": "resolution"}.get(stem, "image size")
    if pattern is _AUGMENT:  # "jittered by up to ±2 pixels": jitter
        stem = name.lower()[:5]
        return {"trans": "translation", "rotat": "rotation"}.get(stem, re.sub(r"(?:ed|ing|s)$", "", name.lower()))
    if pattern is _COUNTED and re.fullmatch(r"(?:\w+ )?(?:steps|iterations|updates|epochs)", name, re.I) \
            and not _STEP_CONTEXT.search(before):
        return None  # "takes 3 steps on average": a finding, not a schedule
    if pattern is _COUNTED and name.lower() == "tokens" and not re.search(r"batch|per (?:step|update|gpu)", before, re.I):
        return None  # "the average number of tokens is 2,395 tokens": the data, not a setting
    if pattern is _COUNTED and re.search(r"warm(?:ing)?[- ]?up\s+(?:for\s+)?$", before, re.I):
        return f"warm-up {name}"  # "warming up for 500 updates"
    if pattern is _PROSE:  # keep the paper's symbol: "dropout rate P_drop"
        symbols = [t for t in re.findall(rf"(?<![\w{_GREEK}]){_SYMBOL}", m.group("filler")) if t.lower() not in _LINKING]
        name = " ".join([name, *symbols])
        unit = _UNIT.match(text, m.end())
        if unit and re.fullmatch(r"(?:hidden )?layers?", m.group("name"), re.I):
            return f"{unit.group('unit')} per layer"
    return name


def find_hyperparameters(
    lines: list[str], latex: list[str] | None = None, markdown_tables: bool = True,
    section_of: Callable[[int], str | None] | None = None,
) -> list[dict]:
    """All hyperparameters in ``lines`` (already cleaned); ``line`` is 1-based.

    Prose is read a paragraph at a time, so that a value pushed onto the next
    line by a PDF's lost subscript (``d`` / ``model`` / ``= 512``) is still found.
    ``latex``, the raw lines of a LaTeX source, adds the rows of its ``tabular``s.
    ``section_of`` gives the section of a line (1-based): prose in the abstract,
    introduction, related work, results, discussion and conclusion gives none.
    """
    found: list[dict] = []
    i = 0
    while i < len(lines):  # tables: Markdown, and plain text under a caption
        if lines[i].lstrip().startswith("|"):
            rows = list(_table_rows(lines, i))
            if len(rows) >= 2 and markdown_tables:
                header, body = rows[0][1], rows[1:]
                found += _from_table(header, [(n + 1, c) for n, c in body], lambda n: lines[n - 1].strip())
            i += max(len(rows), 1)
            continue
        if _CAPTION.match(lines[i]):
            rows, i = _plain_table(lines, i)
            found += rows
            continue
        i += 1
    for text, owner in _paragraphs(lines):
        if section_of is not None and _NOT_SETUP.search(section_of(owner[0] + 1) or ""):
            continue
        taken: list[tuple[int, int]] = []
        patterns = (_AUGMENT, "prose"), (_SHARE, "prose"), (_PROSE, "prose"), (_ASSIGN, "assignment"), \
            (_COUNTED, "prose"), (_DIVIDED, "prose"), (_SIZED, "prose")
        for pattern, how in patterns:
            for m in pattern.finditer(text):
                span = m.span("value")
                if any(a <= span[0] < b for a, b in taken):
                    continue
                name, value = _named(m, pattern, text), m.group("value")
                if name is None:
                    continue
                grid = _GRID.match(text, span[1]) if pattern is not _AUGMENT else None
                if grid and len(re.findall(VALUE, grid.group(0))) >= 2:
                    value, span = m.group("value") + grid.group(0), (span[0], grid.end())
                    value = ", ".join(re.findall(VALUE, value))  # "1, 2, 5 and 10" -> "1, 2, 5, 10"
                taken.append(span)
                each = _EACH.match(text, span[1]) if pattern is _PROSE and not grid else None
                if each:  # one value per model or task: name each
                    taken.append(each.span("value"))
                    found.append(_item(f"{name} ({each.group('second').strip()})", each.group("value"),
                                       _sentence(text, m.start()), owner[m.start()] + 1, how))
                    name = f"{name} ({each.group('first').strip()})"
                found.append(_item(name, value, _sentence(text, m.start()), owner[m.start()] + 1, how))
    if latex is not None:
        found += _latex_tables(latex)
    seen, unique = set(), []
    for item in found:
        key = (item["name"].lower(), item["value"])
        if key not in seen:
            seen.add(key)
            unique.append(item)
    for item in unique:
        item["rank"] = rank(item)
    return sorted(unique, key=lambda item: item["line"])
