"""Each extraction type, on generated PDFs and on text as PDFs leave it."""

from __future__ import annotations

import io
import tarfile
import zipfile

from paper2code.analysis import analyze
from paper2code.analysis.convert import clean_text
from paper2code.analysis.extract import extract_outline
from paper2code.analysis.hyperparameters import find_hyperparameters, parse_value


def values(outline):
    return {(h["name"], h["value"]) for h in outline.hyperparameters}


def test_algorithms_from_a_pdf(pdf):
    path = pdf([
        "2 Method",
        "Algorithm 1 Stochastic gradient descent with momentum",
        "Require: learning rate η, momentum μ",
        "1: v ← 0",
        "2: for t = 1 to T do",
        "3: v ← μ v + g (Eq. (2))",
        "4: end for",
        "",
        "",
        "As Algorithm 1 shows, the update is cheap.",
    ])
    (algo,) = analyze(path).outline.algorithms
    assert algo["number"] == 1 and algo["title"].startswith("Stochastic gradient descent")
    assert algo["steps"][0].startswith("Require") and "4: end for" in algo["steps"]
    assert algo["location"]["page"] == 1 and algo["location"]["section"] == "2 Method"


def test_a_mention_is_not_an_algorithm(pdf):
    path = pdf(["Algorithm 2 shows that the method converges.", "It is fast.", "We stop."])
    assert analyze(path).outline.algorithms == []


def test_definitions_and_results_from_a_pdf(pdf):
    path = pdf([
        "Definition 1 (Smoothness). A function f is L-smooth if its gradient is L-Lipschitz.",
        "",
        "Theorem 2. Gradient descent with step 1/L converges.",
        "",
        "Lemma 3.1 (Descent). The loss decreases at every step.",
        "Proposition 4: The bound is tight.",
    ])
    defs = {(d["kind"], d["number"], d["title"]) for d in analyze(path).outline.definitions}
    assert defs == {
        ("definition", "1", "Smoothness"), ("theorem", "2", ""),
        ("lemma", "3.1", "Descent"), ("proposition", "4", ""),
    }


def test_numbered_equations_from_a_pdf(pdf):
    path = pdf([
        "FFN(x) = max(0, xW1 + b1)W2 + b2                      (2)",
        "lrate = d^-0.5 · min(step^-0.5, step · warmup^-1.5)",
        "(3)",
        "This result was shown in (Smith, 2019) and in Eq. (4)",
        "We list three cases (1)",
    ])
    eqs = {e["number"]: e["text"] for e in analyze(path).outline.equations}
    assert set(eqs) == {"2", "3"}
    assert eqs["2"].startswith("FFN(x) = max(0, xW1 + b1)W2 + b2")
    assert eqs["3"].startswith("lrate = d^-0.5")


def test_architecture_components_from_a_pdf(pdf):
    path = pdf([
        "The encoder maps the input to a sequence of embeddings. Each of the N layers",
        "has multi-head attention and a feed-forward network, with a residual",
        "connection and layer normalization around each.",
    ])
    comps = {c["text"]: c for c in analyze(path).outline.architecture}
    for name in ("encoder", "embedding", "layer", "multi-head attention", "feed-forward network",
                 "residual connection", "layer normalisation"):
        assert name in comps, name
    assert comps["encoder"]["location"]["line"] == 1


def test_hyperparameters_from_prose_tables_and_messy_pdf_text(pdf):
    path = pdf([
        "We used the Adam optimizer with β1 = 0.9, β2 =0.98 and ε =10−9.",
        "The learning rate of 0.001 was warmed up with warmup_steps = 4000.",
        "We apply dropout rate P_drop = 0.1 and trained for 100K steps with batch size 64.",
        "The big model has d =1024 and 213M parameters; lr 3 × 10⁻⁴ for fine-tuning.",
        "for i = 1 to n do",
    ])
    found = {(h["name"], h["numeric"]) for h in analyze(path).outline.hyperparameters}
    for expected in [
        ("β1", 0.9), ("β2", 0.98), ("ε", 1e-9), ("learning rate", 0.001), ("warmup_steps", 4000),
        ("dropout rate P_drop", 0.1), ("steps", 1e5), ("batch size", 64), ("d", 1024),
        ("parameters", 213e6), ("lr", 3e-4),
    ]:
        assert expected in found, expected
    assert not any(name == "i" for name, _ in found)


