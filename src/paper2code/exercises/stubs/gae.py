r"""Exercise `gae`: generalized advantage estimation (Schulman et al., PPO, Eqs. 11-12).

delta_t = r_t + gamma V(s_{t+1}) - V(s_t), with V(s_{t+1}) = 0 where the episode terminated;
A_t = delta_t + gamma lambda A_{t+1}, where A_{t+1} = 0 if the episode ended at step t
(terminated or truncated). A truncated step still bootstraps V(s_{t+1}).

All inputs (T, N): step t of actor n; next_values[t] = V(s_{t+1}) of the state the
step led to; terminated / truncated: 1.0 where the episode ended there.
Return (advantages, returns = advantages + values), both (T, N).

What the checks hold you to: terminated and truncated may both be 1 at one step (the
episode ended once); an episode may end at the last step; T = 1 works; the dtype is kept
(float32 in, float32 out); gradients flow to rewards, values and next_values; no input is
modified in place.

Check it with: paper2code exercise check gae THIS_FILE
"""

import torch


def gae(rewards, values, next_values, terminated, truncated, gamma, lam):
    raise NotImplementedError("write gae")
