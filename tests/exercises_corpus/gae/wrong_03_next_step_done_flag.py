"""MISTAKE: uses the done flags of step t+1 to cut the chain (CleanRL's 'next done' convention misapplied), one step off."""
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
    ended = torch.clamp(terminated + truncated, max=1.0)
    adv = torch.zeros_like(rewards)
    last = torch.zeros_like(rewards[0])
    for t in reversed(range(T)):
        delta = rewards[t] + gamma * next_values[t] * (1 - terminated[t]) - values[t]
        cont = 1.0 - ended[t + 1] if t + 1 < T else torch.ones_like(last)
        last = delta + gamma * lam * cont * last
        adv[t] = last
    return adv, adv + values
