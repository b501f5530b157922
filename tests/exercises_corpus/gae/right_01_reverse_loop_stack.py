"""CORRECT: reverse loop collecting per-step advantages in a list, torch.stack at the end."""
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
    cont = 1.0 - torch.clamp(terminated + truncated, 0.0, 1.0)
    deltas = rewards + gamma * next_values * (1.0 - terminated) - values
    out = []
    running = torch.zeros_like(deltas[-1])
    for t in range(deltas.shape[0] - 1, -1, -1):
        running = deltas[t] + gamma * lam * cont[t] * running
        out.append(running)
    adv = torch.stack(out[::-1], dim=0)
    return adv, adv + values
