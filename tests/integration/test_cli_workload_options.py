"""The shared workload options on the command line: checkpoints with --input-shape / --topology."""

import json

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from accelsim_cli import run
from accelsim.workload import load_workload
from accelsim.workload.checkpoint import save_safetensors


@pytest.fixture(scope="module")
def cnn_pt(tmp_path_factory):
    """A CNN state dict; as safetensors, so the CLI subprocesses need not import torch (speed)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, padding=1),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))
    path = tmp_path_factory.mktemp("ckpt") / "cnn.safetensors"
    save_file(model.state_dict(), str(path))
    return path


@pytest.mark.parametrize("command", ["simulate", "encode", "compare"])
def test_missing_input_shape_is_named(cnn_pt, tmp_path, command):
    extra = {"simulate": ["--arch", "nm24-ws-32x32"], "encode": [],
             "compare": ["--arch", "nm24-ws-32x32", "--out", str(tmp_path / "rep")]}[command]
    r = run(command, "--workload", str(cnn_pt), *extra)
    assert r.returncode == 2, r.stderr
    assert "--input-shape" in r.stderr and "Traceback" not in r.stderr
    assert "internal error" not in r.stderr


def test_simulate_with_input_shape(cnn_pt, tmp_path):
    out = tmp_path / "sim.json"
    r = run("simulate", "--workload", str(cnn_pt), "--arch", "unstructured-os-32x32",
            "--input-shape", "3,16,16", "--prune", "unstructured:0.5", "--json", str(out))
    assert r.returncode == 0, r.stderr
    layers = {l["name"]: l for l in json.loads(out.read_text())["layers"]}
    assert list(layers) == ["0", "2", "5"]
    assert layers["0"]["macs_dense"] == 16 * 16 * 27 * 8
    assert layers["5"]["macs_dense"] == 16 * 10                  # one vector per image, not 128 tokens


@pytest.mark.parametrize("bad", ["3,x,16", "3,16,16,16", "0,16,16", "\u0663,16,16",
                                 "99999999999999999999,1,1"])
def test_bad_input_shape_text(cnn_pt, bad):
    r = run("encode", "--workload", str(cnn_pt), f"--input-shape={bad}")
    assert r.returncode == 2, (bad, r.stderr)
    assert "--input-shape" in r.stderr and "C,H,W" in r.stderr and "Traceback" not in r.stderr


def test_input_shape_on_a_bundled_workload_is_refused():
    r = run("encode", "--workload", "tiny-cnn", "--input-shape", "3,16,16")
    assert r.returncode == 2 and "only checkpoints need an input shape" in r.stderr


def test_topology_on_the_command_line(tmp_path):
    wl = load_workload("tiny-cnn", seed=3)
    sd = {f"{l.name}.weight": torch.from_numpy(l.weight.copy()) for l in wl}
    save_file(sd, str(tmp_path / "tiny.safetensors"))
    out = tmp_path / "enc.json"
    r = run("encode", "--workload", str(tmp_path / "tiny.safetensors"), "--topology", "tiny-cnn",
            "--prune", "nm:2:4", "--format", "nm:2:4", "--json", str(out))
    assert r.returncode == 0, r.stderr
    assert [l["name"] for l in json.loads(out.read_text())["layers"]] == ["conv1", "conv2", "conv3", "fc"]


def test_simulate_a_file_written_by_save_safetensors(tmp_path):
    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(),
                          nn.Linear(8 * 8 * 8, 10))
    path = save_safetensors(model, tmp_path / "m.safetensors", example_input=torch.randn(1, 3, 16, 16))
    out = tmp_path / "sim.json"
    r = run("simulate", "--workload", str(path), "--arch", "nm24-ws-32x32", "--prune", "nm:2:4",
            "--json", str(out))
    assert r.returncode == 0, r.stderr
    layers = {l["name"]: l for l in json.loads(out.read_text())["layers"]}
    assert layers["0"]["macs_dense"] == 8 * 8 * 27 * 8           # stride 2: an 8x8 output
    assert all(l["exploited"] for l in layers.values())


@pytest.mark.parametrize("text,expected", [("3,224,224", (3, 224, 224)), (" 3, 16 ,16 ", (3, 16, 16)),
                                           ("4,50", (4, 50))])
def test_parse_input_shape(text, expected):
    from accelsim.commands.options import parse_input_shape
    assert parse_input_shape(text) == expected


@pytest.mark.parametrize("text", ["", "3", "3,,4", "3,4,5,6", "3,\u00b2,16", "\u0663,4,4", "3,4,-1",
                                  "3.0,4,4", "0,4,4", "3,1000001,4", "1e3,4,4"])
def test_parse_input_shape_refuses(text):
    import argparse

    from accelsim.commands.options import parse_input_shape
    with pytest.raises(argparse.ArgumentTypeError, match="C,H,W"):
        parse_input_shape(text)
