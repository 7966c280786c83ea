"""Bad inputs to encode and the converters, and check() on hand-corrupted tensors."""

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from accelsim.errors import AccelsimInputError
from accelsim.formats import FormatInvariantError, encode, from_scipy, from_torch, storage_report

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("weight, problem", [
    (np.float32(3.0), "weight.shape: got (); allowed: at least one dimension (a 1-D array is viewed as one row)"),
    (np.zeros((0, 4), np.int8), "weight.shape: got (0, 4); allowed: every dimension >= 1"),
    (np.zeros((2, 2), np.complex64), "weight.dtype: got 'complex64'; allowed: bool, int8, int16, int32, int64, "
                                     "uint8, uint16, uint32, uint64, float16, float32, float64"),
    (np.array([["a"]]), "weight.dtype: got '<U1'; allowed: bool, int8"),
])
def test_bad_weight(weight, problem):
    with pytest.raises(AccelsimInputError) as info:
        encode(weight, "csr")
    assert str(info.value).startswith("cannot encode weight as 'csr'\n")
    assert f"  - {problem}" in str(info.value)


def test_all_problems_reported_together():
    with pytest.raises(AccelsimInputError) as info:
        encode(np.zeros((0,), np.int8), "csr", value_bits=0, index_bits=True)
    assert str(info.value) == (
        "cannot encode weight as 'csr'\n"
        "  - weight.shape: got (0,); allowed: every dimension >= 1\n"
        "  - value_bits: got 0; allowed: an integer >= 1\n"
        "  - index_bits: got True; allowed: None (minimal widths) or an integer >= 1")


def test_bad_format_string_reaches_the_user():
    with pytest.raises(AccelsimInputError, match="invalid sparse format 'bsr:4x0'"):
        encode(np.ones((2, 2)), "bsr:4x0")


def test_accepts_lists_and_numpy_integer_widths():
    t = encode([[1, 0], [0, 2]], "csr", value_bits=np.int64(4), index_bits=np.uint8(3))
    assert t.storage_bits()["values"] == 8 and t.bit_widths()["index"] == 3


def test_from_scipy_rejects_non_sparse():
    with pytest.raises(AccelsimInputError) as info:
        from_scipy(np.eye(2))
    assert str(info.value) == ("cannot convert from SciPy\n"
                               "  - obj: got 'ndarray'; allowed: a 2-D scipy.sparse array or matrix")


def test_from_scipy_shape_and_duplicates():
    import scipy.sparse as sp
    coo = sp.coo_array((np.array([1, 2, 5], np.int32), (np.array([0, 0, 1]), np.array([1, 1, 3]))), shape=(2, 4))
    t = from_scipy(coo)
    assert t.format == "csr"
    assert t.to_dense().tolist() == [[0, 3, 0, 0], [0, 0, 0, 5]]   # duplicates summed, as in SciPy
    assert from_scipy(coo, "bitmap", shape=(2, 2, 2)).to_dense().shape == (2, 2, 2)
    with pytest.raises(AccelsimInputError, match=r"shape: got \(4, 2\); allowed: a shape whose matrix view is \(2, 4\)"):
        from_scipy(coo, shape=(4, 2))


def test_from_torch_errors():
    torch = pytest.importorskip("torch")
    with pytest.raises(AccelsimInputError, match="tensor.dtype: got 'torch.bfloat16'"):
        from_torch(torch.ones(2, 2, dtype=torch.bfloat16))
    with pytest.raises(AccelsimInputError, match="tensor: got 'list'; allowed: a torch.Tensor"):
        from_torch([[1.0]])


def test_from_torch_strided_and_coo():
    torch = pytest.importorskip("torch")
    dense = torch.tensor([[0.0, -0.0, 2.0], [3.0, 0.0, 0.0]])
    t = from_torch(dense)
    assert t.format == "dense" and t.nnz == 2                # -0.0 is a zero
    t = from_torch(dense.to_sparse(), "bsr:1x3")
    assert t.format == "bsr:1x3" and t.to_dense().tolist() == [[0.0, 0.0, 2.0], [3.0, 0.0, 0.0]]


def test_storage_report():
    w = np.zeros((4, 8), np.int8)
    w[0, 0] = w[3, 7] = 1
    rows = storage_report(w, ["dense", "csr", "bitmap"])
    assert [r.format for r in rows] == ["dense", "csr", "bitmap"]
    assert [r.total_bits for r in rows] == [256, 2 * 8 + 2 * 3 + 5 * 2, 2 * 8 + 32]
    assert rows[0].vs_dense == 1.0 and rows[2].vs_dense == 48 / 256
    with pytest.raises(AccelsimInputError, match="formats: got 'csr'"):
        storage_report(w, "csr")


def test_core_does_not_import_torch():
    code = "import sys, numpy as np, accelsim.formats as f; f.encode(np.eye(3), 'csr').to_scipy(); " \
           "print('torch' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------- corruption
def _corrupt(t, **arrays):
    return dataclasses.replace(t, **arrays)


def _raises(t, full, *fragments):
    with pytest.raises(FormatInvariantError) as info:
        t.check(full=full)
    for fragment in fragments:
        assert fragment in str(info.value)


def _csr_example():
    w = np.zeros((3, 6), np.int8)
    w[0, [1, 4]] = [1, 2]
    w[2, [0, 3, 5]] = [3, 4, 5]
    return encode(w, "csr")


