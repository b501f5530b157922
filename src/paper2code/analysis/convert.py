r"""Turn a paper into text: PDF, HTML or .docx through markitdown, LaTeX as it is.

PDFs go through markitdown with `paper2code.analysis.pdf.PaperPdfConverter`
registered ahead of its stock converter; `Conversion.stock` gives what stock
markitdown makes of the same file, for comparison.

The input is checked by its *content*, not its name: a text file named
``.pdf`` or an image named ``paper.pdf`` is refused with a one-line reason
(`PaperError`), as are empty files, encrypted or truncated PDFs, and
PDFs with no extractable text (scanned pages).

LaTeX source (``.tex``, or an arXiv source bundle ``.tar.gz``) is the best
input when it exists: equations, algorithm environments and tables are
intact, where a PDF's text has lost subscripts, spaces and layout.

[`clean_text`][paper2code.analysis.convert.clean_text] removes the common
artefacts of PDF text extraction; the raw conversion is kept beside it.
"""

from __future__ import annotations

import gzip
import io
import re
import tarfile
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

__all__ = ["Conversion", "PaperError", "clean_text", "convert_paper", "detect_kind", "main_tex", "read_source", "tex_files"]


class PaperError(Exception):
    """A paper that cannot be converted; the message is one line for the user."""


@dataclass
class Conversion:
    """A converted paper."""

    kind: str  # "pdf", "html", "docx", "tex" or "markdown"
    raw: str  # the converter's output, untouched
    text: str  # the cleaned text that extraction reads
    pages: int | None = None  # pages of a PDF (form feeds in its text)
    path: Path | None = None  # the paper

    def stock(self) -> str:
        """What stock markitdown makes of the paper (for a PDF: slow, pdfminer)."""
        if self.kind != "pdf" or self.path is None:
            return self.raw
        return _markitdown(self.path, "pdf", stock=True)


_TEXT_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "markdown", ".tex": "tex"}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_IMAGE_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"II*\x00": "a TIFF image",
    b"MM\x00*": "a TIFF image",
    b"RIFF": "a RIFF (WebP/WAV) file",
}


def _looks_like_text(data: bytes) -> bool:
    sample = data[:8192]
    if sample.count(b"\x00") > len(sample) // 100:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(sample) - 4:  # not just a cut multi-byte character at the end
            return False
    printable = sum(32 <= b < 127 or b in (9, 10, 13) or b >= 128 for b in sample)
    return printable >= 0.95 * len(sample)


def detect_kind(path: Path, data: bytes) -> str:
    """Decide how to convert ``data`` (the file's bytes), or raise PaperError."""
    suffix = path.suffix.lower()
    name = path.name.lower()
    if not data.strip():
        raise PaperError("the file is empty")
    for magic, what in _IMAGE_MAGIC.items():
        if data.startswith(magic):
            raise PaperError(f"this is {what}, not a paper")
    if data.startswith(b"%PDF-"):
        return "pdf"
    if suffix == ".pdf":
        what = "text" if _looks_like_text(data) else "binary data"
        raise PaperError(f"not a PDF: no %PDF header (the file holds {what})")
    if name.endswith((".tar.gz", ".tgz", ".tar")):
        return "tex-bundle"
    if data.startswith(b"PK\x03\x04"):
        if suffix == ".docx":
            return "docx"
        raise PaperError("a ZIP archive is not a paper (expected .docx, .pdf, .html or .tex)")
    if not _looks_like_text(data):
        raise PaperError("unsupported format: binary data that is not a PDF or .docx")
    if suffix in _HTML_SUFFIXES or data.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        return "html"
    if suffix in _TEXT_SUFFIXES:
        return _TEXT_SUFFIXES[suffix]
    if rb"\documentclass" in data or rb"\begin{document}" in data:
        return "tex"
    raise PaperError(f"unsupported file type {suffix or '(no extension)'}: use .pdf, .html, .docx, .tex or .md")