def test_hyperparameters_from_markdown_tables():
    lines = [
        "| Parameter | Value |", "|---|---|", "| Learning rate | 1e-4 |", "| Batch size | 32 |", "",
        "| Model | N | d_model | P_drop |", "|---|---|---|---|", "| base | 6 | 512 | 0.1 |", "| big | 6 | 1024 | 0.3 |",
    ]
    found = {(h["name"], h["value"]) for h in find_hyperparameters(lines)}
    assert {("Learning rate", "1e-4"), ("Batch size", "32"), ("d_model (base)", "512"),
            ("P_drop (big)", "0.3"), ("N (big)", "6")} <= found


def test_sections_from_markdown_numbered_and_named_headings():
    text = "# A Paper\n\nAbstract\n\n1 Introduction\ntext\n\n3.2 Scaled Dot-Product Attention\n\n## Results\n"
    assert [s["text"] for s in extract_outline(text).sections] == [
        "A Paper", "Abstract", "1 Introduction", "3.2 Scaled Dot-Product Attention", "Results",
    ]


def test_tables_and_figures_referred_to():
    outline = extract_outline("See Table 3 and Figure 1.\nTable 3 again, and Fig. 2.")
    assert {t["text"]: t["mentions"] for t in outline.tables} == {"Table 3": 2}
    assert {f["text"] for f in outline.figures} == {"Figure 1", "Figure 2"}


def test_latex_environments():
    tex = r"""\documentclass{article}
\newtheorem{thm}{Theorem}
\begin{document}
\section{Model}
\begin{thm}[Convergence] It converges. \end{thm}
\begin{align}
a &= b \label{x} \\
c &= d \nonumber \\
e &= f \tag{7}
\end{align}
\begin{equation*} g = h \end{equation*}
\begin{equation} i = j \end{equation}
We set $\beta_1 = 0.9$ and a learning rate of $10^{-3}$.
\begin{algorithm}
\caption{Training}
\begin{algorithmic}
\State $\theta \gets 0$
\end{algorithmic}
\end{algorithm}
\end{document}"""
    outline = extract_outline(tex, "tex")
    assert [(e["number"], e["text"]) for e in outline.equations] == [("1", "a = b"), ("7", "e = f"), ("2", "i = j")]
    assert [(d["kind"], d["title"]) for d in outline.definitions] == [("theorem", "Convergence")]
    assert outline.algorithms[0]["text"] == "Algorithm 1: Training"
    assert ("β_1", "0.9") in values(outline) and ("learning rate", "10^-3") in values(outline)
    assert outline.sections[0]["text"] == "1 Model"


def test_html_input(tmp_path):
    page = tmp_path / "abs.html"
    page.write_text(
        "<html><body><h1>A Paper</h1><h2>3 Method</h2><p>We use a learning rate of 0.01.</p>"
        "<p>y = Wx + b (1)</p></body></html>"
    )
    a = analyze(page)
    assert a.conversion.kind == "html"
    assert ("learning rate", "0.01") in values(a.outline)
    assert [e["number"] for e in a.outline.equations] == ["1"]


def make_docx(path, paragraphs):
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml", f'<?xml version="1.0"?><w:document {ns}><w:body>{body}</w:body></w:document>')
    return path


def test_docx_input(tmp_path):
    path = make_docx(tmp_path / "paper.docx", ["2 Method", "We train with a batch size of 128.", "Definition 1. A thing."])
    a = analyze(path)
    assert a.conversion.kind == "docx"
    assert ("batch size", "128") in values(a.outline)
    assert a.outline.definitions[0]["number"] == "1"


def test_arxiv_source_bundle(tmp_path):
    files = {
        "paper/main.tex": "\\documentclass{article}\n\\begin{document}\n\\input{sections/method}\n\\end{document}\n",
        "paper/sections/method.tex": "\\section{Method}\nWe use a weight decay of 0.1.\n\\begin{equation} x = y \\end{equation}\n",
    }
    bundle = tmp_path / "2101.00001.tar.gz"
    with tarfile.open(bundle, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    a = analyze(bundle)
    assert a.conversion.kind == "tex"
    assert ("weight decay", "0.1") in values(a.outline)
    assert [e["number"] for e in a.outline.equations] == ["1"]


def test_clean_text_fixes_pdf_artefacts_and_keeps_lines():
    raw = "The (cid:12)ﬁnal implemen-\ntation uses ﬂoat32,\x00 ε = 10−9 and −3.5."
    cleaned = clean_text(raw)
    assert cleaned == "The final implementation\nuses float32, ε = 10-9 and -3.5."
    assert cleaned.count("\n") == raw.count("\n")


def test_parse_value_forms():
    assert parse_value("65M") == 65e6
    assert parse_value("3 × 10^-4") == 3e-4
    assert parse_value("10%") == 0.1
    assert parse_value("abc") is None
