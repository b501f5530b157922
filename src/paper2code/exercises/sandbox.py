"""Running the reader's code: a time limit per check, and where in their file an exception came from."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import traceback
from collections.abc import Iterator

DEFAULT_TIMEOUT_S = 60.0
LEARNER_FILES: set[str] = set()  # the files `load` executed: frames from them are the reader's


class CheckTimeout(BaseException):  # noqa: N818 - a BaseException: a bare `except Exception` in a loop cannot swallow it
    """The reader's code ran past the time limit of one check."""


def timeout_s() -> float:
    """The limit per check: ``PAPER2CODE_EXERCISE_TIMEOUT`` seconds (tests set it low), else 60."""
    try:
        return float(os.environ.get("PAPER2CODE_EXERCISE_TIMEOUT", DEFAULT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_TIMEOUT_S


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`CheckTimeout` in the main thread after ``seconds`` (no limit off the main thread or
    without SIGALRM, e.g. on Windows)."""
    if seconds <= 0 or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise CheckTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def where(e: BaseException) -> str:
    """``file:line (`code`)`` of the deepest frame in the reader's file, or ``''``."""
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename in LEARNER_FILES]
    if not frames:
        return ""
    f = frames[-1]
    code = f" (`{f.line.strip()}`)" if f.line else ""
    return f"{os.path.basename(f.filename)}:{f.lineno}{code}"
