"""Exercises from the workflow pages: a split without leakage, a seeded loader, a derived tolerance."""

from __future__ import annotations

import math
import multiprocessing

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset

from paper2code.data import make_loader, split_by_group
from paper2code.exercises.common import gen, randn
from paper2code.exercises.engine import Bug, Case, Spec
from paper2code.numerics import sum_tolerance

DATA = "Data pipelines that reproduce"
TESTING = "Test § Comparison with a reference implementation"

# --- a split without leakage --------------------------------------------------------------

_LAYOUTS = (  # (groups of the rows, test fraction)
    (torch.tensor([0, 0, 1, 1, 1, 2, 3, 3, 4, 5, 5, 5, 6, 7, 7, 8, 9, 9]), 0.3),
    (torch.tensor([7, 3, 7, 1, 3, 3, 9, 1, 9, 9, 2, 4]), 0.4),  # unsorted, uneven
    (torch.arange(20) // 2, 0.25),
)


def _splits(impl, seed: int = 0):
    return [impl(groups, fraction, seed) for groups, fraction in _LAYOUTS]


def _partition(impl) -> str | None:
    for (groups, _), (train, test) in zip(_LAYOUTS, _splits(impl), strict=True):
        rows = torch.cat([torch.as_tensor(train), torch.as_tensor(test)]).sort().values
        if not torch.equal(rows, torch.arange(len(groups))):
            return f"train and test together are not each of the {len(groups)} rows exactly once"
    return None


def _no_leak(impl) -> str | None:
    for (groups, _), (train, test) in zip(_LAYOUTS, _splits(impl), strict=True):
        shared = set(groups[torch.as_tensor(train)].tolist()) & set(groups[torch.as_tensor(test)].tolist())
        if shared:
            return f"groups {sorted(shared)} have rows in both splits (the test set leaks into training)"
    return None


def _size(impl) -> str | None:
    for (groups, fraction), (_, test) in zip(_LAYOUTS, _splits(impl), strict=True):
        n, want = len(torch.unique(groups[torch.as_tensor(test)])), round(fraction * len(torch.unique(groups)))
        if n != want:
            return f"the test split holds {n} groups, expected round({fraction} x {len(torch.unique(groups))}) = {want}"
    return None


def _same_seed(impl) -> str | None:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        first = _splits(impl, seed=5)
        torch.manual_seed(2)  # other code drew random numbers in between
        second = _splits(impl, seed=5)
    for (a, b), (c, d) in zip(first, second, strict=True):
        if not (torch.equal(torch.as_tensor(a), torch.as_tensor(c)) and torch.equal(torch.as_tensor(b), torch.as_tensor(d))):
            return "seed 5 gave two different splits (it draws from the global RNG)"
    return None


def _seeds_differ(impl) -> str | None:
    tests = {tuple(torch.as_tensor(impl(*_LAYOUTS[2], seed)[1]).tolist()) for seed in range(6)}
    return None if len(tests) > 1 else "seeds 0 to 5 all gave the same test split: the groups are not shuffled"


def _row_split(groups, fraction, seed):
    order = torch.randperm(len(groups), generator=torch.Generator().manual_seed(seed))
    n_test = round(fraction * len(groups))
    return order[n_test:].sort().values, order[:n_test].sort().values


def _global_rng(groups, fraction, seed):
    ids = torch.unique(groups)
    test = ids[torch.randperm(len(ids))[: round(fraction * len(ids))]]
    is_test = torch.isin(groups, test)
    return (~is_test).nonzero().squeeze(1), is_test.nonzero().squeeze(1)


def _unshuffled(groups, fraction, seed):
    ids = torch.unique(groups)
    is_test = torch.isin(groups, ids[: round(fraction * len(ids))])
    return (~is_test).nonzero().squeeze(1), is_test.nonzero().squeeze(1)


SPLIT = Spec(
    name="split",
    reference=split_by_group,
    cases=list,
    invariants=(("every row is in exactly one split", _partition), ("no group is in both splits", _no_leak),
                ("the test split holds round(test_fraction x groups) groups", _size),
                ("the same seed gives the same split, whatever the global RNG did", _same_seed),
                ("different seeds give different splits", _seeds_differ)),
    bugs=(
        Bug("rows split one by one: a group's rows land on both sides (leakage)", DATA + " § Preprocessing that matches the paper", _row_split),
        Bug("torch.randperm without a generator: the split follows the global RNG, not the seed",
            DATA + " § The shuffle: give the loader its own generator", _global_rng),
        Bug("groups taken in sorted order, never shuffled: every seed gives the same split",
            DATA + " § The shuffle: give the loader its own generator", _unshuffled),
    ),
)


# --- a seeded loader ------------------------------------------------------------------------


class _Noisy(Dataset):
    """Index and an augmentation drawn from a generator the dataset holds."""

    def __init__(self, n: int = 12):
        self.n, self.rng = n, np.random.default_rng(0)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        return i, float(self.rng.random())


def _epoch(loader) -> list[int]:
    return [i for batch, _ in loader for i in batch.tolist()]


def _covers(impl) -> str | None:
    loader = impl(_Noisy(), 4, 0)
    sizes = [len(b) for b, _ in loader]
    if sorted(_epoch(loader)) != list(range(12)) or sizes != [4, 4, 4]:
        return f"one epoch gave batches of sizes {sizes} holding {sorted(_epoch(loader))}, not 0..11 once each"
    return None


def _repeatable(impl) -> str | None:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        a = impl(_Noisy(), 4, 3)
        first = [_epoch(a), _epoch(a)]
        torch.manual_seed(2)
        b = impl(_Noisy(), 4, 3)
        second = [_epoch(b), _epoch(b)]
    return None if first == second else f"built twice with seed 3: {first[0]} then {second[0]}"


def _global_free(impl) -> str | None:
    with torch.random.fork_rng(devices=[]):
        a = impl(_Noisy(), 4, 3)
        first = _epoch(a)
        b = impl(_Noisy(), 4, 3)
        torch.randn(100)  # e.g. one more layer initialised after the loader was built
        second = _epoch(b)
    return None if first == second else f"drawing from the global RNG after building changed the order: {first} then {second}"


def _epochs_differ(impl) -> str | None:
    loader = impl(_Noisy(), 4, 0)
    a, b = _epoch(loader), _epoch(loader)
    return None if a != b else f"two epochs in the same order {a}: shuffle once per epoch"


def _seeds(impl) -> str | None:
    return None if _epoch(impl(_Noisy(), 4, 0)) != _epoch(impl(_Noisy(), 4, 1)) else "seeds 0 and 1 gave the same order"


def _workers(impl) -> str | None:
    if "fork" not in multiprocessing.get_all_start_methods():
        return None  # not checkable here without fork (Windows): the other checks still run
    runs = []
    for _ in range(2):
        loader = impl(_Noisy(8), 2, 0, num_workers=2, multiprocessing_context="fork")
        runs.append([round(x, 12) for _, xs in loader for x in xs.tolist()])
    by_worker = runs[0][0:2], runs[0][2:4]  # worker 0 loads batch 0, worker 1 batch 1
    if by_worker[0] == by_worker[1]:
        return f"both workers drew the same numbers {by_worker[0]}: each worker's copy of dataset.rng needs its own seed"
    return None if runs[0] == runs[1] else "two runs with seed 0 drew different numbers in the workers"


def _no_generator(dataset, batch_size, seed, shuffle=True, num_workers=0, **kwargs):
    from paper2code.data import seed_worker

    return DataLoader(dataset, batch_size, shuffle=shuffle, num_workers=num_workers, worker_init_fn=seed_worker, **kwargs)


def _global_seed(dataset, batch_size, seed, shuffle=True, num_workers=0, **kwargs):
    from paper2code.data import seed_worker

    torch.manual_seed(seed)
    return DataLoader(dataset, batch_size, shuffle=shuffle, num_workers=num_workers, worker_init_fn=seed_worker, **kwargs)


def _shuffled_once(dataset, batch_size, seed, shuffle=True, num_workers=0, **kwargs):
    from paper2code.data import seed_worker

    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed)).tolist()
    return DataLoader(Subset(dataset, order), batch_size, num_workers=num_workers, worker_init_fn=seed_worker,
                      generator=torch.Generator().manual_seed(seed), **kwargs)


