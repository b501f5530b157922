"""CORRECT: solves the bidiagonal linear system (I - U) A = delta per actor with torch.linalg.solve_triangular."""
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
    T, N = rewards.shape
    delta = rewards + gamma * next_values * (1 - terminated) - values  # (T, N)
    cont = 1 - torch.maximum(terminated, truncated)                      # (T, N)
    # A_t - gamma*lam*cont_t*A_{t+1} = delta_t  ->  upper bidiagonal matrix per actor
    M = torch.eye(T, dtype=rewards.dtype, device=rewards.device).expand(N, T, T).clone()
    idx = torch.arange(T - 1, device=rewards.device)
    M[:, idx, idx + 1] = -gamma * lam * cont[:-1].T.to(rewards.dtype)
    adv = torch.linalg.solve_triangular(M, delta.T.unsqueeze(-1), upper=True).squeeze(-1).T
    return adv, adv + values
