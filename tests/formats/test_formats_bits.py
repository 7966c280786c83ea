"""Storage bits and encoded arrays on small hand-worked examples (see docs/formats.md)."""

import numpy as np
import pytest

from accelsim.formats import encode
from formats_helpers import same_bits


def _row(cols, nonzeros):
    w = np.zeros((1, cols), dtype=np.int8)
    for c, v in nonzeros.items():
        w[0, c] = v
    return w


def test_dense_bits():
    t = encode(np.arange(12, dtype=np.int8).reshape(3, 4), "dense", value_bits=4)
    assert dict(t.storage_bits()) == {"values": 48, "metadata": 0, "total": 48}   # 3*4*4
    assert t.nnz == 11 and t.stored_values == 12


def test_csr_absolute_hand_example():
    # 3x5, nonzeros at (0,1) (0,4) (2,0): col index ceil(log2 5) = 3 bits, 3 stored,
    # row_ptr ceil(log2(3+1)) = 2 bits x 4 pointers -> metadata 3*3 + 4*2 = 17, values 3*8 = 24.
    w = np.zeros((3, 5), dtype=np.int8)
    w[0, 1], w[0, 4], w[2, 0] = 1, 2, 3
    t = encode(w, "csr")
    assert t.indptr.tolist() == [0, 2, 2, 3]
    assert t.indices.tolist() == [1, 4, 0]
    assert t.data.tolist() == [1, 2, 3]
    assert t.index_mode == "absolute"
    assert dict(t.bit_widths()) == {"value": 8, "index": 3, "pointer": 2}
    assert dict(t.storage_bits()) == {"values": 24, "metadata": 17, "total": 41}


def test_csc_is_csr_of_the_transpose():
    # Same matrix as CSC: row index ceil(log2 3) = 2 bits, col_ptr 2 bits x 6 -> 3*2 + 6*2 = 18.
    w = np.zeros((3, 5), dtype=np.int8)
    w[0, 1], w[0, 4], w[2, 0] = 1, 2, 3
    t = encode(w, "csc")
    assert t.indptr.tolist() == [0, 1, 2, 2, 2, 3]
    assert t.indices.tolist() == [2, 0, 0]
    assert t.data.tolist() == [3, 1, 2]
    assert dict(t.storage_bits()) == {"values": 24, "metadata": 18, "total": 42}


def test_csr_relative_eie_padding():
    # EIE (Han et al., ISCA 2016) 4-bit relative indices skip at most 15 zeros. Row of 22:
    # 5 at column 0, 7 at column 21 -> gap of 20 zeros > 15, so one padding zero is stored
    # 16 columns after column 0 (column 16); relative codes 0, 15, 4.
    w = _row(22, {0: 5, 21: 7})
    t = encode(w, "csr", index_bits=4)
    assert t.index_mode == "relative"
    assert t.indices.tolist() == [0, 16, 21]
    assert t.data.tolist() == [5, 0, 7]
    assert t.relative_indices().tolist() == [0, 15, 4]
    assert t.nnz == 2 and t.stored_values == 3
    # values 3*8 = 24; metadata 3*4 + 2 pointers * ceil(log2 4) = 2 bits -> 16
    assert dict(t.storage_bits()) == {"values": 24, "metadata": 16, "total": 40}
    assert same_bits(t.to_dense(), w)
    # The same row with absolute indices: ceil(log2 22) = 5 bits, 2 stored, pointers 2 bits.
    t = encode(w, "csr")
    assert dict(t.storage_bits()) == {"values": 16, "metadata": 2 * 5 + 2 * 2, "total": 30}


