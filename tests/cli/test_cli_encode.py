"""`accelsim encode`: table, JSON and errors, checked against independent arithmetic."""

import json
import math

import numpy as np
import pytest

from accelsim.prune import prune
from accelsim.workload.loaders import load_workload
from accelsim_cli import run


def test_encode_csr_json_matches_hand_count(tmp_path):
    out = tmp_path / "enc.json"
    r = run("encode", "--workload", "tiny-cnn", "--prune", "unstructured:0.75", "--format", "csr",
            "--json", str(out))
    assert r.returncode == 0, r.stderr
    assert "TOTAL" in r.stdout
    data = json.loads(out.read_text())
    pruned = prune(load_workload("tiny-cnn"), "unstructured:0.75")
    assert [l["name"] for l in data["layers"]] == [l.name for l in pruned.layers if l.weight is not None]
    total = 0
    for item, layer in zip(data["layers"], [l for l in pruned.layers if l.weight is not None]):
        w = layer.weight_matrix()
        rows, cols = w.shape
        nnz = int(np.count_nonzero(w))
        meta = nnz * max(1, math.ceil(math.log2(cols))) + (rows + 1) * max(1, math.ceil(math.log2(nnz + 1)))
        assert item["storage_bits"] == {"values": nnz * 8, "metadata": meta, "total": nnz * 8 + meta}
        assert item["sparsity"] == pytest.approx(1 - nnz / w.size)
        total += nnz * 8 + meta
    assert data["total"]["storage_bits"]["total"] == total


def test_encode_dense_is_eight_bits_per_weight(tmp_path):
    out = tmp_path / "d.json"
    r = run("encode", "--workload", "tiny-cnn", "--format", "dense", "--json", str(out))
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text())
    params = sum(l.weight.size for l in load_workload("tiny-cnn").layers if l.weight is not None)
    assert data["total"]["storage_bits"] == {"values": 8 * params, "metadata": 0, "total": 8 * params}
    assert data["total"]["vs_dense"] == 1.0


@pytest.mark.parametrize("args, fragment", [
    (["--prune", "nm:4:4"], "nm"),
    (["--format", "zip"], "zip"),
    (["--format", "nm:2:4"], "layer '"),          # weights not pruned to 2:4
    (["--workload", "nonexistent-net"], "nonexistent-net"),
])
def test_encode_bad_input_exit_2(args, fragment):
    base = {"--workload": "tiny-cnn"}
    argv = ["encode"]
    if "--workload" not in args:
        argv += ["--workload", base["--workload"]]
    r = run(*argv, *args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    assert fragment in r.stderr