def _markitdown(path: Path, kind: str, stock: bool = False) -> str:
    """markitdown's Markdown; PDFs through `PaperPdfConverter` unless ``stock``."""
    from markitdown import MarkItDown
    from markitdown._exceptions import MarkItDownException

    from paper2code.analysis.pdf import paper_markitdown

    try:
        md = MarkItDown(enable_plugins=False) if stock else paper_markitdown()
        result = md.convert(str(path))
    except MarkItDownException as err:
        reason = str(err).strip().splitlines()
        detail = next((line for line in reversed(reason) if line.strip()), type(err).__name__)
        if kind == "pdf":  # the converters' own words ("PdfConverter threw PSEOF…") help no reader
            raise PaperError("corrupt or truncated PDF: it cannot be read (is the download complete?)") from None
        raise PaperError(f"cannot convert this {kind} file ({detail[:120]})") from None
    return result.text_content or ""


def _pdf_is_encrypted(data: bytes) -> bool:
    # The trailer (or a cross-reference stream) of an encrypted PDF names /Encrypt.
    return re.search(rb"/Encrypt\s", data) is not None


_MAX_TEX_BYTES = 20_000_000  # one .tex larger than this is not a paper


def _safe(name: str) -> str | None:
    """A member name inside the archive, or None for one that points outside it."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts:
        return None
    return str(PurePosixPath(*[p for p in path.parts if p != "."]))


def _line(err: object) -> str:
    """The first line of an error's message (tarfile's can span several)."""
    return (str(err).strip().splitlines() or [type(err).__name__])[0].rstrip(": ")[:160]


def tex_files(data: bytes) -> dict[str, str] | None:
    """The ``.tex`` files of an e-print (name -> text), None for a PDF; PaperError if unreadable."""
    if data.startswith(b"\x1f\x8b"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:
            raise PaperError(f"corrupt source archive: not a readable gzip file ({_line(err)})") from None
    if data.startswith(b"%PDF-"):
        return None  # submitted as a PDF: there is no LaTeX
    if data[257:262] == b"ustar":  # POSIX and GNU tar headers
        files = {}
        try:
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                for member in tar.getmembers():
                    name = _safe(member.name)
                    if name and member.isfile() and name.endswith(".tex") and member.size <= _MAX_TEX_BYTES:
                        files[name] = tar.extractfile(member).read().decode("utf-8", "replace")  # type: ignore[union-attr]
        except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
            raise PaperError(f"corrupt source archive: not a readable tar file ({_line(err)})") from None
        return files
    if not _looks_like_text(data):
        raise PaperError("corrupt source archive: neither a tar archive nor a .tex file")
    return {"main.tex": data.decode("utf-8", "replace")}  # a single gzipped .tex


_INPUT = re.compile(r"(?<!\\)\\(input|include)\s*(?:\{([^}]*)\}|\s([^\s{}\\%]+))")


def main_tex(files: dict[str, str]) -> str:
    r"""The main file of ``files`` (``\documentclass`` and ``\begin{document}``), inputs inlined.

    ``\input{sec/method}`` is looked up beside the main file and then from the
    archive's root, with ``.tex`` added when the name has no extension; a file
    not in the archive is left as it was. Commented-out inputs stay out.

    Examples:
        >>> files = {"paper.tex": "\\documentclass{article}\n\\begin{document}\n\\input{a}\n%\\input{b}\n\\end{document}",
        ...          "a.tex": "Hello \\include{b}", "b.tex": "world."}
        >>> print(main_tex(files))
        \documentclass{article}
        \begin{document}
        Hello world.
        %\input{b}
        \end{document}
    """
    mains = [n for n, t in files.items() if r"\documentclass" in t and r"\begin{document}" in t]
    if not mains:
        raise PaperError("the source has no main .tex file (none with \\documentclass and \\begin{document})")
    main = sorted(mains, key=lambda n: (n.count("/"), -len(files[n]), n))[0]
    base = PurePosixPath(main).parent

    def find(name: str) -> str | None:
        name = name.strip().strip('"')
        names = [name] if name.endswith(".tex") else [name + ".tex", name]
        for candidate in names:
            for key in (str(base / candidate), _safe(candidate) or ""):
                if key in files:
                    return files[key]
        return None

    def inline(text: str, depth: int) -> str:
        out = []
        for line in text.split("\n"):
            m = re.search(r"(?<!\\)%", line)
            code, comment = (line[: m.start()], line[m.start() :]) if m else (line, "")
            if depth < 10:
                code = _INPUT.sub(lambda m: _inlined(m, find, inline, depth), code)
            out.append(code + comment)
        return "\n".join(out)

    return inline(files[main], 0)


def _inlined(m: re.Match[str], find, inline, depth: int) -> str:
    body = find(m.group(2) or m.group(3))
    return m.group(0) if body is None else inline(body, depth + 1)


def read_source(path: Path) -> str | None:
    """The LaTeX of a cached e-print, None if it is a PDF; PaperError if unreadable."""
    files = tex_files(path.read_bytes())
    return None if files is None else main_tex(files)


def _read_tex_bundle(path: Path) -> str:
    r"""The main .tex file of an arXiv source bundle, with \input files inlined.

    Read as `paper2code analyze arXiv:ID` reads arXiv's e-print: see
    `tex_files` and `main_tex`.
    """
    files = tex_files(path.read_bytes())
    if files is None:
        raise PaperError("the bundle holds a PDF, not LaTeX source")
    return main_tex(files)


#: A PDF with at least this many pages is "long": conversion reports progress.
LONG_DOCUMENT_PAGES = 10


def convert_paper(path: str | Path, progress: Callable[[str], None] | None = None) -> Conversion:
    """Convert the paper at ``path``; raise PaperError with a one-line reason.

    Args:
        path: The paper.
        progress: Called with a message before a long conversion starts (a PDF
            of ``LONG_DOCUMENT_PAGES`` pages or more), after the input checks.
    """
    path = Path(path)
    if not path.exists():
        raise PaperError("no such file")
    if path.is_dir():
        raise PaperError("is a directory, not a paper")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise PaperError(f"cannot read the file ({err.strerror})") from None
    kind = detect_kind(path, data)

    if kind == "pdf":
        if _pdf_is_encrypted(data):
            raise PaperError("the PDF is encrypted; decrypt it first (e.g. qpdf --decrypt)")
        page_objects = len(re.findall(rb"/Type\s*/Page(?!s)", data))  # counted, not parsed
        if progress is not None and page_objects >= LONG_DOCUMENT_PAGES:
            progress(f"converting {path} ({page_objects} pages)…")
        raw = _markitdown(path, "pdf")
        if not raw.strip():
            raise PaperError("no text in this PDF (a scanned paper needs OCR first)")
    elif kind in ("html", "docx"):
        raw = _markitdown(path, kind)
    elif kind == "tex-bundle":
        raw, kind = _read_tex_bundle(path), "tex"
    else:
        raw = data.decode("utf-8", errors="replace")
    if not raw.strip():
        raise PaperError(f"no text could be extracted from this {kind} file")
    marks = len(re.findall(r"^<!-- page \d+ -->$", raw, re.MULTILINE))
    pages = max(marks, raw.strip().strip("\f").count("\f")) + 1 if kind == "pdf" else None
    return Conversion(kind=kind, raw=raw, text=clean_text(raw), pages=pages, path=path)


# --8<-- [start:clean]
_LIGATURES = {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}


def clean_text(text: str) -> str:
    r"""Remove common PDF-extraction artefacts, keeping line and page structure.

    * ``(cid:NN)`` codes of glyphs the PDF had no Unicode for, and NUL bytes;
    * ligatures (ﬁ, ﬂ, …) spelled out;
    * words hyphenated across a line break joined (``implemen-\ntation``),
      the line break kept after the word so that line numbers still match;
    * the Unicode minus (−) and other dashes between digits turned into ``-``;
    * a thin or no-break space between digit groups (``20 000``) turned into a comma;
    * Unicode normalised to NFC.

    Examples:
        >>> clean_text("the ﬁrst implemen-\ntation uses (cid:3)ε = 10−9")
        'the first implementation\nuses ε = 10-9'
    """
    text = text.replace("\x00", "")
    text = re.sub(r"\(cid:\d+\)", "", text)
    for ligature, letters in _LIGATURES.items():
        text = text.replace(ligature, letters)
    # Rejoin "implemen-\ntation": move the rest of the word up, keep the newline.
    text = re.sub(r"([a-z])-\n([a-z]+[^\s]*)([ \t]?)", r"\1\2\n", text)
    text = text.replace("\u2212", "-")  # Unicode minus
    text = re.sub(r"(?<=\d)[\u2009\u202f\u00a0](?=\d{3}(?!\d))", ",", text)  # 20 000 (thin space) -> 20,000
    text = re.sub(r"(?<=[\d\s(=^])[\u2013\u2012\u2010](?=\d)", "-", text)  # dashes before digits
    return unicodedata.normalize("NFC", text)
# --8<-- [end:clean]

