"""Data pipelines that reproduce: seeded loaders, seeded workers, fingerprints.

Three sources of run-to-run difference live in the data pipeline, and each
has a fix here:

* the shuffle order, drawn from PyTorch's *global* generator unless the
  ``DataLoader`` gets its own: any change that consumes random numbers
  elsewhere (one more layer initialised) changes the data order too. Fix:
  ``generator=torch.Generator().manual_seed(seed)``
  ([`make_loader`][paper2code.data.make_loader]);
* random state copied into every worker: PyTorch seeds ``random``, ``torch``
  and NumPy's global generator in each worker (since PyTorch 1.9), but a
  generator object the dataset holds (``self.rng = np.random.default_rng(0)``)
  is copied into every worker unchanged, and the workers draw the *same*
  augmentations. Fix: [`seed_worker`][paper2code.data.seed_worker] as the
  ``worker_init_fn`` (PyTorch's notes on randomness:
  <https://pytorch.org/docs/stable/notes/randomness.html>);
* a split that leaks: rows of one patient, one speaker or one source
  document on both sides of a train/test split let a model score on
  what it memorised. Fix: split by group
  ([`split_by_group`][paper2code.data.split_by_group]);
* the data itself: a re-downloaded, re-processed or re-split data set is a
  different experiment. Fix: record a [`fingerprint`][paper2code.data.fingerprint]
  of the arrays (or [`file_fingerprint`][paper2code.data.file_fingerprint] of
  the files) with every run.

Differences from the paper: not applicable (pipeline hygiene, no paper).
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, get_worker_info

__all__ = ["file_fingerprint", "fingerprint", "make_loader", "seed_worker", "split_by_group", "standardiser"]


# --8<-- [start:seed_worker]
def seed_worker(worker_id: int) -> None:
    """``worker_init_fn``: seed each generator a worker uses from its seed.

    PyTorch gives each worker the seed ``base_seed + worker_id`` (the base seed
    comes from the loader's generator). This derives the other generators from
    it: Python's ``random``, NumPy's global one, and a NumPy generator the
    dataset keeps in an attribute ``rng``, which would otherwise be an
    identical copy in every worker.
    """
    seed = (
        torch.initial_seed() % 2**32
    )  # differs per worker, fixed by the generator
    random.seed(seed)
    np.random.seed(seed)
    info = get_worker_info()
    if info is not None and isinstance(
        getattr(info.dataset, "rng", None), np.random.Generator
    ):
        info.dataset.rng = np.random.default_rng(seed)  # this worker's copy


# --8<-- [end:seed_worker]


# --8<-- [start:make_loader]
def make_loader(
    dataset: Dataset,
    batch_size: int,
    seed: int,
    shuffle: bool = True,
    num_workers: int = 0,
    **kwargs,
) -> DataLoader:
    """A ``DataLoader`` whose order and worker seeds depend on ``seed`` only.

    Its own generator decouples the shuffle from the global RNG; the same
    generator fixes each worker's base seed; ``seed_worker`` seeds the rest.
    Iterating twice gives two different epochs; building it again with the
    same seed repeats them.
    """
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=num_workers,
        worker_init_fn=seed_worker,
        generator=torch.Generator().manual_seed(seed),
        **kwargs,
    )


# --8<-- [end:make_loader]


# --8<-- [start:fingerprint]
def fingerprint(*arrays: torch.Tensor | np.ndarray, length: int = 16) -> str:
    """SHA-256 of arrays' dtypes, shapes and bytes: same data, same string.

    Any change shows: one value, the order of the examples, a dtype, a shape.

    Examples:
        >>> x = torch.arange(6).reshape(2, 3)
        >>> same, flipped = fingerprint(x.clone()), fingerprint(x.flip(0))
        >>> fingerprint(x) == same, fingerprint(x) == flipped
        (True, False)
    """
    h = hashlib.sha256()
    for a in arrays:
        a = (
            a.detach().cpu().numpy()
            if isinstance(a, torch.Tensor)
            else np.asarray(a)
        )
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape};".encode())  # '<f4(2, 3);'
        h.update(a.tobytes())
    return h.hexdigest()[:length]


def file_fingerprint(path: str | Path, length: int = 16) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:length]


# --8<-- [end:fingerprint]


# --8<-- [start:split]
def split_by_group(groups: torch.Tensor, test_fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Row indices ``(train, test)``, ascending, with every group wholly on one side.

    ``groups[i]`` names the group of row ``i`` (a patient, a speaker, a source
    document). The test split takes ``round(test_fraction · G)`` of the ``G``
    groups (at least one, and at least one group stays for training), chosen
    by a generator of its own: the same seed gives the same split whatever
    else has drawn random numbers.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    ids = torch.unique(groups)  # sorted: the split does not depend on row order
    if len(ids) < 2:
        raise ValueError(f"need at least 2 groups to split, got {len(ids)}")
    n_test = min(max(1, round(test_fraction * len(ids))), len(ids) - 1)
    order = torch.randperm(len(ids), generator=torch.Generator().manual_seed(seed))
    is_test = torch.isin(groups, ids[order[:n_test]])  # whole groups, never single rows
    return (~is_test).nonzero().squeeze(1), is_test.nonzero().squeeze(1)
# --8<-- [end:split]


# --8<-- [start:standardiser]
def standardiser(train: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-feature ``(mean, scale)`` from the training split; standardise with ``(x - mean) / scale``.

    ``scale`` is the standard deviation, except where a feature is constant
    in the training split (the std is 0, or rounding error of the mean): there
    it is 1, as in scikit-learn's ``StandardScaler``, so the feature is centred
    and left unscaled. Clamping the std instead (``std.clamp_min(1e-6)``)
    turns a value such a feature takes only outside the training split into
    an input a million times its size.

    Examples:
        >>> train = torch.tensor([[0.0, 1.0], [0.0, 3.0]])  # feature 0 never varies here
        >>> mean, scale = standardiser(train)
        >>> scale
        tensor([1.0000, 1.4142])
        >>> (torch.tensor([[16.0, 2.0]]) - mean) / scale  # a test image where it does
        tensor([[16.,  0.]])
    """
    mean, std = train.mean(0), train.std(0)
    constant = std <= 10 * torch.finfo(std.dtype).eps * mean.abs()
    return mean, torch.where(constant, torch.ones_like(std), std)


# --8<-- [end:standardiser]
