"""Parsing pruning schemes: canonical names, robustness, and every error message."""

import pytest

from accelsim.errors import AccelsimInputError
from accelsim.prune import (BlockScheme, ChannelScheme, KernelScheme, NMScheme, UnstructuredScheme,
                            parse_scheme)

HINT = """pruning schemes (options in brackets, S = target sparsity in [0, 1)):
  unstructured:S[:global]     e.g. unstructured:0.9
  nm:N:M                      e.g. nm:2:4
  block:RxC:S[:pad]           e.g. block:4x4:0.5
  channel:S[:l1|l2][:shrink]  e.g. channel:0.25:l2:shrink
  kernel:S                    e.g. kernel:0.5"""


@pytest.mark.parametrize("text, expected, name", [
    ("unstructured:0.9", UnstructuredScheme(0.9), "unstructured:0.9"),
    ("unstructured:0", UnstructuredScheme(0.0), "unstructured:0"),
    (" Unstructured : 90% : GLOBAL ", UnstructuredScheme(0.9, True), "unstructured:0.9:global"),
    ("nm:2:4", NMScheme(2, 4), "nm:2:4"),
    ("2:4", NMScheme(2, 4), "nm:2:4"),
    ("NM:1:16", NMScheme(1, 16), "nm:1:16"),
    ("block:4x4:0.5", BlockScheme(4, 4, 0.5), "block:4x4:0.5"),
    ("block:8X1:0.25:PAD", BlockScheme(8, 1, 0.25, True), "block:8x1:0.25:pad"),
    ("channel:0.5", ChannelScheme(0.5), "channel:0.5"),
    ("channel:0.5:l1", ChannelScheme(0.5, "l1"), "channel:0.5"),
    ("channel:0.25:shrink:l2", ChannelScheme(0.25, "l2", True), "channel:0.25:l2:shrink"),
    ("channel:0.25:l2:shrink:shrink", ChannelScheme(0.25, "l2", True), "channel:0.25:l2:shrink"),
    ("kernel:0.5", KernelScheme(0.5), "kernel:0.5"),
    ("kernel:1e-1", KernelScheme(0.1), "kernel:0.1"),
    ("nm:2:4:", NMScheme(2, 4), "nm:2:4"),
    ("block: 2 x 3 :50 %", BlockScheme(2, 3, 0.5), "block:2x3:0.5"),
])
def test_parse_and_canonical_name(text, expected, name):
    scheme = parse_scheme(text)
    assert scheme == expected
    assert scheme.name == name
    assert parse_scheme(scheme.name) == scheme      # the canonical name parses back
    assert parse_scheme(scheme) is scheme           # parsed objects pass through


def test_schemes_are_frozen():
    scheme = parse_scheme("nm:2:4")
    with pytest.raises(AttributeError):
        scheme.n = 3


@pytest.mark.parametrize("text, target", [
    ("nm:2:4", 0.5), ("nm:1:4", 0.75), ("nm:3:8", 0.625), ("unstructured:0.9", 0.9),
    ("block:2x2:0.3", 0.3), ("channel:0.25", 0.25), ("kernel:0.5", 0.5)])
def test_target_sparsity(text, target):
    assert parse_scheme(text).target_sparsity == pytest.approx(target)


def _message(text):
    with pytest.raises(AccelsimInputError) as info:
        parse_scheme(text)
    return str(info.value)


