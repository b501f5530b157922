r"""Render the sample paper's LaTeX (paper.tex) to paper.pdf, without LaTeX.

LaTeX is not installed on the machines this project runs on, so this script
typesets the small subset of LaTeX that paper.tex uses with fpdf2: title,
abstract, numbered sections, definition/lemma, equation and align (numbered
at the right margin), algorithm/algorithmic, a tabular table, and paragraphs
with inline math. Subscripts and superscripts in prose are set as real
smaller, shifted text, so the PDF's extracted text is as messy as a real
paper's (``d =512``, ``10−9``).

    uv run python src/paper2code/analysis/sample/build_pdf.py

The font is DejaVu Sans from matplotlib's data folder (a PyPI package), so no
system font is needed. The output is deterministic: a test rebuilds it and
compares it with the committed paper.pdf.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

_SYMBOLS = {
    r"\gamma": "γ", r"\beta": "β", r"\epsilon": "ε", r"\lambda": "λ", r"\sigma": "σ", r"\eta": "η",
    r"\odot": "⊙", r"\top": "T", r"\in": "∈", r"\le": "≤", r"\cdot": "·", r"\times": "×",
    r"\gets": "←", r"\dots": "…", r"\mathcal{L}": "L", r"\lVert": "‖", r"\rVert": "‖",
    r"\sqrt": "√", r"\hat y": "ŷ", r"\,": " ", r"\_": "_", "~": " ",
}


def _math_plain(tex: str) -> str:
    """Inline/display math as plain Unicode, sub/superscripts flattened."""
    for k, v in sorted(_SYMBOLS.items(), key=lambda kv: -len(kv[0])):
        tex = tex.replace(k, v)
    tex = re.sub(r"\\mathrm\{([^}]*)\}", r"\1", tex)
    tex = re.sub(r"\^\{-(\d+)\}", lambda m: "−" + m.group(1), tex)
    tex = re.sub(r"[_^]\{([^}]*)\}", r"\1", tex)
    tex = re.sub(r"[_^](\w)", r"\1", tex)
    return tex.replace("{", "").replace("}", "").replace("\\", "")


def _math_html(tex: str) -> str:
    """Inline math as HTML with real <sub>/<sup>, for prose."""
    for k, v in sorted(_SYMBOLS.items(), key=lambda kv: -len(kv[0])):
        tex = tex.replace(k, v)
    tex = re.sub(r"\\mathrm\{([^}]*)\}", r"\1", tex)
    tex = re.sub(r"\^\{-([^}]*)\}", r"<sup>−\1</sup>", tex)
    tex = re.sub(r"\^\{([^}]*)\}", r"<sup>\1</sup>", tex)
    tex = re.sub(r"_\{([^}]*)\}", r"<sub>\1</sub>", tex)
    tex = re.sub(r"_(\w)", r"<sub>\1</sub>", tex)
    tex = re.sub(r"\^(\w)", r"<sup>\1</sup>", tex)
    return tex.replace("{", "").replace("}", "").replace("\\", "")


def _prose_html(text: str) -> str:
    text = re.sub(r"\\ref\{[^}]*\}", "2", text)
    parts = re.split(r"(\$[^$]*\$)", text)
    out = []
    for part in parts:
        if part.startswith("$"):
            out.append(_math_html(part[1:-1]))
        else:
            out.append(html.escape(part.replace(r"\_", "_").replace("~", " ")))
    return " ".join("".join(out).split())


class _Renderer:
    def __init__(self):
        import matplotlib
        from fpdf import FPDF

        fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        self.pdf = FPDF(format="A4")
        self.pdf.set_creation_date(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        self.pdf.add_font("dejavu", "", str(fonts / "DejaVuSans.ttf"))
        self.pdf.add_font("dejavu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
        self.pdf.add_font("dejavu", "I", str(fonts / "DejaVuSans-Oblique.ttf"))
        self.pdf.add_font("dejavu", "BI", str(fonts / "DejaVuSans-BoldOblique.ttf"))
        self.pdf.set_margins(22, 20, 22)
        self.pdf.add_page()
        self.pdf.set_font("dejavu", size=10)
        self.eq = 0

    def paragraph(self, text: str, bold_lead: str = "") -> None:
        lead = f"<b>{html.escape(bold_lead)}</b> " if bold_lead else ""
        self.pdf.write_html(f"<p>{lead}{_prose_html(text)}</p>", font_family="dejavu")

    def heading(self, text: str, size: int = 12) -> None:
        self.pdf.ln(2)
        self.pdf.set_font("dejavu", "B", size)
        self.pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font("dejavu", "", 10)
        self.pdf.ln(1)

    def equation(self, tex: str) -> None:
        self.eq += 1
        width = self.pdf.w - self.pdf.l_margin - self.pdf.r_margin
        self.pdf.set_font("dejavu", "I", 10)
        self.pdf.cell(width - 15, 7, _math_plain(tex), align="C")
        self.pdf.set_font("dejavu", "", 10)
        self.pdf.cell(15, 7, f"({self.eq})", align="R", new_x="LMARGIN", new_y="NEXT")

    def line(self, text: str, indent: float = 0, style: str = "") -> None:
        self.pdf.set_font("dejavu", style, 9.5)
        self.pdf.set_x(self.pdf.l_margin + indent)
        self.pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font("dejavu", "", 10)


def _env(body: str, name: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(1)) for m in re.finditer(
        rf"\\begin\{{{name}\}}(.*?)\\end\{{{name}\}}", body, re.DOTALL)]


def render(tex: str):
    """Typeset the LaTeX subset of paper.tex; returns the fpdf2 document."""
    r = _Renderer()
    title = re.search(r"\\title\{(.+?)\}", tex).group(1)
    author = re.search(r"\\author\{(.+?)\}", tex).group(1)
    body = tex.split(r"\begin{document}")[1].split(r"\end{document}")[0]
    body = re.sub(r"(?m)^%.*\n", "", body)

    # Split the body into blocks: environments, sections, and paragraphs between them.
    pattern = re.compile(
        r"\\maketitle|\\section\{(?P<section>[^}]*)\}|\\label\{[^}]*\}"
        r"|\\begin\{(?P<env>abstract|definition|lemma|equation|align|algorithm|table)\}(?:\[(?P<opt>[^\]]*)\])?"
        r"(?P<body>.*?)\\end\{(?P=env)\}",
        re.DOTALL,
    )
    counters = {"section": 0, "definition": 0, "lemma": 0, "algorithm": 0, "table": 0}
    pos = 0
    for m in pattern.finditer(body):
        for para in re.split(r"\n\s*\n", body[pos : m.start()]):
            if para.strip():
                r.paragraph(" ".join(para.split()))
        pos = m.end()
        token, env = m.group(0), m.group("env")
        if token == r"\maketitle":
            r.heading(title, 15)
            r.line(author, style="I")
            r.pdf.ln(3)
        elif m.group("section") is not None:
            counters["section"] += 1
            r.heading(f"{counters['section']} {m.group('section')}")
        elif env == "abstract":
            r.heading("Abstract", 11)
            r.paragraph(" ".join(m.group("body").split()))
        elif env in ("definition", "lemma"):
            counters[env] += 1
            opt = f" ({m.group('opt')})" if m.group("opt") else ""
            r.paragraph(" ".join(m.group("body").split()), bold_lead=f"{env.capitalize()} {counters[env]}{opt}.")
        elif env == "equation":
            r.equation(re.sub(r"\\label\{[^}]*\}", "", m.group("body")).strip())
        elif env == "align":
            for row in m.group("body").split(r"\\"):
                if row.strip():
                    r.equation(row.replace("&", "").strip())
        elif env == "algorithm":
            counters["algorithm"] += 1
            caption = re.search(r"\\caption\{(.+?)\}\n", m.group("body")).group(1)
            r.pdf.ln(2)
            r.line(f"Algorithm {counters['algorithm']} {caption}", style="B")
            step, depth = 0, 0
            for raw in m.group("body").splitlines():
                s = raw.strip()
                comment = re.search(r"\\Comment\{(.*)\}", s)
                s = re.sub(r"\\Comment\{.*\}", "", s).strip()
                text = None
                if s.startswith(r"\Require"):
                    r.line("Require: " + _math_plain(s[len(r"\Require"):].strip().replace("$", "")))
                    continue
                if s.startswith(r"\State"):
                    text = _math_plain(s[len(r"\State"):].strip().replace(r"\Return", "return").replace("$", ""))
                elif s.startswith(r"\For"):
                    text = "for " + _math_plain(re.sub(r"\\For\{(.*)\}", r"\1", s).replace("$", "")) + " do"
                elif s.startswith(r"\EndFor"):
                    depth -= 1
                    text = "end for"
                if text is None:
                    continue
                step += 1
                if comment:
                    text += "   ▷ " + comment.group(1)
                r.line(f"{step}:  " + "    " * max(depth, 0) + text)
                if s.startswith(r"\For"):
                    depth += 1
            r.pdf.ln(2)
        elif env == "table":
            counters["table"] += 1
            caption = re.search(r"\\caption\{(.+?)\}", m.group("body")).group(1)
            r.line(f"Table {counters['table']}: {caption}", style="B")
            tabular = re.search(r"\\begin\{tabular\}\{\w+\}(.*?)\\end\{tabular\}", m.group("body"), re.DOTALL).group(1)
            for row in tabular.split(r"\\"):
                cells = [c.strip() for c in row.replace(r"\hline", "").split("&")]
                if any(cells):
                    r.pdf.set_x(r.pdf.l_margin + 10)
                    r.pdf.cell(50, 5, cells[0])
                    r.pdf.cell(30, 5, cells[1] if len(cells) > 1 else "", new_x="LMARGIN", new_y="NEXT")
            r.pdf.ln(2)
    return r.pdf


def build(tex_path: Path = HERE / "paper.tex", pdf_path: Path = HERE / "paper.pdf") -> Path:
    render(tex_path.read_text(encoding="utf-8")).output(str(pdf_path))
    return pdf_path


if __name__ == "__main__":
    print(build(*map(Path, sys.argv[1:3])))
