"""ZeRO on 2 and 4 processes (gloo, CPU): memory to the byte, bytes sent, equivalence
with single-process training and with PyTorch's engines, the checkpoint across world
sizes, the command line under torch.multiprocessing and torchrun, and the recordings.

Tolerance, fixed before the runs: 1e-12 on weights after 3 Adam steps (lr 1e-2) in
float64. A rank's gradient differs from the single-process one only by the rounding
of its sums (relative ~ batch * 2^-53 ~ 1e-15); Adam's step lr * m / (sqrt(v) + eps)
passes a relative error on to the step with a factor of about 2 where |g| >> eps, so
3 steps move the weights apart by about 6 * 1e-2 * 1e-15 ~ 1e-16. 1e-12 leaves room
for cancellation in the sums and is still far below what a missing 1/N_d does
(7e-8 when planted: Adam is scale-free except for eps). Bitwise where the sums are the same: on
2 ranks every reduction adds two numbers (commutative, exact order-free) and divides
by 2 (exact), so ours, ZeroRedundancyOptimizer and FSDP2 agree to the bit."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from paper2code.case_studies.zero import STAGES, model_state_bytes, run_rank, spawn
from paper2code.case_studies.zero_analysis import PDF, record_analysis
from paper2code.case_studies.zero_analysis import RECORD as ANALYSIS
from paper2code.case_studies.zero_engines import (
    RECORD,
    STEPS,
    engine_weights,
    load_single,
    rings_against_gloo,
)

pytestmark = [pytest.mark.integration,
              pytest.mark.paper_rubric("src/paper2code/case_studies/rubrics/zero.yaml")]

ROOT = Path(__file__).resolve().parents[2]
TOL = 1e-12
PSI = 51
OURS = dict(param_bytes=8, grad_bytes=8, k=16)


@pytest.fixture(scope="module")
def ours():
    runs = {1: [run_rank(0, 1, STEPS)]}
    runs |= {w: spawn(functools.partial(run_rank, steps=STEPS), w) for w in (2, 4)}
    return runs


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    checkpoint = str(tmp_path_factory.mktemp("dcp"))
    two = spawn(functools.partial(engine_weights, checkpoint=checkpoint), 2)
    four = spawn(functools.partial(engine_weights, load=checkpoint), 4)
    return {2: two, 4: four, "on 1": load_single(checkpoint)}


def weights(rank_result: dict) -> dict[str, torch.Tensor]:
    return {k: torch.tensor(v, dtype=torch.float64) for k, v in rank_result["weights"].items()}


def diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a - b).abs().max().item()


@pytest.mark.paper("res-memory-held", "eq-memory", "stage-pos", "stage-pg", "stage-pp",
                   "impl-uneven-shards")
def test_each_rank_holds_what_the_formula_says(ours):
    for world, ranks in ours.items():
        for rank in ranks:
            for stage, name in STAGES.items():
                held = {k: rank[name][k] for k in ("params", "grads", "optimizer")}
                assert held == model_state_bytes(PSI, world, stage, **OURS), (world, name)


@pytest.mark.paper("res-comm-ring", "impl-collectives")
def test_bytes_sent_are_the_ring_volume(ours):
    for world, ranks in ours.items():
        padded_bytes = 8 * world * -(-PSI // world)
        for rank in ranks:
            sent = [rank[name]["sent_per_step"] for name in STAGES.values()]
            ring = (world - 1) * padded_bytes // world  # one reduce-scatter or all-gather
            assert sent == [2 * ring, 2 * ring, 2 * ring, 3 * ring], (world, sent)


@pytest.mark.paper("res-comm-pos-g", "res-comm-pos-g-p")
def test_communication_ratio_to_ddp(ours, paper_result):
    ratios = {}
    for world in (2, 4):
        sent = {name: ours[world][0][name]["sent_per_step"] for name in STAGES.values()}
        ratios[world] = (sent["P_os+g"] / sent["DDP"], sent["P_os+g+p"] / sent["DDP"])
    assert ratios[2] == ratios[4]
    paper_result("res-comm-pos-g", ratios[4][0])
    paper_result("res-comm-pos-g-p", ratios[4][1])


@pytest.mark.paper("res-equiv-single", "stage-pos", "stage-pg", "stage-pp", "impl-adam",
                   "impl-uneven-shards")
def test_every_stage_trains_like_a_single_process(ours, paper_result):
    worst = max(rank[name]["max_weight_diff"] for ranks in ours.values()
                for rank in ranks for name in STAGES.values())
    assert worst <= TOL
    paper_result("res-equiv-single", worst)


@pytest.mark.paper("res-equiv-zero1", "stage-pos")
def test_ours_against_zero_redundancy_optimizer(engines, paper_result):
    two, four = weights(engines[2][0]), weights(engines[4][0])
    assert torch.equal(two["ours P_os"], two["ZeroRedundancyOptimizer"])  # 2 ranks: bitwise
    worst = diff(four["ours P_os"], four["ZeroRedundancyOptimizer"])
    assert worst <= TOL
    assert diff(four["ZeroRedundancyOptimizer"], four["single process"]) <= TOL
    paper_result("res-equiv-zero1", worst)


@pytest.mark.paper("res-equiv-fsdp2", "stage-pp")
def test_ours_against_fully_shard(engines, paper_result):
    two, four = weights(engines[2][0]), weights(engines[4][0])
    worst = 0.0
    for engine in ("fully_shard", "fully_shard, reshard_after_forward=False"):
        assert torch.equal(two["ours P_os+g+p"], two[engine])  # 2 ranks: bitwise
        worst = max(worst, diff(four["ours P_os+g+p"], four[engine]))
        assert diff(four[engine], four["single process"]) <= TOL
    assert worst <= TOL
    # FSDP2 shards each parameter on dim 0: uneven, and rank 3 of 4 holds nothing.
    assert [r["fsdp_local_numel"] for r in engines[2]] == [29, 22]
    assert [r["fsdp_local_numel"] for r in engines[4]] == [17, 17, 17, 0]
    paper_result("res-equiv-fsdp2", worst)


@pytest.mark.paper("res-checkpoint")
def test_checkpoint_saved_on_2_loads_on_4_and_on_1(engines, paper_result):
    saved = weights(engines[2][0])["fully_shard"]
    loaded = [torch.tensor(r["loaded"], dtype=torch.float64) for r in engines[4]]
    worst = max(diff(saved, w) for w in [*loaded, engines["on 1"]])
    assert worst == 0.0  # a copy: equal to the bit
    paper_result("res-checkpoint", worst)


def test_the_recording_is_what_a_run_gives(ours, engines):
    recorded = json.loads(RECORD.read_text("utf-8"))
    for world, ranks in ours.items():
        for now, then in zip(ranks, recorded["ours"][str(world)], strict=True):
            for name in STAGES.values():
                assert {k: v for k, v in now[name].items() if k != "max_weight_diff"} == \
                       {k: v for k, v in then[name].items() if k != "max_weight_diff"}
                assert abs(now[name]["max_weight_diff"] - then[name]["max_weight_diff"]) <= TOL
    for world in (2, 4):
        now, then = weights(engines[world][0]), weights(recorded["engines"][str(world)][0])
        assert all(diff(now[k], then[k]) <= TOL for k in then)


@pytest.mark.paper("impl-collectives")
def test_our_rings_give_what_gloos_collectives_give():
    for world in (2, 4):
        assert spawn(rings_against_gloo, world) == [[True, True, True]] * world


def _run(*argv: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


def test_the_command_line_and_torchrun_print_the_same(ours):
    spawned = _run(sys.executable, "-m", "paper2code.case_studies.zero", "--world-size", "2",
                   "--json")
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent))
    launched = _run(torchrun, "--nproc-per-node", "2", "-m", "paper2code.case_studies.zero",
                    "--json")
    assert spawned == launched == {name: [r[name] for r in ours[2]] for name in STAGES.values()}


def test_the_analysis_recording_is_what_analyze_finds():
    if not PDF.exists():
        pytest.skip(f"the paper's PDF is not at {PDF}")
    assert record_analysis(PDF) == json.loads(ANALYSIS.read_text("utf-8")), (
        "paper2code analyze changed what it finds: re-record with "
        "`uv run python -m paper2code.case_studies.zero_analysis PATH/1910.02054.pdf`")
