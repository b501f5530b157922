r"""What a rank holds: a census of every live tensor storage in the process.

CPU tensors have no allocator statistics as CUDA's do, so the census walks
the garbage collector's objects, keeps the tensors, and counts each storage
once (a view of a larger buffer counts the whole buffer, once), by its
``untyped_storage().data_ptr()``. Tensors that only autograd holds (saved
for the backward pass) are Python objects as well while a
``saved_tensors_hooks`` pack hook returns them, which the engine installs.
Storages that were alive before the engine was built (the reference run,
imported modules) are the baseline and are not counted; the baseline is
kept alive, so that no new storage can take one of their addresses. (Objects
frozen by ``gc.freeze()`` are older still; ``gc.get_objects()`` skips them.) Tensors
of subclasses (DTensor) are not walked: the census is of our engine.
"""

from __future__ import annotations

import gc

import torch
from torch import nn

__all__ = ["Census", "live_storages"]


_PLAIN = {torch.Tensor, nn.Parameter}  # `type(o) in` is twice as fast as isinstance here


# --8<-- [start:census]
def live_storages() -> dict[int, tuple[int, torch.Tensor]]:
    """Every live tensor storage: its address, its bytes, and one tensor that uses it."""
    found: dict[int, tuple[int, torch.Tensor]] = {}
    for obj in gc.get_objects():
        if type(obj) in _PLAIN and obj.device.type == "cpu":
            storage = obj.untyped_storage()
            if storage.data_ptr() and storage.data_ptr() not in found:
                found[storage.data_ptr()] = (storage.nbytes(), obj)
    return found


class Census:
    """Live storages by kind: the engine names its own, everything else is "other"."""

    def __init__(self):
        gc.freeze()  # a speed-up: the walks see only objects made after this (close() undoes it)
        self.baseline = live_storages()  # alive before: held (and so never reused) until the end
        self.peaks: dict[str, dict[str, int]] = {}

    @staticmethod
    def close() -> None:
        gc.unfreeze()

    def take(self, known: dict[str, list[torch.Tensor | None]]) -> dict[str, int]:
        alive = {p: v for p, v in live_storages().items() if p not in self.baseline}
        counts, claimed = {kind: 0 for kind in known}, set()
        for kind, tensors in known.items():
            for t in tensors:
                if t is None:
                    continue
                storage = t.untyped_storage()
                if storage.data_ptr() not in claimed:  # a storage counts once, for its first kind
                    claimed.add(storage.data_ptr())
                    counts[kind] += storage.nbytes()
        counts["other"] = sum(n for p, (n, _) in alive.items() if p not in claimed)
        counts["total"] = sum(counts.values())
        return counts

    def peak(self, phase: str, known: dict[str, list[torch.Tensor | None]]) -> None:
        """Keep the largest census of ``phase`` (sampled where the engine probes)."""
        counts = self.take(known)
        if counts["total"] > self.peaks.get(phase, {"total": -1})["total"]:
            self.peaks[phase] = counts
# --8<-- [end:census]
