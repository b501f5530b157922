r"""Exercise `posterior`: q(x_{t-1} | x_t, x_0) (Ho et al., 2020, Eqs. 6-7).

mean = sqrt(alpha_bar_{t-1}) beta_t / (1 - alpha_bar_t) x_0
     + sqrt(alpha_t) (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) x_t
variance = beta_tilde_t = (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) beta_t

sched: a paper2code.case_studies.ddpm.Schedule (fields beta, alpha, alpha_bar,
beta_tilde, indexed by t; index 0 is t = 0). x0, xt: (B, ...); t: (B,) in 1..T.
Return (mean, variance), both of x0's shape.

Check it with: paper2code exercise check posterior THIS_FILE
"""

import torch


def posterior(sched, x0, xt, t):
    raise NotImplementedError("write posterior")