def test_csr_unsorted_indices():
    t = _csr_example()
    t.check(full=True)
    bad = _corrupt(t, indices=np.array([4, 1, 0, 3, 5]))
    bad.check()  # cheap check passes: lengths and pointer ends are right
    _raises(bad, True, "csr tensor of shape (3, 6) breaks its invariants",
            "indices[1]: got 1; allowed: > 4 (indices strictly ascend within row 0; no duplicates)")


def test_csr_index_out_of_range_and_bad_pointers():
    t = _csr_example()
    _raises(_corrupt(t, indices=np.array([1, 4, 0, 3, 6])), True, "indices[4]: got 6; allowed: an index in [0, 6)")
    _raises(_corrupt(t, indptr=np.array([0, 2, 2, 4])), False,
            "indptr[-1]: got 4; allowed: 5 (= indices.size)")
    _raises(_corrupt(t, indptr=np.array([0, 3, 2, 5])), True,
            "indptr[2]: got 2; allowed: >= indptr[1] = 3 (pointers never decrease)")
    _raises(_corrupt(t, indptr=np.array([0, 2, 5])), False, "indptr.shape: got (3,); allowed: (4,)")


def test_csr_explicit_zero_in_absolute_mode():
    t = _csr_example()
    bad = _corrupt(t, data=np.array([1, 0, 3, 4, 5], np.int8), nnz=4)
    _raises(bad, True, "entry 1 (row 0, index 4): got an explicit zero; allowed: a nonzero (absolute indices store no zeros)")


def test_csr_relative_needless_and_missing_padding():
    w = np.zeros((1, 22), np.int8)
    w[0, 0], w[0, 21] = 5, 7
    t = encode(w, "csr", index_bits=4)          # indices 0, 16 (padding), 21
    t.check(full=True)
    missing = _corrupt(t, indptr=np.array([0, 2]), indices=np.array([0, 21]), data=np.array([5, 7], np.int8))
    _raises(missing, True, "entry 1 (row 0, index 21): got a gap of 20 zeros; allowed: at most 15 zeros")
    needless = _corrupt(t, indptr=np.array([0, 4]), indices=np.array([0, 10, 16, 21]),
                        data=np.array([5, 0, 0, 7], np.int8))
    _raises(needless, True, "entry 1 (row 0, index 10): got an explicit zero after a gap of 9; "
                            "allowed: padding only after exactly 15 zeros")


def test_csc_duplicate_index():
    w = np.zeros((4, 3), np.int8)
    w[[0, 2], 1] = [1, 2]
    t = encode(w, "csc")
    _raises(_corrupt(t, indices=np.array([0, 0])), True,
            "indices[1]: got 0; allowed: > 0 (indices strictly ascend within column 1; no duplicates)")


def test_bsr_nonzero_in_edge_padding():
    w = np.zeros((3, 3), np.int8)
    w[2, 2] = 1
    t = encode(w, "bsr:2x2")                    # one stored block: block (1, 1), padded
    data = t.data.copy()
    data[0, 1, 1] = 9                           # matrix element (3, 3): outside 3x3
    _raises(_corrupt(t, data=data, nnz=2), True,
            "data[0, 1, 1]: got a nonzero; allowed: 0 (element lies in the zero padding outside the 3x3 matrix)")
    _raises(_corrupt(t, data=t.data[:, :1, :]), False, "data.shape: got (1, 1, 2); allowed: (1, 2, 2)")


def test_bsr_zero_block_stored():
    w = np.zeros((2, 4), np.int8)
    w[0, 0] = 1
    t = encode(w, "bsr:2x2")
    bad = _corrupt(t, indptr=np.array([0, 2]), indices=np.array([0, 1]),
                   data=np.concatenate([t.data, np.zeros((1, 2, 2), np.int8)]))
    _raises(bad, True, "entry 1 (block row 0, index 1): got an explicit zero")


def test_nm_corruptions():
    w = np.array([[0, 3, 0, 4, 5, 0]], dtype=np.int8)
    t = encode(w, "nm:2:4")                     # positions [[1, 3], [0, 1]]
    _raises(_corrupt(t, positions=np.array([[[3, 1], [0, 1]]], np.uint8)), True,
            "positions[0, 0]: got [3, 1]; allowed: strictly ascending positions")
    _raises(_corrupt(t, positions=np.array([[[1, 4], [0, 1]]], np.uint8)), True,
            "positions[0, 0, 1]: got 4; allowed: a position in [0, 4)")
    _raises(_corrupt(t, positions=np.array([[[1, 3], [0, 2]]], np.uint8)), True,
            "positions[0, 1]: got [0, 2]; allowed: [0, 1] (the nonzeros, then the lowest zero positions)")
    _raises(_corrupt(t, values=np.array([[[3, 4], [5, 6]]], np.int8),
                     positions=np.array([[[1, 3], [0, 2]]], np.uint8), nnz=4), True,
            "values[0, 1, 1]: got a nonzero; allowed: 0 (column 6 lies in the padding beyond 6 columns)")
    _raises(_corrupt(t, values=t.values.astype(np.int16)), False, "values.dtype: got 'int16'; allowed: int8")


def test_bitmap_zero_value():
    w = np.array([[1, 0, 2]], dtype=np.int8)
    t = encode(w, "bitmap")
    _raises(_corrupt(t, values=np.array([1, 0], np.int8)), True,
            "values[1]: got an explicit zero; allowed: a nonzero (a clear mask bit encodes a zero)")


def test_check_reports_bad_widths():
    t = encode(np.eye(3, dtype=np.int8), "csr")
    _raises(dataclasses.replace(t, value_bits=0, index_bits=-2), False,
            "value_bits: got 0; allowed: an integer >= 1", "index_bits: got -2; allowed: None or an integer >= 1")
