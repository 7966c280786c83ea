"""The YAML workload schema: parsing, repeat blocks, and every error path."""

import pytest

from accelsim.errors import AccelsimInputError
from accelsim.workload import load_workload


def _write(tmp_path, text, name="w.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD = """\
name: demo
source: hand-written test network
input_shape: [3, 8, 8]
seed: 1
layers:
  - {name: c1, type: conv, in_channels: 3, in_h: 8, in_w: 8, out_channels: 4, kernel: 3,
     stride: 1, padding: 1}
  - {name: c2, type: conv, in_channels: 4, in_h: 8, in_w: 8, out_channels: 8, kernel: [3, 1],
     stride: [2, 1], padding: [1, 0], groups: 2, input_density: 0.5}
  - {name: fc, type: linear, in_features: 256, out_features: 10, tokens: 1}
  - repeat: 2
    name: block
    layers:
      - {name: proj, type: linear, in_features: 10, out_features: 10}
      - {name: qk, type: matmul, m: tokens, k: 5, n: tokens, repeats: 2}
"""


def test_parses_all_layer_types(tmp_path):
    w = load_workload(_write(tmp_path, GOOD), tokens=6)
    assert [l.name for l in w] == ["c1", "c2", "fc", "block.0.proj", "block.0.qk",
                                   "block.1.proj", "block.1.qk"]
    c2 = w["c2"]
    # H: (8 + 2 - 3)//2 + 1 = 4; W: (8 + 0 - 1)//1 + 1 = 8
    assert (c2.conv.out_h, c2.conv.out_w) == (4, 8)
    assert (c2.m, c2.k, c2.n, c2.groups) == (32, 2 * 3 * 1, 4, 2)
    assert c2.input_density == 0.5
    assert c2.weight.shape == (8, 2, 3, 1)
    assert (w["fc"].m, w["block.1.proj"].m) == (1, 6)
    qk = w["block.0.qk"]
    assert (qk.m, qk.k, qk.n, qk.groups, qk.weight) == (6, 5, 6, 2, None)
    assert w.name == "demo"


def test_missing_file(tmp_path):
    with pytest.raises(AccelsimInputError, match="an existing file"):
        load_workload(tmp_path / "nope.yaml")


def test_missing_file_given_as_string(tmp_path):
    with pytest.raises(AccelsimInputError, match="nope.csv"):
        load_workload(str(tmp_path / "nope.csv"))


def test_empty_file(tmp_path):
    with pytest.raises(AccelsimInputError, match="empty"):
        load_workload(_write(tmp_path, ""))


def test_whitespace_only_file(tmp_path):
    with pytest.raises(AccelsimInputError, match="empty"):
        load_workload(_write(tmp_path, "\n   \n"))


def test_list_yaml(tmp_path):
    with pytest.raises(AccelsimInputError, match="mapping, not list"):
        load_workload(_write(tmp_path, "- a\n- b\n"))


def test_scalar_yaml(tmp_path):
    with pytest.raises(AccelsimInputError, match="mapping, not int"):
        load_workload(_write(tmp_path, "42\n"))


def test_bad_yaml_syntax(tmp_path):
    with pytest.raises(AccelsimInputError, match="not valid YAML"):
        load_workload(_write(tmp_path, "name: [unclosed\n"))


def test_unknown_suffix_and_directory(tmp_path):
    with pytest.raises(AccelsimInputError, match=r"\.safetensors"):
        load_workload(_write(tmp_path, "x", name="w.txt"))
    (tmp_path / "d.yaml").mkdir()
    with pytest.raises(AccelsimInputError, match="not a directory"):
        load_workload(tmp_path / "d.yaml")


def test_all_problems_reported_together(tmp_path):
    text = """\
name: ""
colour: blue
seed: -1
layers:
  - {name: a, type: conv, in_channels: 3, in_h: 8, in_w: 8, out_channels: 0, kernel: 3}
  - {name: b, type: linear, in_features: 4.5, out_features: 2, bias: true}
  - {name: c, type: pool}
  - {type: matmul, m: 1, k: 1, n: 1}
  - {name: e, type: matmul, m: tokens, k: seq, n: 2, repeats: 0}
  - {name: f, type: conv, in_channels: 6, in_h: 8, in_w: 8, out_channels: 4, kernel: 3, groups: 4}
  - {name: g, type: conv, in_channels: 3, in_h: 2, in_w: 2, out_channels: 4, kernel: 5}
  - {name: h, type: conv, in_channels: 3, in_h: 8, in_w: 8, out_channels: 4, kernel: [3, 3, 3],
     input_density: 1.5}
  - {name: a, type: linear, in_features: 4, out_features: 2}
"""
    with pytest.raises(AccelsimInputError) as info:
        load_workload(_write(tmp_path, text))
    fields = [p.field for p in info.value.problems]
    expected = [
        "colour", "name", "seed",
        "layers[0](a).out_channels",
        "layers[1](b).bias", "layers[1](b).in_features",
        "layers[2](c).type",
        "layers[3].name",
        "layers[4](e).k", "layers[4](e).repeats",
        "layers[5](f).groups",
        "layers[6](g).kernel",
        "layers[7](h).input_density", "layers[7](h).kernel",
    ]
    for field in expected:
        assert field in fields, (field, fields)
    assert any(p.field.endswith(".name") and p.value == "a" for p in info.value.problems)  # duplicate
    message = str(info.value)
    assert "an integer >= 1" in message and "conv, linear or matmul" in message
    assert "example of a valid workload file" in message


def test_missing_required_fields(tmp_path):
    text = "layers:\n  - {name: a, type: conv, in_channels: 3}\n"
    with pytest.raises(AccelsimInputError) as info:
        load_workload(_write(tmp_path, text))
    fields = {p.field for p in info.value.problems}
    assert {"name", "layers[0](a).in_h", "layers[0](a).in_w", "layers[0](a).out_channels",
            "layers[0](a).kernel"} <= fields


def test_layers_must_be_a_nonempty_list(tmp_path):
    for layers in ("[]", "{a: 1}", "3"):
        with pytest.raises(AccelsimInputError, match="non-empty list of layers"):
            load_workload(_write(tmp_path, f"name: x\nlayers: {layers}\n"))


def test_bad_repeat_block_reported_once(tmp_path):
    text = """\
name: x
layers:
  - repeat: 3
    name: blk
    layers:
      - {name: fc, type: linear, in_features: -1, out_features: 2}
  - {repeat: 0, name: blk2, layers: [{name: fc, type: linear, in_features: 1, out_features: 1}]}
"""
    with pytest.raises(AccelsimInputError) as info:
        load_workload(_write(tmp_path, text))
    fields = [p.field for p in info.value.problems]
    assert fields.count("layers[0](blk).layers[0](fc).in_features") == 1
    assert "layers[1](blk2).repeat" in fields


@pytest.mark.parametrize("bad", [None, 42, "", "   "])
def test_name_or_path_must_be_a_string_or_path(bad):
    with pytest.raises(AccelsimInputError, match="bundled name or a path"):
        load_workload(bad)


def test_missing_yaml_named_like_a_bundled_workload_gets_a_hint(tmp_path):
    with pytest.raises(AccelsimInputError, match="did you mean the bundled workload 'resnet50'"):
        load_workload(str(tmp_path / "ResNet-50.yaml"))
