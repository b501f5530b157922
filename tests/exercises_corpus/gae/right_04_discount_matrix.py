"""CORRECT: closed form A_t = sum_k prod_{j=t}^{k-1}(gamma lam c_j) delta_k, the weights built by a cumulative product of a (T, T, N) tensor."""
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
    delta = rewards + gamma * next_values * (1 - terminated) - values
    c = (gamma * lam) * (1 - torch.maximum(terminated, truncated))  # (T, N)
    # W[t, k] = prod_{j=t}^{k-1} c_j for k >= t, 0 for k < t
    rows = []
    for t in range(T):
        factors = torch.cat([torch.ones_like(c[:1]), c[t:T - 1]], dim=0)  # (T - t, N)
        w = torch.cumprod(factors, dim=0)
        rows.append(torch.cat([torch.zeros_like(c[:t]), w], dim=0))
    W = torch.stack(rows, dim=0)  # (T, T, N)
    adv = torch.einsum("tkn,kn->tn", W, delta)
    return adv, adv + values
