"""The learner corpus (tests/exercises_corpus): every correct solution passes, the wrong ones are caught.

The corpus was written by a helper who had not read the checker or its bug
catalogue: for each exercise, correct solutions written differently from ours
(``right_*``, each verified by its author against an independent reference)
and realistic wrong ones (``wrong_*``, first line ``MISTAKE: ...``). A correct
solution that fails is the worst thing a checker can do, so each is its own
test. The wrong ones are measured together: how many are caught, and how many
get a specific diagnosis (a named bug, a hint the numbers support, a side
effect) rather than the generic line; the floors below are the measured values
rounded down.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from paper2code.cli import main

CORPUS = Path(__file__).parent / "exercises_corpus"
RIGHT = sorted(CORPUS.glob("*/right_*.py"))
WRONG = sorted(CORPUS.glob("*/wrong_*.py"))
CAUGHT_FLOOR, SPECIFIC_FLOOR = 0.95, 0.80
GPU_ONLY = {"padding_mask/wrong_08_cpu_arange.py"}  # right on the CPU; its mistake shows with CUDA lengths only


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def check(capsys, path: Path) -> tuple[int, str, str]:
    code = main(["exercise", "check", path.parent.name, str(path)])
    out, err = capsys.readouterr()
    return code, out, err


def specific(out: str) -> bool:
    return any(s in out for s in ("your output equals a known bug", "\nhint: ", "FAILED: side effect",
                                  "no gradient reaches"))


def test_the_corpus_is_all_there():
    assert len(RIGHT) >= 40 and len(WRONG) >= 90
    assert all(p.read_text().startswith('"""CORRECT') for p in RIGHT)
    assert all(p.read_text().startswith('"""MISTAKE') for p in WRONG)


@pytest.mark.parametrize("path", RIGHT, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_correct_solution_passes(path, capsys):
    code, out, err = check(capsys, path)
    assert (code, err) == (0, ""), out + err


def test_wrong_solutions_are_caught_and_most_get_a_specific_diagnosis(capsys):
    caught, told, missed = 0, 0, []
    for path in WRONG:
        code, out, err = check(capsys, path)
        if code == 0:
            missed.append(f"{path.parent.name}/{path.name}")
        caught += code != 0
        told += code == 1 and specific(out)
    assert set(missed) <= GPU_ONLY, missed
    assert caught / len(WRONG) >= CAUGHT_FLOOR, (caught, len(WRONG))
    assert told / len(WRONG) >= SPECIFIC_FLOOR, (told, len(WRONG))
