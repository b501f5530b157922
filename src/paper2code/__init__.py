"""paper2code: example implementations and tools for implementing ML papers from scratch.

The tools (``paper2code analyze``, ``new``, ``report``) need no torch; the
example implementations do, and come with the ``torch`` extra. Without torch,
importing one of them says so in one line, with the command that installs it:

    ModuleNotFoundError: paper2code.losses needs torch, which is not installed here:
    pip install "paper2code[torch]"
"""

import importlib.abc
import importlib.machinery
import importlib.util
import re
import sys

__version__ = "0.1.0"

TORCH_INSTALL = 'pip install "paper2code[torch]"'


class _NeedsTorch(importlib.abc.MetaPathFinder):
    """Refuses, with the install command, a ``paper2code`` module that imports torch at its top.

    Installed only when torch is missing; it finds nothing itself, so every
    other import goes on as usual.
    """

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith("paper2code."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not (spec.origin or "").endswith(".py"):
            return None
        with open(spec.origin, encoding="utf-8") as source:
            needs = re.search(r"^(import|from) torch\b", source.read(), re.MULTILINE)
        if needs:
            raise ModuleNotFoundError(
                f"{fullname} needs torch, which is not installed here: {TORCH_INSTALL}", name="torch"
            )
        return None


if importlib.util.find_spec("torch") is None:  # pragma: no cover - the suite has torch
    sys.meta_path.insert(0, _NeedsTorch())