@pytest.mark.parametrize("gap, paddings", [(0, 0), (15, 0), (16, 1), (31, 1), (32, 2), (47, 2), (48, 3)])
def test_csr_relative_padding_count(gap, paddings):
    # A gap of g zeros needs floor(g / 16) padding zeros with 4-bit relative indices.
    w = _row(gap + 2, {0: 1, gap + 1: 2})
    t = encode(w, "csr", index_bits=4)
    assert t.stored_values == 2 + paddings
    assert int(t.relative_indices().max()) <= 15
    assert same_bits(t.to_dense(), w)


def test_relative_needs_no_padding_for_leading_or_trailing_zeros_beyond_the_last():
    # Leading zeros count as a gap (from the row start); trailing zeros need nothing.
    w = _row(40, {20: 1})
    t = encode(w, "csr", index_bits=4)
    assert t.indices.tolist() == [15, 20]          # one padding: 20 leading zeros > 15
    assert t.relative_indices().tolist() == [15, 4]


def test_index_bits_wider_than_needed_is_used_as_given():
    w = _row(8, {1: 1, 6: 1})
    t = encode(w, "csr", index_bits=16)
    assert t.index_mode == "absolute"
    assert dict(t.storage_bits())["metadata"] == 2 * 16 + 2 * 2


def test_bsr_hand_example_with_edge_padding():
    # 5x6 with 2x4 blocks: padded to 6x8, grid 3x2. Nonzeros at (0,0), (4,5) and (4,0) ->
    # blocks (0,0), (2,0), (2,1) stored. Values 3*2*4*8 = 192. Block col index ceil(log2 2) = 1,
    # ptr ceil(log2(3+1)) = 2 bits x 4 pointers -> metadata 3*1 + 4*2 = 11.
    w = np.zeros((5, 6), dtype=np.int16)
    w[0, 0], w[4, 5], w[4, 0] = 1, 2, 3
    t = encode(w, "bsr:2x4")
    assert t.block_grid == (3, 2)
    assert t.indptr.tolist() == [0, 1, 1, 3]
    assert t.indices.tolist() == [0, 0, 1]
    assert t.data.shape == (3, 2, 4)
    assert t.data[2].tolist() == [[0, 2, 0, 0], [0, 0, 0, 0]]   # row 5 and columns 6,7 are padding
    assert t.stored_values == 24 and t.nnz == 3
    assert dict(t.storage_bits()) == {"values": 192, "metadata": 11, "total": 203}
    assert same_bits(t.to_dense(), w)


def test_bsr_relative_block_indices_pad_with_zero_blocks():
    # 1x40 with 1x2 blocks: 20 block columns need 5-bit absolute indices. With 2-bit relative
    # indices at most 3 zero blocks are skipped: blocks 0 and 9 (gap 8) -> paddings at 4 and 8.
    w = _row(40, {0: 1, 19: 1})
    t = encode(w, "bsr:1x2", index_bits=2)
    assert t.index_mode == "relative"
    assert t.indices.tolist() == [0, 4, 8, 9]
    assert t.relative_indices().tolist() == [0, 3, 3, 0]
    # values 4 blocks * 2 * 8 = 64; metadata 4*2 + 2 pointers * ceil(log2 5) = 3 -> 14
    assert dict(t.storage_bits()) == {"values": 64, "metadata": 14, "total": 78}
    assert same_bits(t.to_dense(), w)


def test_nm_hand_example():
    # One row, 6 columns, 2:4 -> 2 groups (the second padded from 2 to 4 columns).
    # Each group stores 2 values and 2 indices of 2 bits: values 2*2*8 = 32, metadata 2*2*2 = 8.
    w = np.array([[0, 3, 0, 4, 5, 0]], dtype=np.int8)
    t = encode(w, "nm:2:4")
    assert t.positions.tolist() == [[[1, 3], [0, 1]]]  # group 1 keeps 5 and one explicit zero
    assert t.values.tolist() == [[[3, 4], [5, 0]]]
    assert t.nnz == 3 and t.stored_values == 4
    assert dict(t.storage_bits()) == {"values": 32, "metadata": 8, "total": 40}
    # compact: one code of ceil(log2 C(4,2)) = ceil(log2 6) = 3 bits per group -> 6
    t = encode(w, "nm:2:4:compact")
    assert dict(t.storage_bits()) == {"values": 32, "metadata": 6, "total": 38}
    # wider indices when asked: 2 groups * 2 * 5 bits
    assert encode(w, "nm:2:4", index_bits=5).storage_bits()["metadata"] == 20