@pytest.mark.parametrize("text, problems", [
    ("foo:0.5", ["scheme: got 'foo'; allowed: one of unstructured, nm, block, channel, kernel"]),
    ("", ["scheme: got ''; allowed: one of unstructured, nm, block, channel, kernel"]),
    ("unstructured:1", ["unstructured.sparsity: got '1'; allowed: a number S with 0 <= S < 1 "
                        "(or a percentage such as 90%)"]),
    ("unstructured:-0.1", ["unstructured.sparsity: got '-0.1'; allowed: a number S with 0 <= S < 1 "
                           "(or a percentage such as 90%)"]),
    ("unstructured:abc", ["unstructured.sparsity: got 'abc'; allowed: a number S with 0 <= S < 1 "
                          "(or a percentage such as 90%)"]),
    ("unstructured:nan", ["unstructured.sparsity: got 'nan'; allowed: a number S with 0 <= S < 1 "
                          "(or a percentage such as 90%)"]),
    ("unstructured:100%", ["unstructured.sparsity: got '100%'; allowed: a number S with 0 <= S < 1 "
                           "(or a percentage such as 90%)"]),
    ("unstructured:0.5:local", ["unstructured.option: got 'local'; allowed: one of global"]),
    ("unstructured", ["unstructured: got 'unstructured'; allowed: unstructured:S[:global], "
                      "e.g. unstructured:0.9"]),
    ("nm:4:4", ["nm.n: got 4; allowed: an integer N with 1 <= N < M = 4"]),
    ("nm:5:4", ["nm.n: got 5; allowed: an integer N with 1 <= N < M = 4"]),
    ("nm:0:4", ["nm.n: got 0; allowed: an integer N with 1 <= N < M"]),
    ("nm:2:32", ["nm.m: got 32; allowed: an integer M with 2 <= M <= 16"]),
    ("nm:0:1", ["nm.n: got 0; allowed: an integer N with 1 <= N < M",
                "nm.m: got 1; allowed: an integer M with 2 <= M <= 16"]),
    ("nm:two:4", ["nm.n: got 'two'; allowed: an integer N with 1 <= N < M"]),
    ("nm:2", ["nm: got 'nm:2'; allowed: nm:N:M, e.g. nm:2:4"]),
    ("nm:2:4:pad", ["nm.option: got 'pad'; allowed: no options"]),
    ("block:4:0.5", ["block.shape: got '4'; allowed: RxC with positive integers R and C, e.g. 4x4"]),
    ("block:0x4:0.5", ["block.shape: got '0x4'; allowed: RxC with positive integers R and C, e.g. 4x4"]),
    ("block:2.5x4:0.5", ["block.shape: got '2.5x4'; allowed: RxC with positive integers R and C, e.g. 4x4"]),
    ("block:4x4:1.5:wrap", [
        "block.sparsity: got '1.5'; allowed: a number S with 0 <= S < 1 (or a percentage such as 90%)",
        "block.option: got 'wrap'; allowed: one of pad"]),
    ("block:4x4", ["block: got 'block:4x4'; allowed: block:RxC:S[:pad], e.g. block:4x4:0.5"]),
    ("channel:0.5:l3", ["channel.option: got 'l3'; allowed: one of l1, l2, shrink"]),
    ("channel:0.5:l1:l2", ["channel.norm: got 'l1:l2'; allowed: only one of l1, l2"]),
    ("kernel:0.5:pad", ["kernel.option: got 'pad'; allowed: no options"]),
    ("kernel:", ["kernel.sparsity: got ''; allowed: a number S with 0 <= S < 1 "
                 "(or a percentage such as 90%)"]),
])
def test_error_messages(text, problems):
    expected = "\n".join([f"invalid pruning scheme {text!r}"] + [f"  - {p}" for p in problems] + [HINT])
    assert _message(text) == expected


def test_error_for_non_string():
    expected = ("invalid pruning scheme\n"
                "  - scheme: got 5; allowed: a scheme string such as 'nm:2:4' or an object from "
                "parse_scheme\n"
                + HINT)
    assert _message(5) == expected


@pytest.mark.parametrize("build, field", [
    (lambda: NMScheme(4, 2), "'nm:4:2'\n  - nm.n: got 4; allowed: an integer N with 1 <= N < M = 2"),
    (lambda: NMScheme(2, 17), "'nm:2:17'\n  - nm.m: got 17; allowed: an integer M with 2 <= M <= 16"),
    (lambda: UnstructuredScheme(1.0),
     "'unstructured:1.0'\n  - unstructured.sparsity: got 1.0; allowed: a number S with 0 <= S < 1"),
    (lambda: BlockScheme(0, 2, 0.5),
     "'block:0x2:0.5'\n  - block.shape: got '0x2'; allowed: RxC with positive integers R and C, e.g. 4x4"),
    (lambda: ChannelScheme(0.5, "linf"),
     "'channel:0.5:linf'\n  - channel.norm: got 'linf'; allowed: one of l1, l2"),
    (lambda: KernelScheme(True),
     "'kernel:True'\n  - kernel.sparsity: got True; allowed: a number S with 0 <= S < 1"),
])
def test_constructors_validate(build, field):
    with pytest.raises(AccelsimInputError) as info:
        build()
    assert str(info.value) == f"invalid pruning scheme {field}\n{HINT}"
