r"""`paper2code analyze arXiv:ID`: the source and PDF fetched from a local stand-in for arXiv.

`paper2code.analysis.arxiv.stand_in` (a `http.server` in a thread of this
process) serves ``/e-print/<id>`` and ``/pdf/<id>`` from fixtures made here (a tar.gz of a main .tex with an
``\\input``, a single gzipped .tex, a corrupt archive) and the sample PDF;
``PAPER2CODE_ARXIV_URL`` points the command at it, ``PAPER2CODE_CACHE`` at a
temporary folder.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile

import pytest

from paper2code.analysis import sample_paper
from paper2code.analysis.arxiv import arxiv_id, stand_in
from paper2code.analysis.convert import PaperError, main_tex
from paper2code.scoring.rubric import load_rubric
from tests.analysis.test_cli import assert_refused, snapshot
from tests.analysis.test_cli import run as run  # noqa: F401 - the command-running fixture

TEX = sample_paper("tex").read_text()
METHOD_START, METHOD_END = TEX.index(r"\section{Method}"), TEX.index(r"\section{Architecture}")


def tarball(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def broken_tar() -> bytes:
    """A tar whose first header's checksum is wrong."""
    data = bytearray(gzip.decompress(tarball({"paper.tex": TEX})))
    data[148:156] = b"9999999\x00"
    return bytes(data)


# The sample paper split as authors split theirs: the method section in its own file.
SPLIT = {
    "paper.tex": TEX[:METHOD_START] + "\\input{sections/method}\n\\input{../escape}\n" + TEX[METHOD_END:],
    "sections/method.tex": TEX[METHOD_START:METHOD_END],
    "../escape.tex": "evil",  # a member outside the archive: never read, never written
}
PDF = sample_paper("pdf").read_bytes()
PAPERS = {  # id -> (e-print, PDF)
    "2401.00001": (tarball(SPLIT), PDF),
    "2401.00002v2": (gzip.compress(TEX.encode()), PDF),
    "2401.00003": (gzip.compress(b"\x00\x01 not a tar" * 100)[:-40], PDF),  # truncated gzip
    "2401.00004": (gzip.compress(broken_tar()), PDF),  # a gzip that holds a broken tar
    "2401.00005": (PDF, PDF),  # submitted as a PDF: no LaTeX
    "2401.00006": (gzip.compress(TEX.encode()), b"<!doctype html><title>Just a moment...</title>"),  # a page
}
HITS: list[str] = []  # the paths requested, in order


@pytest.fixture(scope="module")
def server():
    with stand_in(PAPERS, hits=HITS) as url:
        yield url


@pytest.fixture
def arxiv(server, tmp_path, monkeypatch):
    monkeypatch.setenv("PAPER2CODE_ARXIV_URL", server)
    monkeypatch.setenv("PAPER2CODE_CACHE", str(tmp_path / "cache"))
    HITS.clear()
    return tmp_path


@pytest.fixture(scope="module")
def fetched(server, tmp_path_factory):
    """The tar.gz paper analysed once, through the command: its output folder and cache."""
    from paper2code.cli import main

    root = tmp_path_factory.mktemp("arxiv")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PAPER2CODE_ARXIV_URL", server)
        mp.setenv("PAPER2CODE_CACHE", str(root / "cache"))
        assert main(["analyze", "arXiv:2401.00001", "-o", str(root / "out")]) == 0
    return root


def test_the_tarball_is_analysed_from_its_latex_with_inputs_inlined(fetched):
    paper = (fetched / "out/paper.md").read_text()
    assert r"\input{sections/method}" not in paper and r"\begin{algorithm}" in paper  # inlined
    assert "evil" not in paper and r"\input{../escape}" in paper  # outside the archive: ignored
    rubric = load_rubric(fetched / "out/rubric.yaml")
    assert rubric.arxiv == "2401.00001"
    assert rubric.leaf("eq-2").text == r"r_t = M_t q_t / \sqrt{d_k}"  # exact LaTeX
    assert rubric.leaf("eq-5").text == r"\mathcal{L} = \mathrm{CE}(y, \hat y) + \lambda \lVert M_T \rVert_F^2"
    assert rubric.leaf("hp-warmup_steps").value == 4000
    cache = fetched / "cache/arxiv/2401.00001"
    assert sorted(p.name for p in cache.iterdir()) == ["e-print", "paper.pdf"]
    assert not list(fetched.rglob("*escape*"))


