r"""Exercise `ppo_clip`: PPO's clipped surrogate objective (Schulman et al., 2017, Eq. 7).

r_t = exp(log_prob - log_prob_old)
L^CLIP = mean_t min(r_t A_t, clip(r_t, 1 - eps, 1 + eps) A_t)

log_prob, log_prob_old, advantage: (B,). Return the objective (to be maximised) as a 0-d tensor.

Check it with: paper2code exercise check ppo_clip THIS_FILE
"""

import torch


def clipped_surrogate(log_prob, log_prob_old, advantage, eps):
    raise NotImplementedError("write clipped_surrogate")
