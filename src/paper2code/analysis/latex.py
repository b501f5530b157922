r"""LaTeX source, read for the outline: sections, environments, equations, prose.

The LaTeX half of [`extract_outline`][paper2code.analysis.extract.extract_outline]:
equations come from ``equation``/``align``/… environments (numbered as LaTeX
numbers them, ``\tag`` and ``\nonumber`` honoured), algorithms from
``algorithm`` environments, definitions and theorems from their environments
(including ones declared with ``\newtheorem``), and prose is the text of the
document body with display blocks blanked, read back into plain text by
[`detex`][paper2code.analysis.latex.detex] for the hyperparameter search.
"""

from __future__ import annotations

import re

__all__ = ["THEOREM_KINDS", "detex", "tex_algorithms", "tex_definitions", "tex_equations", "tex_prose", "tex_sections"]

#: The numbered statements an implementer must find, as environment names.
THEOREM_KINDS = "Definition|Theorem|Lemma|Proposition|Corollary"


_TEX_SECTION = re.compile(r"\\(section|subsection|subsubsection)(\*?)\{(.+?)\}\s*$")


def tex_sections(lines: list[str]) -> list[dict]:
    r"""Sections, numbered as LaTeX numbers them (appendices lettered); the abstract counts."""
    found, counters, appendix = [], [0, 0, 0], False
    for i, line in enumerate(lines):
        if r"\begin{abstract}" in line:
            found.append({"text": "Abstract", "line": i + 1, "level": 1})
        if line.strip().startswith(r"\appendix"):
            appendix, counters = True, [0, 0, 0]
        m = _TEX_SECTION.search(line)
        if not m or line.lstrip().startswith("%"):
            continue
        level = ("section", "subsection", "subsubsection").index(m.group(1))
        title = detex(m.group(3))
        if m.group(2):
            found.append({"text": title, "line": i + 1, "level": level + 1})
            continue
        counters[level] += 1
        counters[level + 1 :] = [0] * (2 - level)
        parts = [str(c) for c in counters[: level + 1]]
        if appendix:
            parts[0] = chr(ord("A") + counters[0] - 1)
        found.append({"text": f"{'.'.join(parts)} {title}", "line": i + 1, "level": level + 1})
    return found


_GREEK_TEX = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "eta": "η", "theta": "θ", "lambda": "λ", "mu": "μ", "nu": "ν", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "phi": "φ", "psi": "ψ", "omega": "ω", "pi": "π", "xi": "ξ", "zeta": "ζ",
    "kappa": "κ", "chi": "χ", "Delta": "Δ", "Sigma": "Σ", "Omega": "Ω", "Theta": "Θ",
}


_TEX_SYMBOLS = {
    "times": "×", "cdot": "·", "leftarrow": "←", "gets": "←", "rightarrow": "→", "to": "→",
    "lVert": "‖", "rVert": "‖", "top": "ᵀ", "odot": "⊙", "otimes": "⊗", "sqrt": "√", "le": "≤",
    "leq": "≤", "ge": "≥", "geq": "≥", "in": "∈", "approx": "≈", "sum": "∑", "prod": "∏",
    "nabla": "∇", "partial": "∂", "infty": "∞", "dots": "…", "ldots": "…", "cdots": "⋯", "pm": "±",
}


def detex(text: str) -> str:
    """A readable, single-line version of a LaTeX fragment."""
    text = re.sub(r"(?<!\\)%.*$", "", text)
    text = re.sub(r"\\(label|ref|eqref|cite[pt]?|nonumber|notag)\b(\{[^}]*\})?", "", text)
    text = re.sub(r"\\(text|mathrm|mathbf|mathit|mathcal|operatorname|textbf|emph|textit|hat|bar|tilde)\{([^{}]*)\}", r"\2", text)
    text = text.replace(r"\_", "_").replace(r"\%", "%").replace(r"\&", "&").replace(r"\\", " ")
    text = text.replace(r"\,", " ").replace(r"\;", " ").replace(r"\!", "").replace("~", " ")
    text = re.sub(r"\\([A-Za-z]+)", lambda m: _GREEK_TEX.get(m.group(1)) or _TEX_SYMBOLS.get(m.group(1)) or m.group(1), text)
    text = text.replace("$", "").replace("&", "").replace("{", "").replace("}", "")
    return " ".join(text.split())


# Lines of LaTeX that are structure, not prose: blanked before prose is scanned.
_TEX_NON_PROSE = re.compile(
    r"^\s*\\(section|subsection|subsubsection|paragraph|label|caption|begin|end|maketitle|title|author"
    r"|usepackage|newtheorem|documentclass|bibliography|bibliographystyle|appendix|centering)\b"
)


_TEX_BLOCKS = "equation|align|gather|multline|eqnarray|flalign|algorithm|algorithmic|tabular|table|figure"


