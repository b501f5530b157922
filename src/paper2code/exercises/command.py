"""``paper2code exercise list | start NAME [PATH] | check NAME FILE [--show-case F] [--timeout S] | bugs NAME
| solution NAME``.

Exit codes: 0 done (``check``: every check passed); 1 ``check`` found a wrong
result or a stub; 2 bad input (unknown exercise, missing file or a directory,
a file that does not import, lacks the function, raises or runs past the time
limit, an existing file that ``start`` would overwrite, PyTorch not installed).
Errors are one line on stderr; the ``passed:`` lines of the checks before it
stay on stdout. The reader's ``print()`` output goes through.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import warnings
from pathlib import Path
from typing import Any

from paper2code.exercises.catalog import BY_NAME, ENTRIES, Entry, solution_file, stub_source

ACTIONS = ("list", "start", "check", "bugs", "solution")
TORCH_MISSING = 'paper2code exercise check needs PyTorch: pip install "paper2code[torch]"'


class UsageError(Exception):
    """Bad input: reported as one line on stderr with exit code 2."""


def _entry(name: str | None) -> Entry:
    if not name:
        raise UsageError("name an exercise; `paper2code exercise list` shows them")
    if name not in BY_NAME:
        raise UsageError(f"unknown exercise '{name}'; `paper2code exercise list` shows the {len(ENTRIES)} there are")
    return BY_NAME[name]


def load(path: Path, symbol: str) -> Any:
    """``symbol`` from the Python file ``path``, or :class:`~engine.ReaderError` saying why not."""
    from paper2code.exercises import engine, sandbox

    if path.is_dir():
        raise engine.ReaderError(f"{path} is a directory: name the Python file to check")
    if not path.is_file():
        raise engine.ReaderError(f"{path}: no such file")
    try:
        source = path.read_text(encoding="utf-8")
        code = compile(source, str(path), "exec")
    except SyntaxError as e:
        raise engine.ReaderError(f"{path}:{e.lineno}: syntax error: {e.msg}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise engine.ReaderError(f"{path}: cannot read it: {engine.one_line(e)}") from None
    name = f"paper2code_exercise_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up by name
    sandbox.LEARNER_FILES.add(str(path))
    try:
        with sandbox.time_limit(sandbox.timeout_s()):
            exec(code, module.__dict__)
    except NotImplementedError as e:
        raise engine.NotImplementedYet(str(e)) from None
    except sandbox.CheckTimeout:
        raise engine.ReaderError(f"{path} does not import: it ran longer than {sandbox.timeout_s():g} s") from None
    except BaseException as e:  # SystemExit, KeyboardInterrupt from the file: still one line
        if isinstance(e, KeyboardInterrupt):
            raise
        at = sandbox.where(e)
        raise engine.ReaderError(f"{path} does not import: {type(e).__name__}{' at ' + at if at else ''}: "
                                 f"{engine.one_line(e)}") from None
    if not hasattr(module, symbol):
        raise engine.ReaderError(f"{path} defines no '{symbol}'")
    return getattr(module, symbol)


def do_list() -> int:
    width = max(len(e.name) for e in ENTRIES)
    for entry in ENTRIES:
        print(f"{entry.name:<{width}}  {entry.page:<50}  {entry.goal}")
    return 0


def do_start(name: str | None, path: str | None) -> int:
    entry = _entry(name)
    target = Path(path) if path else Path(f"{entry.name}.py")
    if target.is_dir():
        target = target / f"{entry.name}.py"
    if target.exists():
        raise UsageError(f"{target} exists; not overwritten (check it: paper2code exercise check {entry.name} {target})")
    if not target.parent.is_dir():
        raise UsageError(f"{target.parent}: no such folder")
    with open(target, "x", encoding="utf-8") as f:  # "x": fails rather than overwrite, even in a race
        f.write(stub_source(entry))
    print(f"wrote {target}: write {entry.symbol} there, then run: paper2code exercise check {entry.name} {target}")
    return 0


def do_solution(name: str | None) -> int:
    entry = _entry(name)
    print(solution_file(entry), end="")
    return 0


def _spec(entry: Entry):
    try:
        import torch  # noqa: F401
    except ModuleNotFoundError:
        raise UsageError(TORCH_MISSING) from None
    specs = {s.name: s for s in importlib.import_module(f"paper2code.exercises.{entry.module}").SPECS}
    return specs[entry.name]


def do_bugs(name: str | None) -> int:
    entry = _entry(name)
    for i, bug in enumerate(_spec(entry).bugs, 1):
        print(f"{i}. {bug.name} - see {bug.section} ({entry.page})")
    return 0


def _show_case(target: Path, entry: Entry, verdict) -> str:
    import torch

    from paper2code.exercises import common

    case = verdict.case
    torch.save({"exercise": entry.name, "case": case.label, "args": case.args, "kwargs": case.kwargs,
                "module_state": common.LAST_STATE, "got": verdict.got, "expected": verdict.want}, target)
    return (f"wrote the case '{case.label}' to {target}: c = torch.load({str(target)!r}, weights_only=False); "
            f"call {entry.symbol} on c['args'], c['kwargs'] (a module: load c['module_state'] first); "
            "compare with c['expected']")


def do_check(name: str | None, path: str | None, show_case: str | None = None, timeout: float | None = None) -> int:
    entry = _entry(name)
    if not path:
        raise UsageError(f"name the file to check: paper2code exercise check {entry.name} FILE")
    if show_case is not None and not Path(show_case).parent.is_dir():
        raise UsageError(f"--show-case {show_case}: no such folder")
    if timeout is not None and not timeout > 0:
        raise UsageError(f"--timeout {timeout:g}: give a positive number of seconds")
    spec = _spec(entry)
    import os

    import torch

    from paper2code.exercises import engine, recognise

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: one thread is faster, and the results never depend on it
    previous = os.environ.get("PAPER2CODE_EXERCISE_TIMEOUT")
    if timeout is not None:
        os.environ["PAPER2CODE_EXERCISE_TIMEOUT"] = str(timeout)
    try:
        with warnings.catch_warnings(), torch.random.fork_rng(devices=[]):
            warnings.simplefilter("ignore")
            impl = load(Path(path), entry.symbol)  # the reader's print() goes through, as it would
            verdict = recognise.check(spec, impl)
    except engine.NotImplementedYet:
        print(f"{entry.name}: not implemented yet: {path} still raises NotImplementedError; "
              f"write {entry.symbol}, then run this check again")
        return 1
    except engine.ReaderError as e:
        raise UsageError(str(e)) from None
    finally:
        torch.set_num_threads(threads)
        if timeout is not None:
            if previous is None:
                os.environ.pop("PAPER2CODE_EXERCISE_TIMEOUT", None)
            else:
                os.environ["PAPER2CODE_EXERCISE_TIMEOUT"] = previous
    for line in verdict.passed:
        print(f"passed: {line}")
    if verdict.unfinished:
        print(f"{entry.name}: not implemented yet: part of {path} still raises NotImplementedError; "
              "finish it, then run this check again")
        return 1
    if verdict.error is not None:
        sys.stdout.flush()
        raise UsageError(verdict.error)
    if verdict.failure is None:
        print(f"{entry.name}: all {len(verdict.passed)} checks passed")
        return 0
    print(f"FAILED: {verdict.failure}")
    for hint in verdict.hints:
        print(f"hint: {hint}")
    if verdict.bug is not None:
        print(f"your output equals a known bug: {verdict.bug.name} - see {verdict.bug.section} ({entry.page})")
    elif verdict.hints or verdict.failure.startswith("side effect") or "no gradient reaches" in verdict.failure:
        print(f"not one of the catalogued bugs (paper2code exercise bugs {entry.name} lists them); "
              f"reread {entry.page}")
    else:
        print(f"{engine.GENERIC}; reread {entry.page}; the known bugs: paper2code exercise bugs {entry.name}; "
              f"ours: paper2code exercise solution {entry.name}")
    if show_case is not None and verdict.case is not None:
        print(_show_case(Path(show_case), entry, verdict))
    return 1


def run_exercise(action: str, name: str | None = None, path: str | None = None, show_case: str | None = None,
                 timeout: float | None = None) -> int:
    """What ``paper2code exercise ACTION [NAME] [PATH]`` runs; returns the exit code."""
    try:
        if action == "list":
            return do_list()
        if action == "start":
            return do_start(name, path)
        if action == "solution":
            return do_solution(name)
        if action == "bugs":
            return do_bugs(name)
        if action == "check":
            return do_check(name, path, show_case, timeout)
        raise UsageError(f"unknown action '{action}'; one of: {', '.join(ACTIONS)}")
    except UsageError as e:
        print(f"paper2code exercise: {e}", file=sys.stderr)
        return 2
