"""`paper2code analyze` as a reader runs it: its exit code, its stdout and stderr.

The tests call the command's ``main`` in this process, with the output captured at
the file descriptors (what a C library writes there is seen too); one test runs the
installed program in a subprocess, as a shell does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from paper2code.analysis import analyze, sample_paper, write_outputs
from paper2code.cli import main


@pytest.fixture
def run(capfd, monkeypatch):
    """``run(*args, cwd=...)``: ``paper2code analyze ARGS`` -> its exit code and output."""

    def run(*args, cwd):
        monkeypatch.chdir(cwd)
        capfd.readouterr()
        try:
            code = main(["analyze", *map(str, args)])
        except SystemExit as exit:  # argparse's usage errors
            code = exit.code
        out, err = capfd.readouterr()
        return subprocess.CompletedProcess(["paper2code", "analyze", *map(str, args)], code, out, err)

    return run


def test_the_installed_command_refuses_bad_input_and_writes_json(tmp_path):
    program = Path(sys.executable).with_name("paper2code")  # the console script uv installed
    result = subprocess.run([program, "analyze", tmp_path / "nope.pdf"], capture_output=True, text=True)
    assert_refused(result, "no such file")
    result = subprocess.run([program, "analyze", sample_paper("tex"), "--json"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["equations"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_refused(result, *fragments):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def make_encrypted_pdf(path: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="user")
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="secret paper")
    pdf.output(str(path))
    return path


def put(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def folder(path: Path) -> Path:
    path.mkdir()
    return path


BAD_INPUTS = {
    "missing": (lambda d: d / "nope.pdf", "no such file"),
    "directory": (lambda d: folder(d / "folder"), "directory"),
    "empty": (lambda d: put(d / "empty.pdf", b""), "empty"),
    "random bytes": (lambda d: put(d / "noise.bin", bytes(range(256)) * 40), "binary"),
    "random bytes named .pdf": (lambda d: put(d / "noise.pdf", os.urandom(4096)), "not a PDF"),
    "image": (lambda d: put(d / "fig.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64), "PNG image"),
    "text named .pdf": (lambda d: put(d / "notes.pdf", b"just some notes\n"), "not a PDF"),
    "truncated PDF": (lambda d: put(d / "cut.pdf", sample_paper("pdf").read_bytes()[:1500]), "corrupt or truncated PDF"),
    "encrypted PDF": (lambda d: make_encrypted_pdf(d / "locked.pdf"), "encrypted"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_gets_one_line_exit_2_and_writes_nothing(tmp_path, case, run):
    make, message = BAD_INPUTS[case]
    paper = make(tmp_path)
    before = snapshot(tmp_path)
    result = run(paper, "-o", tmp_path / "out", cwd=tmp_path)
    assert_refused(result, message, str(paper))
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "out").exists()


def test_a_truncated_pdf_is_named_without_a_librarys_internals(tmp_path, run):
    data = sample_paper("pdf").read_bytes()
    for size in (1500, len(data) // 2, len(data) - 200):
        paper = put(tmp_path / f"cut{size}.pdf", data[:size])
        result = run(paper, "-o", tmp_path / "out", cwd=tmp_path)
        assert_refused(result, "corrupt or truncated PDF", str(paper))
        reason = result.stderr.split(f"{paper}: ", 1)[1]
        assert not re.search(r"threw|PSEOF|Exception|Error|pdfminer|pdfium|markitdown", reason, re.I), reason
        assert not (tmp_path / "out").exists()


def test_output_folder_that_cannot_be_written(tmp_path, run):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    result = run(sample_paper("tex"), "-o", blocker / "out", cwd=tmp_path)
    assert_refused(result, "is a file")
    assert blocker.read_text() == "x"


def test_existing_outputs_are_not_overwritten_without_force(tmp_path, run):
    out = tmp_path / "out"
    assert run(sample_paper("tex"), "-o", out, cwd=tmp_path).returncode == 0
    (out / "checklist.md").write_text("my notes")
    before = snapshot(out)
    assert_refused(run(sample_paper("tex"), "-o", out, cwd=tmp_path), "already exists", "--force")
    assert snapshot(out) == before
    assert run(sample_paper("tex"), "-o", out, "--force", cwd=tmp_path).returncode == 0
    assert (out / "checklist.md").read_text().startswith("# Implementation checklist")


def test_writes_paper_and_checklist_and_raw_on_request(tmp_path, run):
    result = run(sample_paper("pdf"), "-o", tmp_path / "plain", cwd=tmp_path)
    assert sorted(p.name for p in (tmp_path / "plain").iterdir()) == ["checklist.md", "paper.md", "rubric.yaml"]
    result = run(sample_paper("pdf"), "-o", tmp_path / "out", "--raw", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["checklist.md", "paper.md", "paper.raw.md", "rubric.yaml"]
    assert result.stdout == ""
    assert "wrote" in result.stderr
    raw = (tmp_path / "out" / "paper.raw.md").read_text()
    assert raw != (tmp_path / "out" / "paper.md").read_text()  # stock markitdown's own text


def test_json_goes_to_stdout_alone(tmp_path, run):
    result = run(sample_paper("tex"), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)  # nothing but JSON on stdout
    assert list(data)[:7] == ["title", "algorithms", "definitions", "equations", "architecture",
                              "hyperparameters", "sections"]
    for key in ("algorithms", "definitions", "equations", "architecture", "hyperparameters", "sections"):
        assert data[key] and all("text" in item and "location" in item for item in data[key]), key
    assert all("number" in e for e in data["equations"])
    assert all({"name", "value", "source"} <= set(h) for h in data["hyperparameters"])
    assert list(tmp_path.iterdir()) == []  # --json alone writes no files


def test_default_output_folder_is_named_after_the_paper(tmp_path, run):
    paper = tmp_path / "mypaper.tex"
    shutil.copy(sample_paper("tex"), paper)
    assert run(paper, cwd=tmp_path).returncode == 0
    assert (tmp_path / "mypaper-analysis" / "checklist.md").is_file()


def test_interrupt_while_writing_leaves_no_partial_files(tmp_path, monkeypatch):
    analysis = analyze(sample_paper("tex"))
    out = tmp_path / "out"
    calls = {"n": 0}
    original = Path.write_text

    def interrupted(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_outputs(analysis, out)
    assert not out.exists()  # the folder it created is gone, with the temporary file


def test_interrupt_keeps_existing_outputs_whole(tmp_path, monkeypatch):
    analysis = analyze(sample_paper("tex"))
    out = tmp_path / "out"
    write_outputs(analysis, out)
    before = snapshot(out)

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_text", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_outputs(analysis, out)
    assert snapshot(out) == before


def test_long_documents_show_progress_on_stderr_only(tmp_path, run):
    from .conftest import make_pdf

    paper = make_pdf(tmp_path / "long.pdf", [[f"{i} Section {i}", "We use a learning rate of 0.01."] for i in range(1, 13)])
    result = run(paper, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "converting" in result.stderr and "(12 pages)" in result.stderr
    assert json.loads(result.stdout)["hyperparameters"]  # stdout is still nothing but the JSON
