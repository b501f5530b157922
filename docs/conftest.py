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
  output as much as the code. Where float rounding, which differs between
  CPUs, decides a printed digit, the block may declare a tolerance in a
  comment the reader sees, ``# output tolerance: abs 1e-07`` (or ``rel``):
  its numbers then match within it, and all text between them exactly.
* A block made of ``--8<-- "src/paper2code/x.py:section"`` lines shows code
  from the package (pymdownx.snippets). The harness expands it exactly as the
  site does, runs the expanded text in the namespace of the module it comes
  from, and checks that each function or class it defines is the module's own.

Shell blocks (``bash``, ``sh``, ``shell``, ``console``) run too, each as one
``bash`` script with ``-e -o pipefail``, in a temporary folder that the
page's shell blocks share, with this environment's ``bin/`` first on
``PATH`` and no network (a network namespace where Linux allows one, and
``UV_OFFLINE=1`` everywhere); ``$HANDBOOK`` names this clone's folder, for a
block that copies a file from it. The exit status must be 0 and standard output
must equal what the block shows: ``#>`` lines in a ``bash`` block, the lines
after each ``$ command`` in a ``console`` block. A shell block that only
includes a script (``--8<-- ".ci/run"``) is checked with ``bash -n``: running
the CI script would run this suite inside itself.

Blocks on one page share a namespace, pages do not. ``CUDA`` (whether a CUDA
GPU is present) is in every namespace, for
``<!-- skip: next if(not CUDA, reason="needs a CUDA GPU") -->``.
"""

from __future__ import annotations

import atexit
import contextlib
import doctest
import importlib
import inspect
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from sybil import Example, Sybil
from sybil.parsers.abstract import AbstractCodeBlockParser
from sybil.parsers.markdown import ClearNamespaceParser, SkipParser
from sybil.parsers.markdown.lexers import RawFencedCodeBlockLexer

ROOT = Path(__file__).resolve().parent.parent

# How the suite writes bytecode and shares the cores: ../conftest.py, loaded before this one.

#: The fence info strings the harness runs, with optional Material attributes:
#: ``python``, ``py``, ``pycon``, ``{ .python title="…" }``.
INFO_PATTERN = re.compile(
    r"[ \t]*\{?[ \t]*\.?(?P<language>python|pycon|py)(?![\w-])(?P<attributes>[^\n]*)$\n",
    re.MULTILINE,
)
#: Shell fences: ``bash``, ``sh``, ``shell``, ``console``, attributes allowed.
SHELL_INFO_PATTERN = re.compile(
    r"[ \t]*\{?[ \t]*\.?(?P<language>bash|console|shell|sh)(?![\w-])(?P<attributes>[^\n]*)$\n",
    re.MULTILINE,
)
SHELL_TIMEOUT = 120  # seconds; a block that needs longer is a long run: skip it with its reason
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


#: A visible tolerance for the numbers of a block's shown output:
#: ``# output tolerance: abs 1e-07`` or ``# output tolerance: rel 0.01``.
_TOLERANCE = re.compile(r"^\s*#\s*output tolerance:\s*(?P<kind>abs|rel)\s+(?P<value>\S+)\s*$")
_NUMBER = re.compile(r"[-+]?(?:\d[\d,]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def block_tolerance(source: str) -> tuple[str, float] | None:
    """The tolerance a block declares for its shown numbers, if it declares one."""
    found = [m for m in map(_TOLERANCE.match, source.splitlines()) if m]
    if len(found) > 1:
        raise ValueError("a block declares its output tolerance more than once")
    if not found:
        return None
    value = float(found[0]["value"])
    if not value > 0:
        raise ValueError("an output tolerance must be positive")
    return found[0]["kind"], value


def lines_match(shown: str, printed: str, tolerance: tuple[str, float] | None) -> bool:
    """Whether a printed line is the shown one; numbers within the tolerance, if any.

    Without a tolerance the lines must be equal. With one, the text between
    numbers must be equal and each pair of numbers within the tolerance.
    """
    if tolerance is None or shown == printed:
        return shown == printed
    if _NUMBER.sub("#", shown) != _NUMBER.sub("#", printed):
        return False
    kind, tol = tolerance
    for a, b in zip(_NUMBER.findall(shown), _NUMBER.findall(printed), strict=True):
        x, y = float(a.replace(",", "")), float(b.replace(",", ""))
        bound = tol if kind == "abs" else tol * max(abs(x), abs(y))
        if abs(x - y) > bound:
            return False
    return True


def _run_code(example: Example, source: str) -> None:
    expected = [
        m.group("text").rstrip()
        for m in map(_OUTPUT_COMMENT.match, source.splitlines())
        if m is not None
    ]
    tolerance = block_tolerance(source)
    code = compile(_pad(source, example.line + example.parsed.line_offset), str(example.path), "exec")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(code, example.namespace)
    printed = [line.rstrip() for line in buffer.getvalue().rstrip("\n").splitlines()]
    same = len(printed) == len(expected) and all(
        lines_match(a, b, tolerance) for a, b in zip(expected, printed, strict=True)
    )
    if not same:
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


# --- shell blocks ----------------------------------------------------------------


def _network_isolation() -> list[str]:
    """A prefix that runs a command with no network, where this system can."""
    unshare = shutil.which("unshare")
    if sys.platform != "linux" or unshare is None:
        return []
    for prefix in ([unshare, "--net"], [unshare, "--net", "--map-root-user"]):
        try:
            ok = subprocess.run([*prefix, "true"], capture_output=True, timeout=10).returncode == 0
        except (OSError, subprocess.SubprocessError):
            ok = False
        if ok:
            return prefix
    return []


_ISOLATION: list[str] | None = None
_SHELL_DIRS: dict[str, Path] = {}
atexit.register(lambda: [shutil.rmtree(d, ignore_errors=True) for d in _SHELL_DIRS.values()])


def shell_environment() -> dict[str, str]:
    """The environment of a shell block: this venv first on PATH, offline."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(
        UV_OFFLINE="1",
        PIP_NO_INDEX="1",
        HF_HUB_OFFLINE="1",
        HANDBOOK=str(ROOT),
        PYTHONUNBUFFERED="1",
        NO_COLOR="1",
        COLUMNS="80",
    )
    env.pop("VIRTUAL_ENV", None)
    return env


