"""One conformance suite run against every format, dense NumPy as the reference."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accelsim.formats import FormatInvariantError, encode, from_scipy, from_torch, parse_format
from formats_helpers import (DTYPES, make_nm, matrix_view, random_weight, reference_bits, same_bits,
                             same_up_to_zero_sign)


@dataclasses.dataclass(frozen=True)
class Case:
    """A format under test and what it cannot do."""

    fmt: str
    nm: tuple | None = None          # (N, M): input must be made N:M sparse first
    min_index_bits: int = 1          # smallest index_bits the format accepts
    has_index: bool = True           # index_bits changes the cost


def _nm_case(fmt):
    parts = fmt.split(":")
    n, m = int(parts[1]), int(parts[2])
    spec = parse_format(fmt)
    need = spec.nm_code_bits if spec.compact else spec.nm_index_bits
    return Case(fmt, nm=(n, m), min_index_bits=need)


CASES = [
    Case("dense", has_index=False),
    Case("csr"),
    Case("csc"),
    Case("bsr:1x1"),
    Case("bsr:2x3"),
    Case("bsr:4x4"),
    _nm_case("nm:2:4"),
    _nm_case("nm:1:3"),
    _nm_case("nm:2:4:compact"),
    _nm_case("nm:3:8:compact"),
    Case("bitmap", has_index=False),
]
IDS = [c.fmt for c in CASES]

CONV_SHAPES = [(1, 1), (1, 9), (9, 1), (4, 3, 3, 3), (2, 5, 1, 1), (3, 2, 3), (7,)]

shapes = st.one_of(
    st.sampled_from(CONV_SHAPES),
    st.lists(st.integers(1, 9), min_size=1, max_size=4).map(tuple).filter(lambda s: np.prod(s) <= 600),
)
densities = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))


@st.composite
def weights(draw, case: Case):
    shape = draw(shapes)
    dtype = draw(st.sampled_from(DTYPES))
    w = random_weight(shape, dtype, draw(densities), draw(st.integers(0, 2**32 - 1)))
    if case.nm:
        w = make_nm(w, *case.nm)
    return w


def index_bits_for(case: Case):
    if not case.has_index:
        return st.sampled_from([None, 3])
    return st.sampled_from([None, case.min_index_bits, case.min_index_bits + 1, case.min_index_bits + 2, 20])


def _round_trip_and_costs(case, w, value_bits, index_bits):
    t = encode(w, case.fmt, value_bits=value_bits, index_bits=index_bits)
    mat = matrix_view(w)
    nnz = int(np.count_nonzero(mat != 0))
    assert t.format == parse_format(case.fmt).name
    assert t.shape == w.shape and t.dtype == w.dtype and t.matrix_shape == mat.shape
    assert t.nnz == nnz
    assert t.density == pytest.approx(nnz / w.size)
    dense = t.to_dense()
    assert same_up_to_zero_sign(w, dense)
    bits = t.storage_bits()
    expected = reference_bits(w, case.fmt, value_bits, index_bits)
    assert dict(bits) == {**expected, "total": expected["values"] + expected["metadata"]}
    assert all(type(v) is int for v in bits.values())
    t.check()
    t.check(full=True)
    return t


@pytest.mark.parametrize("case", CASES, ids=IDS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
@example(data=None)
def test_round_trip_bits_and_check(case, data):
    if data is None:  # a fixed 4-D conv example with every dtype family
        for dtype in (np.bool_, np.int8, np.uint64, np.float16):
            w = random_weight((4, 3, 3, 3), dtype, 0.4, 7)
            w = make_nm(w, *case.nm) if case.nm else w
            _round_trip_and_costs(case, w, 8, None)
        return
    w = data.draw(weights(case))
    value_bits = data.draw(st.sampled_from([1, 4, 8, 16]))
    index_bits = data.draw(index_bits_for(case))
    _round_trip_and_costs(case, w, value_bits, index_bits)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_scipy_round_trip(case, data):
    w = data.draw(weights(case))
    index_bits = data.draw(index_bits_for(case))
    t = encode(w, case.fmt, index_bits=index_bits)
    s = t.to_scipy()
    mat = matrix_view(w)
    assert s.shape == mat.shape
    expected = mat.astype(np.float32) if mat.dtype == np.float16 else mat
    got = s.toarray()
    assert got.dtype == expected.dtype
    assert np.array_equal(got, expected)
    kind = case.fmt.split(":")[0]
    if kind in ("csr", "csc"):
        assert s.format == kind
    if kind == "bsr":
        r, c = parse_format(case.fmt).block_shape
        tiles = mat.shape[0] % r == 0 and mat.shape[1] % c == 0
        assert s.format == ("bsr" if tiles else "csr")
    back = from_scipy(s, shape=w.shape, dtype=w.dtype)
    assert same_up_to_zero_sign(w, back.to_dense())
    back.check(full=True)


# torch's sparse to_dense has no kernels for these; from_torch reads components instead.
TORCH_NO_DENSIFY = (np.uint16, np.uint32, np.uint64)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_torch_round_trip(case, data):
    torch = pytest.importorskip("torch")
    w = data.draw(weights(case))
    t = encode(w, case.fmt)
    tt = t.to_torch()
    mat = matrix_view(w)
    assert tuple(tt.shape) == mat.shape
    assert tt.layout in (torch.sparse_csr, torch.sparse_csc, torch.sparse_bsr)
    if w.dtype.type not in TORCH_NO_DENSIFY:
        assert np.array_equal(tt.to_dense().numpy(), mat)
    back = from_torch(tt, shape=w.shape)
    assert same_up_to_zero_sign(w, back.to_dense())


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_full_check_catches_wrong_nnz(case):
    w = random_weight((6, 10), np.int8, 0.5, 3)
    w = make_nm(w, *case.nm) if case.nm else w
    t = encode(w, case.fmt)
    bad = dataclasses.replace(t, nnz=t.nnz - 1)
    bad.check()  # the cheap check does not scan contents
    with pytest.raises(FormatInvariantError) as info:
        bad.check(full=True)
    assert f"nnz: got {t.nnz - 1}; allowed: {t.nnz} (nonzero" in str(info.value)
    assert str(info.value).startswith(f"{t.format} tensor of shape (6, 10) breaks its invariants")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_cheap_check_catches_truncated_values(case):
    w = random_weight((6, 10), np.int8, 0.5, 4)
    w = make_nm(w, *case.nm) if case.nm else w
    t = encode(w, case.fmt)
    field = {"dense": "values", "csr": "data", "csc": "data", "bsr": "data", "nm": "values",
             "bitmap": "values"}[case.fmt.split(":")[0]]
    arr = getattr(t, field)
    bad = dataclasses.replace(t, **{field: arr[:-1]})
    with pytest.raises(FormatInvariantError) as info:
        bad.check()
    message = str(info.value)
    if case.fmt == "bitmap":  # values are 1-D of any length; the count is a content check
        assert f"values.size: got {arr.size - 1}; allowed: {arr.size} (set bits of mask)" in message
    elif case.fmt.startswith(("csr", "csc")):
        assert f"data.size: got {arr.size - 1}; allowed: {arr.size} (= indices.size)" in message
    else:
        assert f"{field}.shape: got {arr[:-1].shape}" in message


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_immutable(case):
    w = random_weight((4, 8), np.float32, 0.5, 5)
    w = make_nm(w, *case.nm) if case.nm else w
    t = encode(w, case.fmt)
    before = t.to_dense()
    w[...] = 7  # the tensor does not alias its input
    assert same_bits(t.to_dense(), before)
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.nnz = 0
    arrays = [v for v in vars(t).values() if isinstance(v, np.ndarray)]
    assert arrays
    for arr in arrays:
        with pytest.raises(ValueError):
            arr.reshape(-1)[:1] = 0
    out = t.to_dense()
    out[...] = 0  # to_dense returns a fresh, writable array
    assert same_bits(t.to_dense(), before)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_memory_layouts_and_byte_order(case):
    base = random_weight((6, 16), np.float32, 0.5, 6)
    variants = {
        "strided": base[:, ::2],
        "fortran": np.asfortranarray(base),
        "transposed": base.T,
        "big-endian": base.astype(">f4"),
        "read-only": base.copy(),
    }
    variants["read-only"].flags.writeable = False
    for name, w in variants.items():
        w = make_nm(w, *case.nm) if case.nm else w
        t = encode(w, case.fmt)
        t.check(full=True)
        assert same_up_to_zero_sign(np.ascontiguousarray(w), t.to_dense()), name
        assert t.storage_bits() == encode(np.ascontiguousarray(w), case.fmt).storage_bits(), name
