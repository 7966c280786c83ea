"""Bundled workloads: sizes against published figures, names, shapes, synthetic weights."""


import numpy as np
import pytest

from accelsim.errors import AccelsimInputError
from accelsim.workload import load_workload, with_synthetic_weights
from accelsim.workload.bundled import bundled_names


def _weights_count(workload):
    """Weights of conv/linear layers: K_filters * C/groups * R * S, or out * in."""
    return sum(l.groups * l.n * l.k for l in workload if l.kind != "matmul")


# Published figures. Our layers carry no biases and no batch-norm parameters
# (BN is folded into the conv for inference), so the weights-only count is a
# little below the published totals; the tolerances cover that difference.
#
# torchvision model zoo table (docs.pytorch.org/vision/stable/models.html),
# columns "Params" and "GFLOPS" (which are really multiply-accumulates):
#   alexnet 61.1M / 0.71, vgg16 138.4M / 15.47, resnet18 11.7M / 1.81,
#   resnet50 25.6M / 4.09, mobilenet_v2 3.5M / 0.30.
# MobileNetV2 paper (Sandler et al., CVPR 2018, Table 4): 3.4M params, 300M MAdds.
PUBLISHED = {
    # name: (params, rel_tol_params, macs, rel_tol_macs)
    "alexnet": (61.1e6, 0.01, 0.71e9, 0.02),
    "vgg16": (138.4e6, 0.01, 15.47e9, 0.01),
    "resnet18": (11.7e6, 0.01, 1.81e9, 0.01),
    "resnet50": (25.6e6, 0.01, 4.09e9, 0.01),  # BN+bias ~0.11M -> 25.50M weights-only
    "mobilenetv2": (3.5e6, 0.03, 0.30e9, 0.02),  # BN ~0.03M + fc bias
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_cnn_size_matches_published_figures(name):
    params, tol_p, macs, tol_m = PUBLISHED[name]
    workload = load_workload(name, weights=False)
    assert _weights_count(workload) == pytest.approx(params, rel=tol_p)
    assert workload.macs == pytest.approx(macs, rel=tol_m)


def test_bert_base_encoder_linears_match_published_size():
    # Devlin et al., NAACL 2019: BERT-base has 110M parameters, of which the
    # embeddings are 30522*768 + 512*768 + 2*768 = 23.8M; per encoder layer the
    # weights are 4*768*768 (Q, K, V, O) + 2*768*3072 (FFN) = 7,077,888.
    workload = load_workload("bert-base", weights=False)
    encoder = [l for l in workload if l.name.startswith("encoder.") and l.kind == "linear"]
    assert len(encoder) == 12 * 6
    assert _weights_count(encoder) == 12 * (4 * 768 * 768 + 2 * 768 * 3072)
    assert _weights_count(encoder) == pytest.approx(85e6, rel=0.01)
    # dense MACs at seq 128: linears 128 * weights, attention 2 * 12 heads * 128*128*64
    per_layer = 128 * (4 * 768 * 768 + 2 * 768 * 3072) + 2 * 12 * 128 * 128 * 64
    pooler = 768 * 768
    assert workload.macs == 12 * per_layer + pooler


def test_bert_attention_shapes_and_tokens():
    workload = load_workload("BERT-Base", tokens=128, weights=False)
    scores = workload["encoder.layer.0.attention.self.scores"]
    context = workload["encoder.layer.11.attention.self.context"]
    assert (scores.kind, scores.m, scores.k, scores.n, scores.groups) == ("matmul", 128, 64, 128, 12)
    assert (context.m, context.k, context.n, context.groups) == (128, 128, 64, 12)
    assert scores.weight is None
    query = workload["encoder.layer.3.attention.self.query"]
    assert (query.m, query.k, query.n) == (128, 768, 768)
    short = load_workload("bert-base", tokens=32, batch=2, weights=False)
    s = short["encoder.layer.0.attention.self.scores"]
    assert (s.m, s.k, s.n, s.groups) == (32, 64, 32, 24)
    assert short["encoder.layer.0.intermediate.dense"].m == 64
    assert short["pooler.dense"].m == 2  # one [CLS] token per sequence


def test_resnet50_is_v15_with_torchvision_names():
    workload = load_workload("resnet50")
    conv1 = workload["layer2.0.conv1"]
    conv2 = workload["layer2.0.conv2"]
    assert conv1.conv.stride_h == 1 and conv1.conv.in_h == 56
    # v1.5: the stride-2 sits on the 3x3: 56x56 -> 28x28
    assert (conv2.conv.stride_h, conv2.conv.kernel_h, conv2.conv.in_h, conv2.conv.out_h) == (2, 3, 56, 28)
    down = workload["layer2.0.downsample.0"]
    assert (down.conv.in_channels, down.conv.out_channels, down.conv.stride_h) == (256, 512, 2)
    fc = workload["fc"]
    assert (fc.kind, fc.m, fc.k, fc.n) == ("linear", 1, 2048, 1000)
    # 1 stem + 16 bottlenecks * 3 + 4 projections + fc
    assert len(workload) == 1 + 48 + 4 + 1


def test_mobilenetv2_depthwise_convs_have_groups_equal_channels():
    workload = load_workload("MobileNet_V2")
    dw = workload["features.2.conv.1.0"]  # first t=6 block: 16 -> 96 hidden, stride 2
    assert (dw.conv.groups, dw.conv.in_channels, dw.conv.out_channels) == (96, 96, 96)
    assert (dw.k, dw.n, dw.conv.out_h) == (9, 1, 56)
    depthwise = [l for l in workload if l.kind == "conv" and l.groups > 1]
    assert len(depthwise) == 17
    assert all(l.groups == l.conv.in_channels == l.conv.out_channels for l in depthwise)


def test_alexnet_and_vgg_shapes():
    alex = load_workload("alexnet", weights=False)
    assert alex["features.0"].conv.out_h == 55  # (224 + 4 - 11) // 4 + 1
    assert alex["classifier.1"].k == 256 * 6 * 6
    vgg = load_workload("VGG-16", weights=False)
    assert sum(l.kind == "conv" for l in vgg) == 13 and sum(l.kind == "linear" for l in vgg) == 3
    assert vgg["classifier.0"].k == 512 * 7 * 7


@pytest.mark.parametrize("alias", ["ResNet-50", "resnet_50", "RESNET50", " resnet50 "])
def test_aliases(alias):
    assert [l.name for l in load_workload(alias, weights=False)] == \
        [l.name for l in load_workload("resnet50", weights=False)]


def test_bundled_names_are_the_documented_ones():
    assert set(bundled_names()) >= {"alexnet", "vgg16", "resnet18", "resnet50", "mobilenetv2",
                                    "bert-base", "tiny-cnn"}


def test_unknown_name_lists_bundled_names():
    with pytest.raises(AccelsimInputError) as info:
        load_workload("resnet51")
    message = str(info.value)
    for name in ("alexnet", "vgg16", "resnet18", "resnet50", "mobilenetv2", "bert-base"):
        assert name in message
    assert "resnet51" in message


def test_env_var_overrides_workloads_dir(tmp_path, monkeypatch):
    (tmp_path / "mynet.yaml").write_text(
        "name: mynet\nlayers:\n  - {name: fc, type: linear, in_features: 4, out_features: 2}\n")
    monkeypatch.setenv("ACCELSIM_WORKLOADS_DIR", str(tmp_path))
    assert bundled_names() == ("mynet",)
    assert load_workload("MyNet", tokens=3)["fc"].m == 3
    with pytest.raises(AccelsimInputError, match="mynet"):
        load_workload("resnet50")


def test_batch_multiplies_conv_m():
    one = load_workload("tiny-cnn", weights=False)
    two = load_workload("tiny-cnn", batch=2, weights=False)
    assert [l.m * 2 for l in one] == [l.m for l in two]
    assert two["conv1"].conv.batch == 2


# ------------------------------------------------------------------ weights
def test_synthetic_weights_are_deterministic():
    a = load_workload("tiny-cnn", seed=7)
    b = load_workload("tiny-cnn", seed=7)
    c = load_workload("tiny-cnn", seed=8)
    for la, lb, lc in zip(a, b, c):
        assert la.weight.dtype == np.float32
        np.testing.assert_array_equal(la.weight, lb.weight)
        assert not np.array_equal(la.weight, lc.weight)


def test_weight_of_a_layer_depends_only_on_seed_and_index():
    full = load_workload("tiny-cnn", seed=3)
    shapes_only = load_workload("tiny-cnn", weights=False)
    prefix = with_synthetic_weights(shapes_only.with_layers(shapes_only.layers[:2]), seed=3)
    for lp, lf in zip(prefix, full):
        np.testing.assert_array_equal(lp.weight, lf.weight)


def test_weights_have_pytorch_layout_and_kaiming_scale():
    workload = load_workload("resnet18", seed=0)
    layer = workload["layer4.0.conv2"]  # K = 512*3*3 = 4608, 2.4M samples
    assert layer.weight.shape == (512, 512, 3, 3)
    assert abs(float(layer.weight.mean())) < 1e-3
    assert float(layer.weight.std()) == pytest.approx(np.sqrt(2 / 4608), rel=0.01)
    dw = load_workload("mobilenetv2")["features.2.conv.1.0"]
    assert dw.weight.shape == (96, 1, 3, 3)
    assert workload["fc"].weight.shape == (1000, 512)


def test_seed_none_uses_the_file_seed(tmp_path):
    text = ("name: s\nseed: 5\nlayers:\n"
            "  - {name: fc, type: linear, in_features: 8, out_features: 4}\n")
    (tmp_path / "s.yaml").write_text(text)
    from_file = load_workload(tmp_path / "s.yaml", seed=None)
    explicit = load_workload(tmp_path / "s.yaml", seed=5)
    other = load_workload(tmp_path / "s.yaml", seed=0)
    np.testing.assert_array_equal(from_file["fc"].weight, explicit["fc"].weight)
    assert not np.array_equal(from_file["fc"].weight, other["fc"].weight)


def test_resnet50_loads_with_every_weight():
    # (Its load time is measured in benchmarks/, not asserted here.)
    workload = load_workload("resnet50")
    assert all(l.weight is not None for l in workload)


@pytest.mark.parametrize("bad", [{"tokens": 0}, {"batch": -1}, {"seed": -3}, {"tokens": 2.5}])
def test_bad_loader_arguments(bad):
    with pytest.raises(AccelsimInputError, match=next(iter(bad))):
        load_workload("tiny-cnn", **bad)
