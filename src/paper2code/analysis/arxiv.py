r"""``paper2code analyze arXiv:ID``: fetch a paper's LaTeX source and PDF from arXiv.

arXiv serves the source a paper's authors uploaded at ``<base>/e-print/<id>``
(a gzipped tar of the ``.tex`` files, figures and style files; or one gzipped
``.tex`` file; or, for papers uploaded as PDF only, the PDF) and the PDF at
``<base>/pdf/<id>``. ``<base>`` is ``https://arxiv.org`` unless the
environment variable ``PAPER2CODE_ARXIV_URL`` names another (the tests serve
fixtures from a server on 127.0.0.1).

Both downloads are cached under ``PAPER2CODE_CACHE`` (default: the user's
cache folder, ``$XDG_CACHE_HOME/paper2code`` or ``~/.cache/paper2code``), in
``arxiv/<id>/``, so a second run needs no network. Only the standard library
is used (`urllib`).

The archive is read in memory and never extracted: a member named
``../../x.tex`` or ``/etc/x.tex`` cannot write anywhere, and is ignored.
The main file is the ``.tex`` with both ``\documentclass`` and
``\begin{document}``; its ``\input`` and ``\include`` files are inlined.

Every failure is a `PaperError` with one line for the user: arXiv
unreachable (with the PDF path as the way round), an id arXiv does not know,
an archive that is not one, a PDF that is not one. Both downloads are
checked before either is cached, so a failure leaves nothing behind.
"""

from __future__ import annotations

import os
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from paper2code.analysis.convert import PaperError, _line, main_tex, tex_files

__all__ = ["ARXIV_URL", "arxiv_id", "cache_dir", "fetch", "stand_in"]

ARXIV_URL = "https://arxiv.org"
_NEW_ID = r"\d{4}\.\d{4,5}(?:v\d+)?"
_OLD_ID = r"[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?"
_ID = re.compile(rf"(?:{_NEW_ID}|{_OLD_ID})")
_URL = re.compile(rf"(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|e-print)/(?P<id>{_ID.pattern})(?:\.pdf)?/?")


def arxiv_id(paper: str) -> str | None:
    """The arXiv id ``paper`` names (``arXiv:ID`` or an arxiv.org URL), else None.

    Raises `PaperError` for ``arXiv:`` followed by something that is not an id.

    Examples:
        >>> [arxiv_id(p) for p in ("arXiv:1512.03385", "https://arxiv.org/abs/1706.03762v7",
        ...                        "https://arxiv.org/pdf/1706.03762.pdf", "arxiv.org/abs/2106.09685", "paper.pdf")]
        ['1512.03385', '1706.03762v7', '1706.03762', '2106.09685', None]
    """
    text = paper.strip()
    if text[:6].lower() == "arxiv:":
        ident = text[6:].strip()
        if not _ID.fullmatch(ident):
            raise PaperError(f"{ident!r} is not an arXiv id (expected e.g. arXiv:1512.03385 or arXiv:1512.03385v1)")
        return ident
    m = _URL.fullmatch(text)
    return m.group("id") if m else None


def cache_dir() -> Path:
    """Where downloads are kept: ``PAPER2CODE_CACHE``, else the user's cache folder."""
    if os.environ.get("PAPER2CODE_CACHE"):
        return Path(os.environ["PAPER2CODE_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "paper2code"


def _download(url: str, ident: str, what: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "paper2code (https://arxiv.org/help/api)"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            data = response.read()
    except urllib.error.HTTPError as err:
        if err.code == 404:
            raise PaperError(f"arXiv has no paper {ident} ({what}: HTTP 404 from {url})") from None
        raise PaperError(f"arXiv answered HTTP {err.code} for {url}; download the PDF and run "
                         f"`paper2code analyze PAPER.pdf`") from None
    except (urllib.error.URLError, OSError) as err:
        reason = _line(getattr(err, "reason", err))
        raise PaperError(f"cannot reach arXiv at {url} ({reason}); offline? download the PDF "
                         f"and run `paper2code analyze PAPER.pdf`") from None
    if not data:
        raise PaperError(f"arXiv sent an empty {what} for {ident} ({url})")
    return data


def _store(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def fetch(ident: str) -> tuple[Path, Path]:
    """The cached e-print (source) and PDF of ``ident``, downloaded if missing.

    Both are downloaded and checked (the source unpacks to a main ``.tex``
    or is a PDF; the PDF is one) before either is written, so a failure
    leaves nothing in the cache.
    """
    folder = cache_dir() / "arxiv" / ident.replace("/", "_")
    source, pdf = folder / "e-print", folder / "paper.pdf"
    if source.is_file() and pdf.is_file():
        return source, pdf
    base = os.environ.get("PAPER2CODE_ARXIV_URL", ARXIV_URL).rstrip("/")
    source_data = _download(f"{base}/e-print/{ident}", ident, "source")
    files = tex_files(source_data)
    if files is not None:
        main_tex(files)
    pdf_data = _download(f"{base}/pdf/{ident}", ident, "PDF")
    if not pdf_data.startswith(b"%PDF-"):  # e.g. an HTML page in its place
        raise PaperError(f"arXiv sent something that is not a PDF for {ident}; try again later")
    _store(source, source_data)
    _store(pdf, pdf_data)
    return source, pdf


@contextmanager
def stand_in(papers: dict[str, tuple[bytes, bytes]], hits: list[str] | None = None) -> Iterator[str]:
    """A stand-in for arXiv on 127.0.0.1, for tests and examples; yields its base URL.

    ``papers`` maps an id to its (e-print, PDF) bytes; any other path is a 404.
    Point ``PAPER2CODE_ARXIV_URL`` at the URL it yields. Each requested path is
    appended to ``hits``, when given.
    """
    routes = {f"/{route}/{ident}": data for ident, pair in papers.items()
              for route, data in zip(("e-print", "pdf"), pair, strict=True)}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if hits is not None:
                hits.append(self.path)
            body = routes.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