def test_nm_group_with_fewer_nonzeros_keeps_lowest_zero_positions():
    w = np.array([[0, 0, 0, 9, 0, 0, 0, 0]], dtype=np.float32)
    t = encode(w, "nm:2:4")
    assert t.positions.tolist() == [[[0, 3], [0, 1]]]
    assert t.values.tolist() == [[[0.0, 9.0], [0.0, 0.0]]]


def test_bitmap_hand_example():
    w = np.array([[1, 0, 2, 0], [0, 0, 0, 3], [4, 5, 0, 0]], dtype=np.uint8)
    t = encode(w, "bitmap", value_bits=8)
    assert t.values.tolist() == [1, 2, 3, 4, 5]
    assert dict(t.storage_bits()) == {"values": 40, "metadata": 12, "total": 52}
    assert t.packed_mask().tolist() == [0b10100001, 0b1100_0000]


def test_negative_zero_is_a_zero():
    # The zero rule: value == 0 in IEEE terms; only the sign of a zero may be lost.
    w = np.array([[-0.0, 0.0, 1.5, -0.0]], dtype=np.float32)
    t = encode(w, "csr")
    assert t.nnz == 1
    assert t.indices.tolist() == [2]
    back = t.to_dense()
    assert back.tolist() == [[0.0, 0.0, 1.5, 0.0]]
    assert not np.signbit(back[0, [0, 1, 3]]).any()       # unstored zeros come back as +0
    assert encode(w, "bitmap").mask.tolist() == [[False, False, True, False]]
    assert encode(w, "bsr:1x2").stored_blocks == 1           # block (-0.0, 0.0) is empty
    assert encode(np.array([[-0.0, -0.0, 1.0, 0.0]], np.float32), "bsr:1x2").stored_blocks == 1
    assert encode(w, "dense").nnz == 1
    assert same_bits(encode(w, "dense").to_dense(), w)      # dense stores every element as is


def test_negative_zeros_do_not_break_nm():
    # Three "values" per group of 4 by bits, but two of them are -0.0: 1 nonzero per group.
    w = np.array([[-0.0, 2.0, -0.0, 0.0, 3.0, -0.0, 0.0, -0.0]], dtype=np.float32)
    t = encode(w, "nm:1:4")
    assert t.nnz == 2
    assert t.positions.tolist() == [[[1], [0]]]
    t.check(full=True)
    w16 = w.astype(np.float16)
    assert encode(w16, "nm:1:4").nnz == 2


def test_conv_weight_matrix_view():
    # (K, C, R, S) = (2, 3, 2, 2) -> (2, 12); a 1-D weight is one row.
    w = np.zeros((2, 3, 2, 2), dtype=np.int8)
    w[1, 2, 1, 0] = 1          # column 2*4 + 1*2 + 0 = 10
    t = encode(w, "csr")
    assert t.matrix_shape == (2, 12)
    assert t.indptr.tolist() == [0, 0, 1] and t.indices.tolist() == [10]
    assert encode(np.ones(5, dtype=np.int8), "csr").matrix_shape == (1, 5)


def test_nan_payloads_survive():
    w = np.array([[np.nan, 0.0, 1.0]], dtype=np.float32)
    w.view(np.uint32)[0, 0] = 0x7FC0_1234          # a NaN with a payload
    for fmt in ("dense", "csr", "csc", "bsr:1x2", "bitmap", "nm:2:4"):
        assert same_bits(encode(w, fmt).to_dense(), w), fmt
