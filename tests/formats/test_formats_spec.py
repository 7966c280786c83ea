"""parse_format: canonical names and pinned error messages."""

import dataclasses

import pytest

from accelsim.errors import AccelsimInputError
from accelsim.formats import FormatSpec, parse_format

EXAMPLES = "examples: 'dense', 'csr', 'csc', 'bitmap', 'bsr:4x4', 'nm:2:4', 'nm:2:4:compact'"


@pytest.mark.parametrize("text, name", [
    ("dense", "dense"), ("csr", "csr"), ("csc", "csc"), ("bitmap", "bitmap"),
    ("bsr:4x4", "bsr:4x4"), ("BSR:2X8", "bsr:2x8"), ("  bsr:1x16 ", "bsr:1x16"),
    ("nm:2:4", "nm:2:4"), ("NM:1:16", "nm:1:16"), ("nm:15:16:compact", "nm:15:16:compact"),
    ("nm:1:2", "nm:1:2"),
])
def test_canonical_names(text, name):
    spec = parse_format(text)
    assert spec.name == name
    assert str(spec) == name
    assert parse_format(spec) is spec
    assert parse_format(name) == spec


def test_fields_and_frozen():
    spec = parse_format("bsr:2x8")
    assert (spec.kind, spec.block_shape, spec.n, spec.m, spec.compact) == ("bsr", (2, 8), None, None, False)
    spec = parse_format("nm:2:4:compact")
    assert (spec.kind, spec.n, spec.m, spec.compact) == ("nm", 2, 4, True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.n = 3


@pytest.mark.parametrize("text, problems", [
    ("foo", ["format: got 'foo'; allowed: one of dense, csr, csc, bitmap, bsr:RxC, nm:N:M, nm:N:M:compact"]),
    ("", ["format: got ''; allowed: one of dense, csr, csc, bitmap, bsr:RxC, nm:N:M, nm:N:M:compact"]),
    ("csr:3", ["format: got 'csr:3'; allowed: 'csr' without parameters"]),
    ("nm:4:4", ["format.N: got 4; allowed: an integer with 1 <= N < M (here M = 4)"]),
    ("nm:5:4", ["format.N: got 5; allowed: an integer with 1 <= N < M (here M = 4)"]),
    ("nm:0:4", ["format.N: got 0; allowed: an integer with 1 <= N < M (here M = 4)"]),
    ("nm:2:32", ["format.M: got 32; allowed: an integer with 2 <= M <= 16"]),
    ("nm:1:1", ["format.M: got 1; allowed: an integer with 2 <= M <= 16",
                "format.N: got 1; allowed: an integer with 1 <= N < M (here M = 1)"]),
    ("nm:40:32", ["format.M: got 32; allowed: an integer with 2 <= M <= 16",
                  "format.N: got 40; allowed: an integer with 1 <= N < M (here M = 32)"]),
    ("nm:a:4", ["format.N: got 'a'; allowed: an integer with 1 <= N < M (here M = 4)"]),
    ("nm:2", ["format: got 'nm:2'; allowed: nm:N:M or nm:N:M:compact, e.g. nm:2:4"]),
    ("nm:2:4:fast", ["format: got 'nm:2:4:fast'; allowed: nm:N:M or nm:N:M:compact, e.g. nm:2:4"]),
    ("bsr", ["format: got 'bsr'; allowed: bsr:RxC with the block shape, e.g. bsr:4x4"]),
    ("bsr:0x4", ["format.block: got '0x4'; allowed: RxC with integers R >= 1 and C >= 1, e.g. 4x4"]),
    ("bsr:4", ["format.block: got '4'; allowed: RxC with integers R >= 1 and C >= 1, e.g. 4x4"]),
    ("bsr:4x4x4", ["format.block: got '4x4x4'; allowed: RxC with integers R >= 1 and C >= 1, e.g. 4x4"]),
    ("bsr:-1x4", ["format.block: got '-1x4'; allowed: RxC with integers R >= 1 and C >= 1, e.g. 4x4"]),
])
def test_bad_strings_pinned(text, problems):
    with pytest.raises(AccelsimInputError) as info:
        parse_format(text)
    expected = "\n".join([f"invalid sparse format {text!r}"] + [f"  - {p}" for p in problems] + [EXAMPLES])
    assert str(info.value) == expected


def test_not_a_string():
    with pytest.raises(AccelsimInputError) as info:
        parse_format(4)
    assert str(info.value) == (
        "invalid sparse format\n"
        "  - format: got 4; allowed: a string, one of dense, csr, csc, bitmap, bsr:RxC, nm:N:M, nm:N:M:compact\n"
        + EXAMPLES)


def test_direct_construction_is_validated():
    with pytest.raises(AccelsimInputError, match=r"format.N: got 4; allowed: an integer with 1 <= N < M"):
        FormatSpec("nm", n=4, m=4)
    with pytest.raises(AccelsimInputError, match=r"format.block: got \(0, 2\)"):
        FormatSpec("bsr", block_shape=(0, 2))


@pytest.mark.parametrize("text, index_bits, code_bits", [
    ("nm:2:4", 2, 3),     # C(4,2) = 6 -> 3 bits
    ("nm:1:2", 1, 1),     # C(2,1) = 2 -> 1 bit
    ("nm:2:8", 3, 5),     # C(8,2) = 28 -> 5 bits
    ("nm:8:16", 4, 14),   # C(16,8) = 12870 -> 14 bits (2^13 = 8192 < 12870 <= 16384)
    ("nm:1:16", 4, 4),
    ("nm:3:5", 3, 4),     # C(5,3) = 10 -> 4 bits
])
def test_nm_widths(text, index_bits, code_bits):
    spec = parse_format(text)
    assert spec.nm_index_bits == index_bits
    assert spec.nm_code_bits == code_bits
