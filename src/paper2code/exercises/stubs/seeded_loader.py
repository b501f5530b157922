r"""Exercise `seeded_loader`: a DataLoader whose order depends on the seed only.

Return a torch.utils.data.DataLoader over `dataset` that shuffles (if shuffle)
with a generator of its own seeded by `seed`, so the order does not move when
other code draws random numbers; a new order each epoch; and workers whose
random generators (including a NumPy generator the dataset keeps as
dataset.rng) are seeded from that generator (worker_init_fn). Pass **kwargs on.

Check it with: paper2code exercise check seeded_loader THIS_FILE
"""

import random

import numpy as np
import torch
from torch.utils.data import DataLoader, get_worker_info


def make_loader(dataset, batch_size, seed, shuffle=True, num_workers=0, **kwargs):
    raise NotImplementedError("write make_loader")