def _no_worker_seed(dataset, batch_size, seed, shuffle=True, num_workers=0, **kwargs):
    return DataLoader(dataset, batch_size, shuffle=shuffle, num_workers=num_workers,
                      generator=torch.Generator().manual_seed(seed), **kwargs)


LOADER = Spec(
    name="seeded_loader",
    reference=make_loader,
    cases=list,
    invariants=(("one epoch holds every example once", _covers),
                ("the same seed gives the same epochs", _repeatable),
                ("the order does not depend on the global RNG", _global_free),
                ("two epochs come in different orders", _epochs_differ),
                ("different seeds give different orders", _seeds),
                ("workers draw different augmentations, the same in every run", _workers)),
    bugs=(
        Bug("no generator: the shuffle draws from the global RNG", DATA + " § The shuffle: give the loader its own generator", _no_generator),
        Bug("torch.manual_seed(seed) instead of a generator: code that draws random numbers later moves the order",
            DATA + " § The shuffle: give the loader its own generator", _global_seed),
        Bug("shuffled once, up front: every epoch repeats the same order", DATA + " § The shuffle: give the loader its own generator", _shuffled_once),
        Bug("no worker_init_fn: each worker's copy of dataset.rng draws the same numbers",
            DATA + " § Workers: seed what PyTorch does not", _no_worker_seed),
    ),
)


