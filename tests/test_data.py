"""Reproducible loaders: same seed, same batches; workers draw distinct noise."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from paper2code.data import file_fingerprint, fingerprint, make_loader


class Noisy(Dataset):
    """A dataset that keeps its own NumPy generator (augmentation noise)."""

    def __init__(self, n=8):
        self.n, self.rng = n, np.random.default_rng(0)

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return torch.tensor([i + self.rng.normal()])


def epoch(loader):
    return torch.cat([b.flatten() for b in loader])


def test_the_order_does_not_depend_on_the_global_rng():
    ds = TensorDataset(torch.arange(16))
    torch.manual_seed(1)
    a = [b[0].tolist() for b in make_loader(ds, 4, seed=0)]
    torch.manual_seed(2)
    b = [b[0].tolist() for b in make_loader(ds, 4, seed=0)]
    assert a == b
    loader = make_loader(ds, 4, seed=0)
    assert epoch(x[0] for x in loader).tolist() != epoch(x[0] for x in loader).tolist()


def test_workers_are_reproducible_and_distinct():
    runs = [epoch(make_loader(Noisy(), 2, seed=0, shuffle=False, num_workers=2)) for _ in range(2)]
    assert torch.equal(runs[0], runs[1])
    noise = runs[0] - torch.arange(8)
    assert not torch.allclose(noise[0:2], noise[2:4])  # worker 0's batch vs worker 1's


def test_without_seed_worker_the_workers_duplicate_the_noise():
    torch.manual_seed(0)
    plain = epoch(DataLoader(Noisy(), batch_size=2, num_workers=2)) - torch.arange(8)
    assert torch.allclose(plain[0:2], plain[2:4])  # the failure seed_worker fixes


def test_fingerprints(tmp_path):
    x = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    assert fingerprint(x) == fingerprint(x.numpy().copy())
    assert fingerprint(x) != fingerprint(x.double())  # dtype
    assert fingerprint(x) != fingerprint(x.reshape(4, 3))  # shape
    y = x.clone()
    y[0, 0] += 1
    assert fingerprint(x) != fingerprint(y)
    p = tmp_path / "d.bin"
    p.write_bytes(b"abc")
    assert file_fingerprint(p) == "ba7816bf8f01cfea"  # SHA-256("abc"), FIPS 180-2
