r"""The PPO case study's experiment: which arms, which seeds, which metrics.

Paper: Schulman et al., *Proximal Policy Optimization Algorithms*, 2017,
<https://arxiv.org/abs/1707.06347>. Section 6.1, Table 1 compares, on the
same algorithm, no clipping or penalty (average normalised score −0.39),
clipping with ε = 0.2 (0.82) and the adaptive KL penalty (0.74 at d_targ =
0.01), scored by the mean total reward of the last 100 episodes. Here the
same three arms run on CartPole-v1, with REINFORCE (with and without a
learned baseline) as vanilla policy gradient; every arm uses the same seeds,
so arms are compared seed by seed (``paper2code.statistics.evaluation.compare_arms``).
The criteria are in ``rubrics/ppo.yaml``, fixed before the runs.

Differences from the paper: CartPole instead of MuJoCo; each arm's score is
the mean of its last 5 evaluations (100 episodes each), not the last 100
training episodes; 8 seeds, not 3.

    uv run python -m paper2code.case_studies.ppo_experiment --full      # minutes; records
    uv run python -m paper2code.case_studies.ppo_experiment --dry-run   # seconds
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import gymnasium as gym
import torch

from paper2code.case_studies.cartpole import solved_at
from paper2code.case_studies.ppo import PPOConfig, train_ppo
from paper2code.case_studies.reinforce import PGConfig, train_pg

__all__ = ["ARMS", "COMMAND", "CONFIRMATORY", "LAST", "RECORD", "main", "penalty_active", "run_config",
           "stability", "steps_to_solve"]

RECORD = Path(__file__).resolve().parents[3] / "docs" / "data" / "ppo_cartpole.json"
COMMAND = "uv run python -m paper2code.case_studies.ppo_experiment --full"
LAST = 5  # evaluations averaged by the stability metric
# The clipped arm's seeds 0-2 were recorded on 2026-11-30, before the criteria (2026-12-05):
# the confirmatory verdicts use the seeds no arm had run before.
CONFIRMATORY = (3, 4, 5, 6, 7)

# --8<-- [start:arms]
ARMS = {  # name: the configuration of seed 0; only the seed changes
    "ppo": PPOConfig(),  # L^CLIP, ε = 0.2
    "ppo_noclip": PPOConfig(clip_eps=1e9),  # Table 1's "no clipping or penalty"
    "ppo_kl": PPOConfig(kl_target=0.01),  # Table 1's adaptive KL, d_targ = 0.01
    "reinforce_baseline": PGConfig(baseline=True),  # vanilla PG, learned V(s)
    "reinforce": PGConfig(baseline=False),  # vanilla PG, batch-mean baseline
}


def run_config(arm: str, seed: int) -> PPOConfig | PGConfig:
    return replace(ARMS[arm], seed=seed)


def stability(run: dict, last: int = LAST) -> float:
    """The mean of the last ``last`` evaluations: where training ended up."""
    return statistics.fmean(run["eval_return"][-last:])


def steps_to_solve(run: dict) -> int:
    """Steps to the first evaluation ≥ 475; never: the steps run + one evaluation period."""
    cfg = run["config"]
    if "horizon" in cfg:  # PPO: whole iterations of N·T steps
        per = cfg["n_envs"] * cfg["horizon"]
        budget = math.ceil(cfg["total_steps"] / per) * per
    else:  # REINFORCE: whole episodes; its last episode count
        budget = run["episodes"][-1][0]
    return solved_at(run) or budget + cfg["eval_every"]
# --8<-- [end:arms]


# --8<-- [start:guard]
def penalty_active(run: dict) -> bool:
    """A KL arm whose penalty worked: β rose at least once (d > 1.5 d_targ after an update).

    d measured *before* the update epochs is KL(π_old, π_old) = 0, so β only halves:
    after 49 iterations β = 2^-49, and the arm is the unclipped objective, the no-clip
    arm, against which the clip wins. Such an arm would "reproduce" Table 1's clip > KL.
    """
    beta = [run["config"]["kl_beta"], *run["beta"]]
    return any(after > before for before, after in zip(beta[:-1], beta[1:], strict=True))
# --8<-- [end:guard]


def _full_run(job: tuple[str, int]) -> dict:
    """One full-run job, in a worker process: ``(arm, seed)``."""
    arm, seed = job
    cfg = run_config(arm, seed)
    return train_ppo(cfg) if isinstance(cfg, PPOConfig) else train_pg(cfg)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="PPO's Table 1 arms and REINFORCE on CartPole-v1.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--full", action="store_true", help=f"the full runs; writes {RECORD.name}")
    group.add_argument("--dry-run", action="store_true", help="a tiny run, seconds")
    parser.add_argument("--seeds", type=int, default=8, help="seeds per arm (full run)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (full run)")
    args = parser.parse_args(argv)
    for flag in ("seeds", "jobs"):
        if getattr(args, flag) < 1:
            print(f"ppo_experiment: --{flag} must be at least 1, not {getattr(args, flag)}",
                  file=sys.stderr)
            return 2
    if args.dry_run:
        run = train_ppo(PPOConfig(total_steps=4096, eval_every=2048, eval_episodes=10), True)
        print(f"dry run done in {run['seconds']} s")
        return 0
    command = COMMAND + (f" --seeds {args.seeds}" if args.seeds != 8 else "")
    jobs = [(arm, seed) for arm in ARMS for seed in range(args.seeds)]  # PPO (longest) first
    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        runs = {}
        for (arm, seed), run in zip(jobs, pool.imap(_full_run, jobs), strict=True):
            runs[f"{arm}/seed{seed}"] = run
            print(f"{arm}, seed {seed}: solved at {solved_at(run)} steps, last {LAST} "
                  f"evaluations {stability(run):.1f}, {run['seconds']} s", flush=True)
    cpu = sum(run["cpu_seconds"] for run in runs.values())
    record = {"command": command, "seconds": round(time.perf_counter() - start, 1),
              "cpu_seconds": round(cpu, 1), "jobs": args.jobs,
              "load_average": [round(x, 1) for x in os.getloadavg()],
              "torch": torch.__version__,
              "gymnasium": gym.__version__, "runs": runs}
    RECORD.write_text(json.dumps(record) + "\n")
    print(f"recorded to {RECORD} in {record['seconds']} s ({cpu:.0f} s of CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
