"""The harness that runs every Python block on every page of the handbook.

``uv run pytest docs`` collects, from each Markdown page under ``docs/``:

* every fenced block whose language is ``python``, ``py`` or ``pycon``, with
  or without Material attributes (```` ```python title="x.py" hl_lines="2" ````),
  also when indented inside tabs, admonitions and collapsible blocks;
* ``<!-- skip: next "reason" -->`` directives. A skip without a reason is a
  collection error: Sybil would report it as *passed*.

How a block runs:

* A block that starts with ``>>>`` (and every ``pycon`` block) is a doctest:
  the output shown after each prompt must be what the code prints.
* Any other block is executed; if it prints, the printed text must equal the
  block's ``#>`` comment lines (``print(2 + 2)`` followed by ``#> 4``). A
  block that prints without showing what it prints fails: readers copy the
  output as much as the code.
* A block made of ``--8<-- "src/paper2code/x.py:section"`` lines shows code
  from the package (pymdownx.snippets). The harness expands it exactly as the
  site does, runs the expanded text in the namespace of the module it comes
  from, and checks that each function or class it defines is the module's own.

Blocks on one page share a namespace, pages do not. ``CUDA`` (whether a CUDA
GPU is present) is in every namespace, for
``<!-- skip: next if(not CUDA, reason="needs a CUDA GPU") -->``.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib
import inspect
import io
import re
import sys
import textwrap
from pathlib import Path

from sybil import Example, Sybil
from sybil.parsers.abstract import AbstractCodeBlockParser
from sybil.parsers.markdown import ClearNamespaceParser, SkipParser
from sybil.parsers.markdown.lexers import RawFencedCodeBlockLexer

ROOT = Path(__file__).resolve().parent.parent

#: The fence info strings the harness runs, with optional Material attributes:
#: ``python``, ``py``, ``pycon``, ``{ .python title="…" }``.
INFO_PATTERN = re.compile(
    r"[ \t]*\{?[ \t]*\.?(?P<language>python|pycon|py)(?![\w-])(?P<attributes>[^\n]*)$\n",
    re.MULTILINE,
)
_INCLUDE = re.compile(r"""^\s*-{2}8<-{2}\s+(["'])(?P<target>[^"']+)\1\s*$""")
_OUTPUT_COMMENT = re.compile(r"^\s*#>(?: |$)(?P<text>.*)$")
_DOCTEST_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _pad(source: str, line: int) -> str:
    """Prefix newlines so tracebacks name the Markdown line of the failure."""
    return "\n" * line + source


# --- includes ----------------------------------------------------------------


def expand_include(target: str) -> tuple[Path, str]:
    """Expand one pymdownx.snippets target, ``path[:section]``, as the site does."""
    path_text, _, section = target.partition(":")
    path = ROOT / path_text
    if not path.is_file():
        raise FileNotFoundError(f"included file {path_text!r} does not exist")
    lines = path.read_text(encoding="utf-8").splitlines()
    if not section:
        return path, "\n".join(lines) + "\n"
    start = re.compile(rf"^\s*#\s*-{{2}}8<-{{2}}\s*\[start:{re.escape(section)}\]\s*$")
    end = re.compile(rf"^\s*#\s*-{{2}}8<-{{2}}\s*\[end:{re.escape(section)}\]\s*$")
    starts = [i for i, line in enumerate(lines) if start.match(line)]
    ends = [i for i, line in enumerate(lines) if end.match(line)]
    if len(starts) != 1 or len(ends) != 1 or ends[0] <= starts[0]:
        raise ValueError(f"section {section!r} of {path_text} is not marked exactly once")
    body = lines[starts[0] + 1 : ends[0]]
    return path, textwrap.dedent("\n".join(body)).strip("\n") + "\n"


def _module_of(path: Path):
    rel = path.resolve().relative_to(ROOT / "src").with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return importlib.import_module(".".join(parts))


def run_include(example: Example, targets: list[str]) -> None:
    """Run included code in its module's namespace and check it is the module's."""
    for target in targets:
        path, text = expand_include(target)
        if not path.resolve().is_relative_to(ROOT / "src"):
            raise ValueError(f"{target}: the handbook includes code from src/ only")
        module = _module_of(path)
        namespace = dict(vars(module))
        before = {k: id(v) for k, v in namespace.items()}
        exec(compile(text, f"{path}:{target}", "exec"), namespace)
        defined = [
            name
            for name, value in namespace.items()
            if (inspect.isfunction(value) or inspect.isclass(value))
            and before.get(name) != id(value)
        ]
        if not defined:
            raise AssertionError(f"{target}: the included section defines no function or class")
        for name in defined:
            original = getattr(module, name, None)
            if original is None:
                raise AssertionError(f"{target}: {name} is not defined by {module.__name__}")
            if textwrap.dedent(inspect.getsource(original)).strip() not in text:
                raise AssertionError(
                    f"{target}: the page's {name} differs from {module.__name__}.{name}"
                )


# --- evaluation ----------------------------------------------------------------


def _run_doctest(example: Example, source: str) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(
        source, example.namespace, str(example.path), str(example.path), example.line
    )
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=_DOCTEST_FLAGS)
    runner.run(test, out=out.write, clear_globs=False)
    if runner.failures:
        raise AssertionError(out.getvalue())


def _run_code(example: Example, source: str) -> None:
    expected = [
        m.group("text").rstrip()
        for m in map(_OUTPUT_COMMENT.match, source.splitlines())
        if m is not None
    ]
    code = compile(_pad(source, example.line + example.parsed.line_offset), str(example.path), "exec")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(code, example.namespace)
    printed = [line.rstrip() for line in buffer.getvalue().rstrip("\n").splitlines()]
    if printed != expected:
        if not expected:
            raise AssertionError(
                "the block prints but shows no '#>' output; add these lines:\n"
                + "\n".join(f"#> {line}" for line in printed)
            )
        raise AssertionError(
            "printed output differs from the block's '#>' lines\n--- shown on the page\n"
            + "\n".join(expected)
            + "\n--- printed\n"
            + "\n".join(printed)
        )


def evaluate(example: Example) -> None:
    source: str = str(example.parsed)
    lines = [line for line in source.splitlines() if line.strip()]
    includes = [m for m in map(_INCLUDE.match, lines) if m]
    if includes:
        if len(includes) != len(lines):
            raise ValueError("a block that includes code from src/ must hold only include lines")
        run_include(example, [m.group("target") for m in includes])
    elif example.region.lexemes.get("language") == "pycon" or source.lstrip().startswith(">>>"):
        _run_doctest(example, source)
    else:
        _run_code(example, source)


class PythonBlockParser(AbstractCodeBlockParser):
    """Every ``python``/``py``/``pycon`` fence, attributes allowed, one example each."""

    language = "python"

    def __init__(self) -> None:
        super().__init__(
            [RawFencedCodeBlockLexer(info_pattern=INFO_PATTERN)],
            language_lexeme_name="language",
            evaluator=evaluate,
        )

    def __call__(self, document):
        for region in self.lexers(document):
            region.parsed = region.lexemes["source"]
            region.evaluator = evaluate
            yield region


_SKIP_WITH_REASON = re.compile(r"""^(next|start)\b.*(["']).+\2|^(next|start)\b.*reason\s*=|^end\s*$""")


class StrictSkipParser(SkipParser):
    """Sybil's skip directive, but a skip must say why (a bare skip reports PASSED)."""

    def __call__(self, document):
        for lexed in self.lexers(document):
            arguments = (lexed.lexemes.get("arguments") or "").strip()
            if not _SKIP_WITH_REASON.match(arguments):
                line = document.text.count("\n", 0, lexed.start) + 1
                raise ValueError(
                    f"{document.path}:{line}: 'skip: {arguments}' has no reason; "
                    'write <!-- skip: next "why this block does not run" -->'
                )
        yield from super().__call__(document)


def setup(namespace: dict) -> None:
    import torch

    namespace["CUDA"] = torch.cuda.is_available()
    namespace["__name__"] = "__docs__"


def _ensure_docs_module() -> None:
    # Classes and dataclasses defined on a page look up their module by name.
    import types

    sys.modules.setdefault("__docs__", types.ModuleType("__docs__"))


_ensure_docs_module()

sybil = Sybil(
    parsers=[PythonBlockParser(), StrictSkipParser(), ClearNamespaceParser()],
    patterns=["*.md"],
    setup=setup,
)

pytest_collect_file = sybil.pytest()
