"""CORRECT: preallocated output filled backwards, torch.where on the boolean end flags."""
r"""Exercise `gae`: generalized advantage estimation (Schulman et al., PPO, Eqs. 11-12).

delta_t = r_t + gamma V(s_{t+1}) - V(s_t), with V(s_{t+1}) = 0 where the episode terminated;
A_t = delta_t + gamma lambda A_{t+1}, where A_{t+1} = 0 if the episode ended at step t
(terminated or truncated). A truncated step still bootstraps V(s_{t+1}).

All inputs (T, N): step t of actor n; next_values[t] = V(s_{t+1}) of the state the
step led to; terminated / truncated: 1.0 where the episode ended there.
Return (advantages, returns = advantages + values), both (T, N).

Check it with: paper2code exercise check gae THIS_FILE
"""

import torch


def gae(rewards, values, next_values, terminated, truncated, gamma, lam):
    T = rewards.shape[0]
    term = terminated.bool()
    ended = term | truncated.bool()
    v_next = torch.where(term, torch.zeros_like(next_values), next_values)
    adv = torch.empty_like(rewards)
    nxt = None
    for t in reversed(range(T)):
        delta = rewards[t] + gamma * v_next[t] - values[t]
        if nxt is None:
            a = delta
        else:
            a = delta + torch.where(ended[t], torch.zeros_like(nxt), gamma * lam * nxt)
        adv[t] = a
        nxt = a
    return adv, adv + values