# --- a tolerance derived for float32 -----------------------------------------------------------


def _tolerance_cases() -> list[Case]:
    g = gen(16)
    return [Case("1000 numbers of N(0, 1)", (randn(g, 1000, dtype=torch.float32),)),
            Case("cancellation: 1e8, 1, -1e8", (torch.tensor([1e8, 1.0, -1e8]),)),
            Case("one number", (torch.tensor([3.0]),)),
            Case("float64 sum of 100", (randn(g, 100), torch.float64)),
            Case("bfloat16 sum of 10", (randn(g, 10).to(torch.bfloat16).float(), torch.bfloat16))]


def _holds(impl) -> str | None:
    g = gen(17)
    for scale, offset in ((1.0, 0.0), (1.0, 1e4), (1e3, -3.0)):
        x = (randn(g, 4096) * scale + offset).float()
        exact = math.fsum(x.double().tolist())
        bound = impl(x)
        largest_first = x[x.abs().argsort(descending=True)]
        for name, total in (("torch.sum", x.sum()), ("in sorted order", x.sort().values.cumsum(0)[-1]),
                            ("from the largest down", largest_first.cumsum(0)[-1])):
            if abs(total.item() - exact) > bound:
                return f"{name} of 4096 float32 numbers errs by {abs(total.item() - exact):.3g}, beyond the bound {bound:.3g}"
    return None


def _tolerance(magnitude=False, one_rounding=False, eps64=False, machine_eps=False):
    def tolerance(x, dtype=torch.float32):
        n = x.numel()
        eps = torch.finfo(torch.float64 if eps64 else dtype).eps
        u = eps if machine_eps else eps / 2
        k = min(n - 1, 1) if one_rounding else n - 1
        gamma = k * u / (1 - k * u)
        size = abs(x.double().sum().item()) if magnitude else x.double().abs().sum().item()
        return gamma * size

    return tolerance


TOLERANCE_SPEC = Spec(
    name="sum_tolerance",
    reference=sum_tolerance,
    cases=_tolerance_cases,
    invariants=(("the bound holds for float32 sums of 4096 numbers in three orders", _holds),),
    bugs=(
        Bug("|sum x| instead of sum |x|: under cancellation the error is relative to the terms", TESTING,
            _tolerance(magnitude=True)),
        Bug("one rounding (u) where n - 1 additions each round (gamma_{n-1})", TESTING, _tolerance(one_rounding=True)),
        Bug("float64's epsilon for a float32 sum", TESTING, _tolerance(eps64=True)),
        Bug("machine epsilon where the unit roundoff u = eps/2 belongs: a bound twice as loose", TESTING,
            _tolerance(machine_eps=True)),
    ),
)

SPECS = (SPLIT, LOADER, TOLERANCE_SPEC)
