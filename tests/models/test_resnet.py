"""ResNet-18/34/50 and their plain nets: torchvision's counts and outputs."""

from __future__ import annotations

import pytest
import torch

from paper2code.case_studies.resnet import to_torchvision
from paper2code.models.resnet import (
    ResNet,
    ResNetConfig,
    cifar_resnet,
    resnet18,
    resnet34,
    resnet50,
)

# The leaves these tests check: see the case study's scorecard.
pytestmark = pytest.mark.paper_rubric("src/paper2code/case_studies/rubrics/resnet.yaml")

OURS = {"resnet18": resnet18, "resnet34": resnet34, "resnet50": resnet50}


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.paper("tab-1-params-18", "tab-1-params-34", "tab-1-params-50")
@pytest.mark.parametrize("name", sorted(OURS))
def test_parameter_counts_equal_torchvision_exactly(name, paper_result):
    import torchvision  # here, not at collection: it takes seconds to import

    with torch.device("meta"):  # shapes only: no memory, no initialisation cost
        ours, theirs = OURS[name](), getattr(torchvision.models, name)(weights=None)
    assert n_params(ours) == n_params(theirs)
    assert set(to_torchvision(ours.state_dict())) == set(theirs.state_dict())
    paper_result(f"tab-1-params-{name.removeprefix('resnet')}", n_params(ours))


def randomise_batchnorm(model: torch.nn.Module, seed: int) -> None:
    """Give every BN non-trivial statistics and affine weights."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            for t in (m.weight, m.bias, m.running_mean):
                t.data = torch.randn(t.shape, generator=g, dtype=t.dtype) * 0.5
            m.weight.data += 1
            m.running_var.data = torch.rand(m.running_var.shape, generator=g, dtype=m.running_var.dtype) + 0.5


@pytest.mark.paper("eq-1", "eq-2", "fig-5-blocks")
@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_outputs_equal_torchvision_with_mapped_weights_float64(name):
    import torchvision  # here, not at collection: it takes seconds to import

    torch.manual_seed(0)
    theirs = getattr(torchvision.models, name)(weights=None).double()
    ours = OURS[name]().double()
    randomise_batchnorm(theirs, seed=1)
    # torchvision's weights, loaded into ours through the name mapping
    ours_names = dict(zip(to_torchvision(ours.state_dict()), ours.state_dict(), strict=True))
    ours.load_state_dict({ours_names[k]: v for k, v in theirs.state_dict().items()})
    x = torch.randn(2, 3, 32, 32, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        a, b = ours.eval()(x), theirs.eval()(x)
    # Tolerance, float64: 1e-10 of the output scale (same operations, same order).
    assert (a - b).abs().max() <= 1e-10 * b.abs().max()
    assert b.abs().max() > 1e-3 and b.std() > 1e-3  # not a trivial output


@pytest.mark.paper("tab-1-downsampling")
def test_stride_placement_of_the_bottleneck():
    with torch.device("meta"):
        v15, v1 = resnet50(), resnet50(stride_on="1x1")
    first = {"v1.5": v15.stages["conv3_x"][0], "v1": v1.stages["conv3_x"][0]}
    assert first["v1.5"].conv_a[0].stride == (1, 1) and first["v1.5"].conv_b[0].stride == (2, 2)
    assert first["v1"].conv_a[0].stride == (2, 2) and first["v1"].conv_b[0].stride == (1, 1)
    assert n_params(v15) == n_params(v1)


@pytest.mark.paper("eq-1", "claim-plain-vs-residual-same-cost", "shortcut-options")
def test_plain_net_is_the_same_stack_without_shortcuts():
    plain, residual = cifar_resnet(3, residual=False), cifar_resnet(3)  # option A
    assert n_params(plain) == n_params(residual)
    assert all(b.shortcut is None for s in plain.stages.values() for b in s)
    with torch.device("meta"):  # option B adds the projections W_s of Eq. (2)
        b_plain = resnet34(residual=False)
        b_res = resnet34()
    assert n_params(b_res) > n_params(b_plain)


@pytest.mark.paper("eq-1")
def test_block_with_a_zero_residual_branch_is_the_identity_then_relu():
    torch.manual_seed(0)
    net = cifar_resnet(1, residual=True)
    block = net.stages["conv2_x"][0]
    torch.nn.init.zeros_(block.conv_b[1].weight)  # last BN's γ = 0: F(x) = β = 0
    x = torch.randn(2, 16, 8, 8)
    block.eval()
    assert torch.equal(block(x), torch.relu(x))  # y = σ(F(x) + x) = σ(x)
    net_plain = cifar_resnet(1, residual=False)
    plain_block = net_plain.stages["conv2_x"][0].eval()
    torch.nn.init.zeros_(plain_block.conv_b[1].weight)
    assert torch.equal(plain_block(x), torch.zeros_like(x))  # plain: y = σ(F(x)) = 0


@pytest.mark.paper("tab-6-params", "sec-4-2-cifar-nets")
def test_cifar_nets_have_the_parameter_counts_of_table_6():
    # Table 6: ResNet-20 0.27M, -32 0.46M, -56 0.85M, -110 1.7M (option A, 10 classes).
    paper = {3: 0.27, 5: 0.46, 9: 0.85, 18: 1.7}
    for n, millions in paper.items():
        with torch.device("meta"):
            count = n_params(cifar_resnet(n, in_channels=3))
        digits = 1 if millions >= 1 else 2
        assert round(count / 1e6, digits) == millions, (n, count)


@pytest.mark.paper("tab-1-architectures", "hp-no-dropout", "hp-init")
def test_config_is_table_1():
    cfg = ResNetConfig()
    assert cfg.widths == (64, 128, 256, 512) and cfg.stem == "imagenet"
    with torch.device("meta"):
        assert isinstance(resnet34(), ResNet)
    with torch.device("meta"):
        net = resnet50()
    assert not any(isinstance(m, torch.nn.Dropout) for m in net.modules())
    torch.manual_seed(0)
    conv = cifar_resnet(1).stages["conv3_x"][0].conv_b[0]  # 32 → 32, 3×3
    fan_out = conv.out_channels * 9  # He init [13], fan-out mode
    assert conv.weight.std().item() == pytest.approx((2 / fan_out) ** 0.5, rel=0.1)
