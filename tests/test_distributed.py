"""DistributedDataParallel with gloo, 2 processes launched by torchrun, on a CPU."""

from __future__ import annotations

import pytest
import torch

from paper2code.distributed import main, train

# Run with `uv run pytest --integration` (tests/conftest.py; the torchrun job starts in the
# background for this file, so a plain-suite test here would start it too).
pytestmark = pytest.mark.integration


def test_two_ddp_replicas_agree_and_equal_a_single_process_run(background_job):
    # torchrun --standalone --nproc_per_node 2 -m paper2code.distributed --steps 20 --out DIR,
    # started in the background after collection (see tests/conftest.py).
    job, result = background_job("ddp")
    assert result.returncode == 0, result.stderr[-3000:]
    tmp_path = job.output
    rank0 = torch.load(tmp_path / "rank0.pt")
    rank1 = torch.load(tmp_path / "rank1.pt")
    single = train(rank=0, world_size=1, steps=20)
    for name in single:
        assert torch.equal(rank0[name], rank1[name]), name  # replicas identical, bit for bit
        # Same global batch: the average of the shard gradients is the full-batch
        # gradient, up to float32 summation order.
        torch.testing.assert_close(rank0[name], single[name], rtol=1e-5, atol=1e-6)
    assert not torch.equal(single["0.weight"], train(0, 1, steps=0)["0.weight"])  # it trained


def test_a_batch_the_ranks_cannot_share_equally_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORLD_SIZE", "3")
    assert main(["--global-batch", "64", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--global-batch 64" in err
    assert not (tmp_path / "out").exists()  # nothing written
