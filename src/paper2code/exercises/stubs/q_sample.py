r"""Exercise `q_sample`: DDPM's forward process in closed form (Ho et al., 2020, Eq. 4).

x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps.

sched: a paper2code.case_studies.ddpm.Schedule; sched.alpha_bar[t] is alpha_bar_t
(index 0 is t = 0). x0 and eps: (B, ...); t: (B,) integer steps in 1..T.
Return x_t, shape and dtype of x0.

Check it with: paper2code exercise check q_sample THIS_FILE
"""

import torch


def q_sample(sched, x0, t, eps):
    raise NotImplementedError("write q_sample")
