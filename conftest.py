"""What every run of the suite sets first, whichever folder it collects.

pytest loads this file before ``docs/conftest.py`` (the harness of the pages) and
``tests/conftest.py`` (the tests' machinery), for ``uv run pytest`` as for
``pytest docs/page.md`` or ``pytest tests/test_x.py`` alone: the two settings below
are written once, here.
"""

from __future__ import annotations

import os
import sys

# Python caches compiled modules in __pycache__ folders unless PYTHONDONTWRITEBYTECODE
# is set, as it is on some CI machines. This suite starts Python many times (the site
# build, the CLI, shell blocks), and without the cache each start compiles torch's
# modules from source again (~10 s; pytest's rewritten test modules too). The suite
# writes the cache (git ignores it), for itself and for the programs it starts.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

# Under pytest-xdist (the default, see pyproject.toml) each worker gets its share of
# the cores for torch's threads, and so do the programs it starts: two workers with
# two threads each on two cores run slower than one process.
if (_workers := os.environ.get("PYTEST_XDIST_WORKER_COUNT")) and "OMP_NUM_THREADS" not in os.environ:
    import torch

    os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // int(_workers)))
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
