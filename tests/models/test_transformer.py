"""The encoder–decoder Transformer: shapes, sharing, masks, counts."""

from __future__ import annotations

import math

import pytest
import torch

from paper2code.diagnostics.testing import assert_shape, check_gradient_flow, count_parameters
from paper2code.models.transformer import (
    Transformer,
    TransformerConfig,
    create_transformer,
    greedy_decode,
    transformer_base_config,
)

# The leaves these tests check: see the case study's scorecard.
pytestmark = pytest.mark.paper_rubric("src/paper2code/case_studies/rubrics/attention_is_all_you_need.yaml")


def small(**kw):
    torch.manual_seed(0)
    return create_transformer(vocab_size=13, d_model=16, n_heads=2, d_ff=32, dropout=0.0, **kw)


def tokens(b, t, seed=0):
    return torch.randint(1, 13, (b, t), generator=torch.Generator().manual_seed(seed))


def test_output_shape_and_gradient_flow():
    model = small()
    logits = model(tokens(3, 7), tokens(3, 5, seed=1))
    assert_shape(logits, (3, 5, 13))
    logits.logsumexp(-1).mean().backward()
    report = check_gradient_flow(model)
    assert report.ok, str(report)


@pytest.mark.paper("sec-3.4-shared-embeddings")
def test_embeddings_and_output_share_one_matrix():
    model = small()
    assert model.src_embed.weight is model.tgt_embed.weight is model.generator.weight
    unshared = small(share_embeddings=False)
    assert model.src_embed.weight is not unshared.tgt_embed.weight
    d, v = 16, 13
    assert count_parameters(unshared).total - count_parameters(model).total == 2 * v * d


@pytest.mark.paper("sec-3.4-shared-embeddings")
def test_embeddings_are_scaled_by_sqrt_d_model():
    model = small()
    model.eval()
    t = tokens(1, 4)
    x = model.embed(t, model.src_embed) - model.positions.table[:4]
    torch.testing.assert_close(x, model.src_embed(t) * math.sqrt(16))


@pytest.mark.paper("sec-3.2.3-causal")
def test_decoder_is_causal():
    model = small().eval()
    src, tgt = tokens(2, 6), tokens(2, 5, seed=1)
    changed = tgt.clone()
    changed[:, 3:] = (changed[:, 3:] % 12) + 1  # change tokens 3 and 4 only
    a, b = model(src, tgt), model(src, changed)
    torch.testing.assert_close(a[:, :3], b[:, :3])  # positions 0..2 cannot see 3..4
    assert not torch.allclose(a[:, 3:], b[:, 3:])


def test_a_decoder_without_its_causal_mask_fails_the_causality_check(monkeypatch):
    # The bug test_decoder_is_causal guards against, planted: only the padding mask.
    monkeypatch.setattr(Transformer, "tgt_mask", lambda self, tgt: (tgt != self.cfg.pad_id)[:, None, None, :])
    with pytest.raises(AssertionError):
        test_decoder_is_causal()


def test_padding_in_the_source_is_ignored():
    model = small().eval()
    src = tokens(1, 6)
    padded = torch.cat([src, torch.zeros(1, 3, dtype=torch.long)], dim=1)  # pad_id = 0
    tgt = tokens(1, 4, seed=2)
    torch.testing.assert_close(model(src, tgt), model(padded, tgt), rtol=1e-5, atol=1e-6)


def test_pre_norm_variant_has_final_norms():
    model = small(norm_first=True)
    assert isinstance(model.encoder_norm, torch.nn.Module) and sum(
        p.numel() for p in model.encoder_norm.parameters()
    ) == 2 * 16


def test_count_parameters_by_module_and_base_model_size():
    cfg = transformer_base_config()
    assert (cfg.d_model, cfg.d_ff, cfg.n_heads, cfg.n_encoder_layers) == (512, 2048, 8, 6)
    model = small()
    count = count_parameters(model)
    assert set(count.by_module) == {"src_embed", "encoder", "decoder"}
    assert count.total == sum(count.by_module.values()) == sum(
        p.numel() for p in {id(p): p for p in model.parameters()}.values()
    )


def test_greedy_decode_returns_bos_then_tokens():
    model = small()
    out = greedy_decode(model, tokens(2, 5), bos_id=1, max_len=6)
    assert out.shape == (2, 6) and (out[:, 0] == 1).all()
    assert model.training  # restored


def test_config_defaults_are_small():
    cfg = TransformerConfig()
    assert cfg.d_model <= 64 and cfg.n_encoder_layers <= 2


def _copy_attention(ours, ref):
    ref.in_proj_weight.copy_(torch.cat([ours.q_proj.weight, ours.k_proj.weight, ours.v_proj.weight]))
    ref.in_proj_bias.copy_(torch.cat([ours.q_proj.bias, ours.k_proj.bias, ours.v_proj.bias]))
    ref.out_proj.weight.copy_(ours.out_proj.weight)
    ref.out_proj.bias.copy_(ours.out_proj.bias)


def _copy_norm(ours, ref):
    ref.weight.copy_(ours.weight)
    ref.bias.copy_(ours.bias)


def _copy_ffn(ours, ref_layer):
    for name in ("linear1", "linear2"):
        getattr(ref_layer, name).weight.copy_(getattr(ours, name).weight)
        getattr(ref_layer, name).bias.copy_(getattr(ours, name).bias)


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
@torch.no_grad()
def test_the_assembled_model_equals_torch_nn_transformer_with_weights_mapped():
    # The whole encoder-decoder, not only its blocks: a swapped self-/cross-attention
    # or a missing residual passes every block test but not this one.
    model = small(n_encoder_layers=2, n_decoder_layers=2).double().eval()
    ref = torch.nn.Transformer(
        d_model=16, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=32,
        dropout=0.0, batch_first=True, norm_first=False, dtype=torch.float64,
    ).eval()
    # PyTorch adds a final LayerNorm to each stack even in post-norm; the paper has none.
    ref.encoder.norm, ref.decoder.norm = torch.nn.Identity(), torch.nn.Identity()
    for ours, theirs in zip(model.encoder, ref.encoder.layers, strict=True):
        _copy_attention(ours.self_attn, theirs.self_attn)
        _copy_ffn(ours.ffn, theirs)
        _copy_norm(ours.res_attn.norm, theirs.norm1)
        _copy_norm(ours.res_ffn.norm, theirs.norm2)
    for ours, theirs in zip(model.decoder, ref.decoder.layers, strict=True):
        _copy_attention(ours.self_attn, theirs.self_attn)
        _copy_attention(ours.cross_attn, theirs.multihead_attn)
        _copy_ffn(ours.ffn, theirs)
        _copy_norm(ours.res_self.norm, theirs.norm1)
        _copy_norm(ours.res_cross.norm, theirs.norm2)
        _copy_norm(ours.res_ffn.norm, theirs.norm3)
    src, tgt = tokens(3, 7), tokens(3, 5, seed=1)
    src[0, 5:], tgt[1, 3:] = 0, 0  # padding (id 0) at the ends
    expected = model.generator(ref(
        model.embed(src, model.src_embed), model.embed(tgt, model.tgt_embed),
        tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.bool),
        src_key_padding_mask=src == 0, tgt_key_padding_mask=tgt == 0, memory_key_padding_mask=src == 0,
    ))
    logits = model(src, tgt)
    keep = tgt != 0  # PyTorch's rows for padded queries are not defined the same way
    torch.testing.assert_close(logits[keep], expected[keep], rtol=1e-10, atol=1e-12)
