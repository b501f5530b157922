r"""Exercise `cosine_warmup`: linear warm-up, then cosine decay (SGDR, Eq. 5).

step counts from 0. While step < warmup_steps:
    base_lr * (s + (1 - s) * step / warmup_steps), s = warmup_start_factor.
After it, with T_cur = step - warmup_steps (at most T) and T = total_steps - warmup_steps:
    min_lr + (base_lr - min_lr) * (1 + cos(pi * T_cur / T)) / 2.
Past total_steps the rate stays at min_lr. Return a float.

Check it with: paper2code exercise check cosine_warmup THIS_FILE
"""

import math


def cosine_with_warmup(step, base_lr, warmup_steps, total_steps, min_lr=0.0, warmup_start_factor=0.0):
    raise NotImplementedError("write cosine_with_warmup")
