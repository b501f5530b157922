"""Small utilities every implementation needs: device choice and seeding.

These are the "utilities first" of the implementation order: tiny, tested,
and used by everything after them.

Examples:
    >>> import torch
    >>> from paper2code.utils import get_device, same_device_type
    >>> same_device_type(torch.zeros(1).device, "cpu")
    True
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

__all__ = ["get_device", "same_device_type", "seed_everything"]


# --8<-- [start:get_device]
def get_device(prefer: str | None = None) -> torch.device:
    """Pick the best available device: CUDA, then Apple's MPS, then the CPU.

    Args:
        prefer: Force a device ("cpu", "cuda", "cuda:1", "mps"). Raises if the
            requested backend is not available, rather than silently falling
            back to the CPU and making a GPU run quietly slow.

    Returns:
        A ``torch.device``. With ``prefer=None`` it has no index (``cuda``,
        not ``cuda:0``), so compare device *types*, not devices; see
        [`same_device_type`][paper2code.utils.same_device_type].
    """
    if prefer is not None:
        device = torch.device(prefer)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"device {prefer!r} requested but CUDA is not available")
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise RuntimeError(f"device {prefer!r} requested but MPS is not available")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
# --8<-- [end:get_device]


# --8<-- [start:same_device_type]
def same_device_type(a: torch.device | str, b: torch.device | str) -> bool:
    """Whether two devices are of the same kind (cpu, cuda, mps).

    ``torch.device("cuda") != torch.device("cuda:0")``: a tensor created on
    ``get_device()`` reports ``cuda:0``, so a test that compares devices with
    ``==`` fails on every GPU machine. Compare the types instead.

    Examples:
        >>> import torch
        >>> torch.device("cuda") == torch.device("cuda:0")
        False
        >>> same_device_type(torch.device("cuda"), torch.device("cuda:0"))
        True
    """
    return torch.device(a).type == torch.device(b).type
# --8<-- [end:same_device_type]


# --8<-- [start:seed_everything]
def seed_everything(seed: int, deterministic: bool = False) -> None:
    """Seed Python, NumPy and PyTorch (CPU and every GPU).

    Args:
        seed: The seed.
        deterministic: Also ask PyTorch for deterministic kernels, which raise
            where no deterministic implementation exists. Slower; use it to
            chase a run-to-run difference, not for every run.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds the CPU and all CUDA devices
    if deterministic:
        # cuBLAS needs this set before its first use to be deterministic.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
# --8<-- [end:seed_everything]
