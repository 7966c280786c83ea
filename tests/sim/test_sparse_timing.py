"""Sparse timing rules: N:M, unstructured (imbalance), BSR, and storage bits against the encoders."""

import numpy as np
import pytest

from accelsim.errors import AccelsimInputError
from accelsim.formats import encode
from accelsim.formats.spec import parse_format
from accelsim.prune import prune
from accelsim.sim import simulate
from accelsim.sim.sparse_timing import weight_storage_bits
from accelsim.workload import conv_layer, linear_layer

from simtools import make_arch


def _dense_weight(rows, cols, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((rows, cols)).astype(np.float32)
    w[np.abs(w) < 0.1] = 1.0          # no zeros, also after int8 quantisation
    return w


def test_2_4_halves_the_reduction_folds():
    # K=256 on 32 rows: dense 8 row folds; 2:4 keeps ceil(256/4)*2 = 128 rows -> 4 row folds.
    # One column fold (N=32). Fold = 2*32 + 32 + 10 - 2 = 104 cycles.
    layer = prune(linear_layer("fc", in_features=256, out_features=32, tokens=10,
                               weight=_dense_weight(32, 256)), "nm:2:4")
    arch = make_arch(32, 32, "ws", sparsity="nm", n=2, m=4)
    sparse = simulate(layer, arch).layers[0]
    dense = simulate(layer, arch, format="dense").layers[0]
    assert (sparse.folds, dense.folds) == (4, 8)
    assert sparse.cycles == 4 * 104 - 1
    assert dense.cycles == 8 * 104 - 1
    assert sparse.exploited and sparse.format == "nm:2:4"


@pytest.mark.parametrize("dataflow", ["ws", "os", "is"])
def test_unstructured_at_zero_sparsity_equals_dense(dataflow):
    layer = linear_layer("fc", in_features=50, out_features=20, tokens=7, weight=_dense_weight(20, 50))
    arch = make_arch(8, 4, dataflow, sparsity="unstructured")
    csr = simulate(layer, arch, format="csr").layers[0]
    dense = simulate(layer, arch, format="dense").layers[0]
    assert csr.exploited
    assert csr.cycles == dense.cycles
    assert csr.folds == dense.folds


@pytest.mark.parametrize("dataflow", ["ws", "os"])
def test_one_fully_dense_lane_costs_dense_time(dataflow):
    # 8 output channels fit one column group of 8; channel 3 keeps all K=64 weights and the
    # others keep 2 each. The fold waits for the most loaded PE, so nothing is saved.
    w = _dense_weight(8, 64)
    keep = np.zeros_like(w, dtype=bool)
    keep[3, :] = True
    keep[:, :2] = True
    layer = linear_layer("fc", in_features=64, out_features=8, tokens=16, weight=np.where(keep, w, 0))
    arch = make_arch(8, 8, dataflow, sparsity="unstructured")
    sparse = simulate(layer, arch).layers[0]
    dense = simulate(layer, arch, format="dense").layers[0]
    assert sparse.cycles == dense.cycles
    # ... while the effectual work is much smaller: 64 + 7*2 = 78 of 512 weights; the dense PE
    # also multiplies the zeros (events["macs"]), the sparse one does not.
    assert sparse.macs_effectual == dense.macs_effectual == 78 * 16
    assert sparse.events["macs"] == 78 * 16
    assert dense.events["macs"] == 512 * 16


def test_unstructured_os_fold_length_is_the_max_nnz_of_its_channels():
    # 4 channels on a 2x2 OS array, K=12: nnz per channel 3, 6 | 1, 2.
    # Column group 0: T=6, group 1: T=2; M=2 -> one row fold each.
    # cycles = (6 + 2 + 2 - 2) + (2 + 2 + 2 - 2) - 1 = 8 + 4 - 1 = 11
    w = np.zeros((4, 12), dtype=np.float32)
    for row, nnz in enumerate((3, 6, 1, 2)):
        w[row, :nnz] = 1.0
    layer = linear_layer("fc", in_features=12, out_features=4, tokens=2, weight=w)
    result = simulate(layer, make_arch(2, 2, "os", sparsity="unstructured"))
    assert result.total.cycles == 11
    # each column group reads only the activations its channels have weights for:
    # 2 pixels x (6 + 2) positions x 8 bits
    assert result.layers[0].events["input_sram_read_bits"] == 2 * (6 + 2) * 8


def test_bsr_with_all_blocks_zero_but_one():
    # 32 x 64 weight, one nonzero 4x4 block (rows 0-3, columns 8-11), 4x4 block PE, M=8.
    w = np.zeros((32, 64), dtype=np.float32)
    w[0:4, 8:12] = 1.5
    layer = linear_layer("fc", in_features=64, out_features=32, tokens=8, weight=w)
    ws = make_arch(32, 32, "ws", sparsity="block", block="4x4")
    # WS: most loaded column has 1 block * 4 columns = 4 rows -> 1 row fold of 2*32+32+8-2 = 102
    # cycles (dense: 64 rows -> 2 row folds).
    sparse = simulate(layer, ws).layers[0]
    assert sparse.cycles == 102 - 1
    assert simulate(layer, ws, format="dense").layers[0].cycles == 2 * 102 - 1
    # OS: T = 4 beats; M=8 -> 1 row fold: 4 + 32 + 32 - 2 = 66
    os_ = make_arch(32, 32, "os", sparsity="block", block="4x4")
    assert simulate(layer, os_).layers[0].cycles == 66 - 1
    # one block stored: 16 values of 8 bits; metadata 1 block-column index of
    # ceil(log2 16) = 4 bits + 9 block-row pointers of ceil(log2 2) = 1 bit
    assert sparse.events["index_decodes"] == 1 * 4 * 8
    # the array reads only the 4 activation columns the block covers, for 8 pixels
    assert sparse.events["input_sram_read_bits"] == 8 * 4 * 8
    assert sparse.bytes["dram"]["metadata"] == -(-(4 + 9) // 8)


def test_is_skips_only_all_zero_weight_vectors():
    # IS on 4 rows: K=8 -> 2 row folds; 6 channels. Row fold 0 (k 0-3): channels 0 and 1 have
    # weights; row fold 1 (k 4-7): none. M=3 pixels on 4 columns -> 1 column fold.
    # cycles = (2*4 + 4 + 2 - 2) - 1 = 11 (dense: 2 folds of 2*4+4+6-2 = 16 -> 31)
    w = np.zeros((6, 8), dtype=np.float32)
    w[0, 1] = w[1, 3] = 1.0
    layer = linear_layer("fc", in_features=8, out_features=6, tokens=3, weight=w)
    arch = make_arch(4, 4, "is", sparsity="unstructured")
    assert simulate(layer, arch).total.cycles == 11
    assert simulate(layer, arch, format="dense").total.cycles == 31


def test_explicit_nm_format_on_unpruned_weights_is_an_input_error():
    layer = linear_layer("fc", in_features=16, out_features=4, weight=_dense_weight(4, 16))
    arch = make_arch(4, 4, "ws", sparsity="nm", n=2, m=4)
    with pytest.raises(AccelsimInputError, match="nm:2:4"):
        simulate(layer, arch, format="nm:2:4")
    # the default (native) format falls back to dense and says so
    result = simulate(layer, arch).layers[0]
    assert not result.exploited
    assert any("not 2:4 sparse" in note for note in result.notes)


def test_format_the_pe_cannot_exploit_runs_dense():
    w = _dense_weight(8, 32)
    w[:, ::2] = 0
    layer = linear_layer("fc", in_features=32, out_features=8, tokens=4, weight=w)
    arch = make_arch(8, 8, "ws", sparsity="nm", n=2, m=4)
    csr = simulate(layer, arch, format="csr").layers[0]
    dense = simulate(layer, arch, format="dense").layers[0]
    assert not csr.exploited and csr.format == "csr"
    assert csr.cycles == dense.cycles
    assert csr.bytes["dram"]["metadata"] == 0
    assert any("not exploited" in note for note in csr.notes)


@pytest.mark.parametrize("fmt", ["dense", "csr", "csc", "bitmap", "bsr:4x4", "bsr:3x5", "nm:2:4",
                                 "nm:1:4:compact"])
@pytest.mark.parametrize("shape", [(12, 20), (7, 9), (1, 33)])
def test_storage_bits_equal_the_encoders(fmt, shape):
    rng = np.random.default_rng(1)
    w = _dense_weight(*shape)
    spec = parse_format(fmt)
    if spec.kind == "nm":
        w = prune(w, f"nm:{spec.n}:{spec.m}")
    else:
        w = np.where(rng.random(shape) < 0.7, 0, w).astype(np.float32)
    expected = encode(w, fmt, value_bits=8).storage_bits()
    nnz = int(np.count_nonzero(w))
    blocks = 0
    if spec.kind == "bsr":
        br, bc = spec.block_shape
        padded = np.zeros((-(-shape[0] // br) * br, -(-shape[1] // bc) * bc), dtype=bool)
        padded[:shape[0], :shape[1]] = w != 0
        blocks = int(padded.reshape(padded.shape[0] // br, br, -1, bc).any(axis=(1, 3)).sum())
    values, meta = weight_storage_bits(spec, shape[0], shape[1], nnz, 8, blocks)
    assert (values, meta) == (expected["values"], expected["metadata"])


def test_sparse_dram_bytes_use_the_encoded_storage():
    # conv weight 16 x (8*3*3) pruned 90% unstructured, CSR on the unstructured PE.
    rng = np.random.default_rng(3)
    w = rng.standard_normal((16, 8, 3, 3)).astype(np.float32)
    layer = prune(conv_layer("c", in_channels=8, in_h=6, in_w=6, out_channels=16, kernel=3, weight=w),
                  "unstructured:0.9")
    result = simulate(layer, make_arch(8, 8, "ws", sparsity="unstructured")).layers[0]
    bits = encode(layer.weight, "csr", value_bits=8).storage_bits()
    # WS reads every weight once; the whole input fits, so DRAM reads = weights + input
    input_bits = 8 * 6 * 6 * 8
    assert result.events["dram_read_metadata_bits"] == bits["metadata"]
    assert result.events["dram_read_bits"] == bits["total"] + input_bits


@pytest.mark.parametrize("rows, expected", [
    # 4 rows: row folds are k 0-3, 4-7, 8-11, 12-15; blocks (channels 0-1, k 0-3) and
    # (channels 4-5, k 8-11) -> folds 0 and 2 stream 2 channels: 2 * (2*4 + 4 + 2 - 2) - 1 = 23
    (4, 23),
    # 3 rows: folds k 0-2, 3-5, 6-8, 9-11, 12-14, 15; a block column touching a fold counts,
    # so folds 0-3 stream 2 channels each: 4 * (2*3 + 4 + 2 - 2) - 1 = 39
    (3, 39),
])
def test_is_block_vectors_follow_the_stored_blocks(rows, expected):
    w = np.zeros((8, 16), dtype=np.float32)
    w[0:2, 0:4] = 1.0
    w[4:6, 8:12] = 2.0
    layer = linear_layer("fc", in_features=16, out_features=8, tokens=3, weight=w)
    arch = make_arch(rows, 4, "is", sparsity="block", block="2x4")
    assert simulate(layer, arch).total.cycles == expected