def tex_prose(lines: list[str]) -> list[str]:
    """Readable prose lines of a LaTeX file; structure and display blocks blanked, numbering kept."""
    prose, depth = [], 0
    body = next((i for i, line in enumerate(lines) if r"\begin{document}" in line), 0)
    for i, line in enumerate(lines):
        opens = len(re.findall(rf"\\begin\{{(?:{_TEX_BLOCKS})\*?\}}", line))
        closes = len(re.findall(rf"\\end\{{(?:{_TEX_BLOCKS})\*?\}}", line))
        blank = i <= body or depth > 0 or opens or _TEX_NON_PROSE.match(line) or line.lstrip().startswith("%")
        depth = max(depth + opens - closes, 0)
        prose.append("" if blank else detex(line))
    return prose


def _tex_environments(lines: list[str], names: str):
    r"""Yield (name, start line, end line, body lines) of \begin{name}…\end{name}."""
    begin = re.compile(rf"\\begin\{{({names})\}}")
    i = 0
    while i < len(lines):
        m = begin.search(lines[i])
        if not m or lines[i].lstrip().startswith("%"):
            i += 1
            continue
        name = m.group(1)
        end = re.compile(rf"\\end\{{{re.escape(name)}\}}")
        j = i
        while j < len(lines) and not end.search(lines[j] if j > i else lines[j][m.end():]):
            j += 1
        yield name, i, min(j, len(lines) - 1), lines[i : j + 1]
        i = j + 1


_TEX_STEPS = {
    "state": "", "statex": "", "require": "Require:", "ensure": "Ensure:", "return": "return",
    "for": "for", "forall": "for all", "while": "while", "if": "if", "elsif": "else if",
    "else": "else", "endfor": "end for", "endwhile": "end while", "endif": "end if",
    "repeat": "repeat", "until": "until", "loop": "loop", "endloop": "end loop",
}


_TEX_STEP = re.compile(r"\\(" + "|".join(_TEX_STEPS) + r")\b", re.IGNORECASE)


def tex_algorithms(lines: list[str]) -> list[dict]:
    r"""Each ``algorithm`` environment: its caption as title, its algorithmic lines as steps."""
    found = []
    for number, (_, start, _, body) in enumerate(_tex_environments(lines, "algorithm"), 1):
        caption = re.search(r"\\caption\{(.+?)\}\s*$", "\n".join(body), re.MULTILINE)
        steps = []
        for line in body[1:-1]:
            if not line.strip() or re.search(r"\\(begin|end)\{algorithmic\}|\\caption|\\label", line):
                continue
            step = detex(_TEX_STEP.sub(lambda m: _TEX_STEPS[m.group(1).lower()], line))
            if step:
                steps.append(step)
        title = detex(caption.group(1)) if caption else ""
        found.append({"number": number, "title": title, "steps": steps, "line": start + 1})
    return found


def tex_definitions(lines: list[str]) -> list[dict]:
    r"""Definitions, theorems, lemmas, …, numbered per kind, ``\newtheorem`` aliases included."""
    kinds = {k.lower(): k.lower() for k in THEOREM_KINDS.split("|")}
    for m in re.finditer(r"\\newtheorem\*?\{(\w+)\}(?:\[\w+\])?\{(\w+)\}", "\n".join(lines)):
        if m.group(2).lower() in kinds:
            kinds[m.group(1)] = m.group(2).lower()
    found, counters = [], {}
    for name, start, _, body in _tex_environments(lines, "|".join(map(re.escape, kinds))):
        kind = kinds[name]
        counters[kind] = counters.get(kind, 0) + 1
        head = re.search(rf"\\begin\{{{re.escape(name)}\}}(?:\[([^\]]*)\])?", body[0])
        title = detex(head.group(1)) if head and head.group(1) else ""
        text = detex(" ".join(body)[head.end() if head else 0 :].split(rf"\end{{{name}}}")[0])
        found.append({"kind": kind, "number": str(counters[kind]), "title": title, "text": text, "line": start + 1})
    return found


_EQ_ENVS = "equation|align|gather|multline|eqnarray|flalign"


def tex_equations(lines: list[str]) -> list[dict]:
    r"""Numbered equations and align rows, with LaTeX's numbering (``\tag``, ``\nonumber``)."""
    found, counter = [], 0
    for name, start, _, body in _tex_environments(lines, rf"(?:{_EQ_ENVS})\*?"):
        starred = name.endswith("*")
        text = "\n".join(body)
        text = re.sub(rf"\\(begin|end)\{{{re.escape(name)}\}}", "", text)
        rows = [text] if name.startswith(("equation", "multline")) else re.split(r"\\\\", text)
        offset = 0
        for row in rows:
            line = start + 1 + offset
            offset += row.count("\n")
            if not row.strip():
                continue
            tag = re.search(r"\\tag\*?\{([^}]*)\}", row)
            if tag:
                number = tag.group(1)
            elif starred or re.search(r"\\(nonumber|notag)\b", row):
                continue
            else:
                counter += 1
                number = str(counter)
            row = re.sub(r"\\tag\*?\{[^}]*\}", "", row)
            exact = " ".join(re.sub(r"\\(label|nonumber|notag)\b(\{[^}]*\})?|(?<!\\)%.*", "", row).split())
            found.append({"number": number, "text": detex(row), "latex": exact, "line": line})
    return found
