"""N:M specifics: the not-N:M error, compact codes, index_bits limits."""

import itertools
import math

import numpy as np
import pytest

from accelsim.errors import AccelsimInputError
from accelsim.formats import encode, nm_codes, nm_positions_from_codes


def test_not_nm_sparse_error_pinned():
    w = np.zeros((3, 10), dtype=np.int8)
    w[1, 4:7] = 1          # row 1, group 1 (columns 4-7): 3 nonzeros
    w[2, 8:10] = 1         # row 2, group 2 (columns 8-9, partial): 2 nonzeros, fine for 2:4
    with pytest.raises(AccelsimInputError) as info:
        encode(w, "nm:2:4")
    assert str(info.value) == (
        "weight is not 2:4 sparse; cannot encode as 'nm:2:4'\n"
        "  - weight row 1, group 1 (columns 4-7): got 3 nonzeros; allowed: at most 2 nonzeros per group of 4\n"
        "1 of 9 groups have more than 2 nonzeros. "
        "Prune the weight with the 'nm:2:4' scheme first (accelsim.prune), then encode it.")


def test_not_nm_sparse_lists_first_five_and_partial_group_columns():
    w = np.ones((4, 6), dtype=np.float32)   # 2 groups per row: columns 0-3 and 4-5 (partial)
    with pytest.raises(AccelsimInputError) as info:
        encode(w, "nm:1:4")
    message = str(info.value)
    assert "  - weight row 0, group 1 (columns 4-5): got 2 nonzeros; allowed: at most 1 nonzeros per group of 4" \
        in message
    assert message.count("\n  - ") == 5
    assert "8 of 8 groups have more than 1 nonzeros (the first 5 are listed). " \
           "Prune the weight with the 'nm:1:4' scheme first" in message


def _colex_rank_table(n, m):
    """Independent reference: every N-subset of range(M) ranked in colexicographic order."""
    subsets = sorted(itertools.combinations(range(m), n), key=lambda s: tuple(reversed(s)))
    return {s: rank for rank, s in enumerate(subsets)}


@pytest.mark.parametrize("n, m", [(1, 2), (2, 4), (3, 8), (1, 16), (8, 16), (15, 16)])
def test_compact_codes_are_colex_ranks(n, m):
    table = _colex_rank_table(n, m)
    subsets = np.array(list(table), dtype=np.uint8)                 # (C(M,N), N)
    codes = nm_codes(subsets, m)
    assert codes.tolist() == [table[tuple(s)] for s in subsets.tolist()]
    assert sorted(codes.tolist()) == list(range(math.comb(m, n)))   # a bijection
    assert nm_positions_from_codes(codes, n, m).tolist() == subsets.tolist()


def test_tensor_codes_match_positions():
    rng = np.random.default_rng(1)
    w = np.zeros((5, 16), dtype=np.int16)
    for r in range(5):
        for g in range(2):
            cols = rng.choice(8, size=3, replace=False) + 8 * g
            w[r, cols] = rng.integers(1, 100, size=3)
    t = encode(w, "nm:3:8:compact")
    codes = t.codes()
    assert codes.shape == (5, 2)
    table = _colex_rank_table(3, 8)
    for r in range(5):
        for g in range(2):
            kept = tuple(np.flatnonzero(w[r, 8 * g:8 * (g + 1)]).tolist())  # exactly 3 nonzeros
            assert codes[r, g] == table[kept]
    assert np.array_equal(nm_positions_from_codes(codes, 3, 8), t.positions)


@pytest.mark.parametrize("fmt, bits, need, what", [
    ("nm:2:4", 1, 2, "ceil(log2 4)"),
    ("nm:2:8", 2, 3, "ceil(log2 8)"),
    ("nm:2:8:compact", 4, 5, "ceil(log2 C(8, 2))"),
])
def test_index_bits_too_narrow(fmt, bits, need, what):
    with pytest.raises(AccelsimInputError) as info:
        encode(np.zeros((2, 8), dtype=np.int8), fmt, index_bits=bits)
    assert str(info.value) == (f"cannot encode weight as {fmt!r}\n"
                               f"  - index_bits: got {bits}; allowed: None or an integer >= {need} (= {what}) "
                               f"for {fmt!r}")


def test_nm_compact_index_bits_is_the_code_width():
    w = np.zeros((2, 8), dtype=np.int8)   # 2 rows * 1 group of 8
    assert encode(w, "nm:2:8:compact", index_bits=7).storage_bits()["metadata"] == 2 * 7
    assert encode(w, "nm:2:8", index_bits=7).storage_bits()["metadata"] == 2 * 2 * 7
