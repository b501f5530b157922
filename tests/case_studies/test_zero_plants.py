"""Each planted bug of zero_plants.PLANTS makes its named test fail (``--integration``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from zero_plants import PLANTS  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.plants]
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("name", "path", "old", "new", "test"), PLANTS, ids=[p[0] for p in PLANTS])
def test_the_planted_bug_fails_its_named_test(tmp_path, name, path, old, new, test):
    copy = tmp_path / "src" / "paper2code"
    shutil.copytree(ROOT / "src" / "paper2code", copy,
                    ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / path
    text = target.read_text("utf-8")
    assert text.count(old) == 1, f"{name}: the text to replace is not in {path} exactly once"
    target.write_text(text.replace(old, new), "utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src")}
    where = subprocess.run([sys.executable, "-c", "import paper2code; print(paper2code.__file__)"],
                           capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    assert where.stdout.startswith(str(copy)), where.stdout  # the copy is what runs
    out = subprocess.run([sys.executable, "-m", "pytest", "-n", "0", "-p", "no:randomly",
                          "-p", "no:cacheprovider", "-q", "-x", "-rf", "--integration", test],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=1200)
    # the test itself failed (not only the scorecard comparison, which a changed run also fails)
    assert out.returncode == 1 and f"FAILED {test}" in out.stdout, \
        f"{name}: {test} did not fail\n{out.stdout[-1500:]}"
