r"""Exercise `split`: a train/test split by group, free of leakage.

groups: (N,) integers, the group of each row (a patient, a speaker, a document).
Put round(test_fraction * G) of the G groups in the test split, chosen with a
torch.Generator seeded with `seed` (not the global RNG); every row of a group
goes where its group goes. Return (train_indices, test_indices), ascending.

Check it with: paper2code exercise check split THIS_FILE
"""

import torch


def split_by_group(groups, test_fraction, seed):
    raise NotImplementedError("write split_by_group")
