r"""Exercise `transformer_lr`: the Transformer's learning rate (Vaswani et al., 2017, Eq. 3).

lrate = d_model^-0.5 * min(step^-0.5, step * warmup_steps^-1.5), step counted from 1.

Return a float.

Check it with: paper2code exercise check transformer_lr THIS_FILE
"""


def transformer_lr(step, d_model=512, warmup_steps=4000):
    raise NotImplementedError("write transformer_lr")