def test_a_second_run_reads_the_cache_without_the_network(fetched, monkeypatch, capfd):
    from paper2code.cli import main

    monkeypatch.setenv("PAPER2CODE_ARXIV_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("PAPER2CODE_CACHE", str(fetched / "cache"))
    assert main(["analyze", "https://arxiv.org/abs/2401.00001", "--json"]) == 0
    outline = json.loads(capfd.readouterr().out)
    assert outline["equations"][1]["latex"] == r"r_t = M_t q_t / \sqrt{d_k}"


@pytest.mark.parametrize("ref", ["arXiv:2401.00002v2", "https://arxiv.org/pdf/2401.00002v2",
                                 "https://arxiv.org/abs/2401.00002v2", "http://arxiv.org/pdf/2401.00002v2.pdf"])
def test_a_single_gzipped_tex_in_every_spelling(arxiv, ref, monkeypatch):
    from paper2code.cli import main

    monkeypatch.chdir(arxiv)
    assert main(["analyze", ref]) == 0
    rubric = load_rubric(arxiv / "2401.00002v2-analysis/rubric.yaml")
    assert rubric.leaf("eq-1").text.startswith(r"M_t = \gamma M_{t-1}")
    assert HITS == ["/e-print/2401.00002v2", "/pdf/2401.00002v2"]


@pytest.mark.parametrize("ref, url, message", [
    ("arXiv:2401.09999", None, "arXiv has no paper 2401.09999"),
    ("arXiv:2401.00003", None, "corrupt source archive: not a readable gzip file"),
    ("arXiv:2401.00004", None, "corrupt source archive: not a readable tar file"),
    ("arXiv:2401.00001", "http://127.0.0.1:9", "cannot reach arXiv at http://127.0.0.1:9/e-print/2401.00001"),
    ("arXiv:not-an-id", None, "'not-an-id' is not an arXiv id"),
    ("arXiv:2401.00006", None, "arXiv sent something that is not a PDF for 2401.00006"),
])
def test_bad_inputs_get_one_line_exit_2_and_nothing_written(arxiv, run, ref, url, message, monkeypatch):
    if url:
        monkeypatch.setenv("PAPER2CODE_ARXIV_URL", url)
    before = snapshot(arxiv)
    result = run(ref, cwd=arxiv)
    assert_refused(result, message)
    if url:
        assert "paper2code analyze PAPER.pdf" in result.stderr  # the way round, offline
    assert snapshot(arxiv) == before  # no output folder, nothing left in the cache


def test_main_tex_is_the_file_with_a_document():
    files = {"macros.tex": "\\documentclass{article}", "a/paper.tex": "\\documentclass{x}\n\\begin{document}\n"
             "\\input{intro}\n\\input{/etc/passwd}\n\\end{document}", "a/intro.tex": "Intro."}
    text = main_tex(files)
    assert "Intro." in text and "\\input{/etc/passwd}" in text  # absent file: left as written
    with pytest.raises(PaperError, match="no main .tex"):
        main_tex({"macros.tex": "\\newcommand{\\x}{y}"})
    assert arxiv_id("https://arxiv.org/abs/hep-th/9901001v1") == "hep-th/9901001v1"
    assert arxiv_id("paper.pdf") is None


def test_new_from_the_arxiv_analysis_seeds_stubs_for_the_tree(fetched, tmp_path):
    from paper2code.project.scaffold import create_project

    project = create_project("dma_repro", tmp_path / "dma_repro", analysis=fetched / "out")
    stubs = (project / "tests/test_paper.py").read_text()
    compile(stubs, "test_paper.py", "exec")
    for leaf in ("eq-2", "alg-1", "claim-2-1", "hp-warmup_steps"):
        assert f'@pytest.mark.paper("{leaf}")' in stubs
    assert r"r_t = M_t q_t / \sqrt{d_k}" in (project / "docs/ALGORITHMS.md").read_text()
    assert "  warmup_steps: 4000" in (project / "configs/paper.yaml").read_text()


def test_a_paper_submitted_as_pdf_is_analysed_from_its_pdf(arxiv, run):
    result = run("arXiv:2401.00005", "-o", arxiv / "out", cwd=arxiv)
    assert result.returncode == 0, result.stderr
    assert "arXiv:2401.00005 has no LaTeX source; analysing its PDF" in result.stderr
    rubric = load_rubric(arxiv / "out/rubric.yaml")
    assert rubric.arxiv == "2401.00005" and rubric.leaf("eq-2").text == "rt = Mt qt / √dk"


def test_tables_come_from_the_pdf_where_it_reads_their_cells(fetched, monkeypatch):
    """The LaTeX path only sees references to tables; the PDF's reading adds their cells."""
    import paper2code.analysis as analysis
    from paper2code.analysis import analyze_arxiv

    read = {"number": "1", "caption": "Table 1. Hyperparameters", "header": ["Parameter", "Value"],
            "rows": [["Heads", "8"]], "setup": True, "location": {"page": 2, "section": "4", "line": 9}}
    extra = {**read, "number": "7", "rows": [["DMA", "91.0"]], "setup": False, "text": "Table 7", "mentions": 0}
    pdf = analysis.analyze(sample_paper("pdf"))
    pdf.outline.tables = [read, extra, {**extra, "number": None}]
    monkeypatch.setattr(analysis, "analyze", lambda *args, **kwargs: pdf)
    monkeypatch.setenv("PAPER2CODE_ARXIV_URL", "http://127.0.0.1:9")  # from the cache
    monkeypatch.setenv("PAPER2CODE_CACHE", str(fetched / "cache"))
    tables = analyze_arxiv("2401.00001").outline.tables
    assert [(t["number"], t.get("rows"), t["mentions"]) for t in tables] == [
        ("1", [["Heads", "8"]], 2), ("7", [["DMA", "91.0"]], 0), (None, [["DMA", "91.0"]], 0)]