def shell_workdir(page: Path) -> Path:
    """The temporary folder the shell blocks of one page share."""
    key = str(page)
    if key not in _SHELL_DIRS:
        _SHELL_DIRS[key] = Path(tempfile.mkdtemp(prefix="paper2code-shell-"))
    return _SHELL_DIRS[key]


def parse_shell(source: str, language: str) -> tuple[str, list[str]]:
    """(script, expected stdout lines) of a shell block."""
    script, expected = [], []
    if language == "console":
        for line in source.splitlines():
            if line.startswith("$ "):
                script.append(line[2:])
            elif script and script[-1].endswith("\\"):
                script.append(line)
            elif line.strip():
                expected.append(line.rstrip())
        return "\n".join(script) + "\n", expected
    for line in source.splitlines():
        m = _OUTPUT_COMMENT.match(line)
        if m is not None:
            expected.append(m.group("text").rstrip())
        else:
            script.append(line)
    return "\n".join(script) + "\n", expected


def run_shell(example: Example) -> None:
    global _ISOLATION
    source: str = str(example.parsed)
    language = example.region.lexemes.get("language")
    lines = [line for line in source.splitlines() if line.strip()]
    includes = [m for m in map(_INCLUDE.match, lines) if m]
    if includes:
        if len(includes) != len(lines):
            raise ValueError("a block that includes a script must hold only include lines")
        for m in includes:
            path = ROOT / m.group("target")
            if not path.is_file():
                raise FileNotFoundError(f"included file {m.group('target')!r} does not exist")
            check = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
            if check.returncode != 0:
                raise AssertionError(f"{m.group('target')}: bash -n failed\n{check.stderr}")
        return
    script, expected = parse_shell(source, language)
    if _ISOLATION is None:
        _ISOLATION = _network_isolation()
    workdir = shell_workdir(Path(example.path))
    done = subprocess.run(
        [*_ISOLATION, "bash", "-e", "-o", "pipefail", "-c", script],
        cwd=workdir,
        env=shell_environment(),
        capture_output=True,
        text=True,
        timeout=SHELL_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"the shell block exited with status {done.returncode}\n--- script\n{script}"
            f"--- stdout\n{done.stdout}--- stderr\n{done.stderr}"
        )
    printed = [line.rstrip() for line in done.stdout.rstrip("\n").splitlines()]
    if printed != expected:
        raise AssertionError(
            "the shell block's output differs from what the page shows\n--- shown on the page\n"
            + "\n".join(expected)
            + "\n--- printed\n"
            + "\n".join(printed)
        )


class FencedBlockParser(AbstractCodeBlockParser):
    """Every fence whose info string ``info_pattern`` matches, attributes allowed.

    Each fence is one example, run by ``evaluator`` on its raw source.
    """

    def __init__(self, info_pattern: re.Pattern, evaluator, language: str) -> None:
        self.language = language  # Sybil's base class requires one; the lexer decides
        super().__init__(
            [RawFencedCodeBlockLexer(info_pattern=info_pattern)],
            language_lexeme_name="language",
            evaluator=evaluator,
        )
        self.block_evaluator = evaluator

    def __call__(self, document):
        for region in self.lexers(document):
            region.parsed = region.lexemes["source"]
            region.evaluator = self.block_evaluator
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
    parsers=[
        FencedBlockParser(INFO_PATTERN, evaluate, "python"),
        FencedBlockParser(SHELL_INFO_PATTERN, run_shell, "bash"),
        StrictSkipParser(),
        ClearNamespaceParser(),
    ],
    patterns=["*.md"],
    setup=setup,
)

pytest_collect_file = sybil.pytest()
