"""Strict numbers (ASCII only, bounded) and YAML guards (alias bombs, depth, recursion, long integers)."""

import argparse

import pytest

import accelsim.limits as limits
from accelsim.errors import AccelsimInputError
from accelsim.numbers import float_option, int_option, parse_float, parse_int
from accelsim.yamlio import check_yaml_tree, load_yaml_text


@pytest.mark.parametrize("text", ["٣", "²", "８", "1_0", "0x10", "1e3", "", " ", "9" * 31, "1.0", "+", "nan"])
def test_parse_int_refuses_what_int_accepts_or_chokes_on(text):
    assert parse_int(text) is None


def test_parse_int_accepts_ascii_integers():
    assert [parse_int(t) for t in ("0", " 42 ", "-7", "+3", "9" * 30)] == [0, 42, -7, 3, int("9" * 30)]


@pytest.mark.parametrize("text", ["٠.٥", "nan", "inf", "-inf", "1e400", "0x1p3", "1_0.5", "", ".", "e5"])
def test_parse_float_refuses_unicode_and_non_finite(text):
    assert parse_float(text) is None


def test_parse_float_accepts_decimals():
    assert [parse_float(t) for t in ("0.5", ".5", "5.", "1e-3", "-2E+2", "90")] == [0.5, 0.5, 5.0, 1e-3, -200.0, 90.0]


def test_option_types_show_the_range():
    with pytest.raises(argparse.ArgumentTypeError, match=r"from 1 to 64; got '٣'"):
        int_option(1, 64)("٣")
    with pytest.raises(argparse.ArgumentTypeError, match=r"from 1 to 1,000; got '99999999999999999999999'"):
        int_option(1, 1000)("99999999999999999999999")
    with pytest.raises(argparse.ArgumentTypeError, match=r">= 0; got '9{31}'"):
        int_option(0)("9" * 31)                                    # longer than any integer we parse
    assert int_option(0, 10)("10") == 10
    with pytest.raises(argparse.ArgumentTypeError, match=r"> 0"):
        float_option(0.0, inclusive_min=False)("0")
    assert float_option(0.0, 100.0)("100") == 100.0


def test_cli_huge_integers_exit_2_with_the_range(tmp_path):
    from tests.accelsim_cli import run

    r = run("encode", "--workload", "tiny-cnn", "--index-bits", "99999999999999999999999", cwd=tmp_path)
    assert r.returncode == 2 and "--index-bits" in r.stderr and "from 1 to 64" in r.stderr
    r = run("verify", "--arch", "nm24-ws-32x32", "--seed", "-1", cwd=tmp_path)
    assert r.returncode == 2 and "--seed" in r.stderr and "from 0 to" in r.stderr
    r = run("verify", "--arch", "nm24-ws-32x32", "--trials", "1" + "0" * 23, cwd=tmp_path)
    assert r.returncode == 2 and "--trials" in r.stderr and "max_verify_trials" in r.stderr


@pytest.mark.parametrize("call", [
    lambda: __import__("accelsim.formats", fromlist=["x"]).parse_format("nm:²:4"),
    lambda: __import__("accelsim.formats", fromlist=["x"]).parse_format("bsr:٣x4"),
    lambda: __import__("accelsim.formats", fromlist=["x"]).parse_format("bsr:100000x100000"),
    lambda: __import__("accelsim.prune", fromlist=["x"]).parse_scheme("nm:٣:4"),
    lambda: __import__("accelsim.prune", fromlist=["x"]).parse_scheme("unstructured:٠.٥"),
    lambda: __import__("accelsim.prune", fromlist=["x"]).parse_scheme("block:100000x100000:0.5"),
    lambda: __import__("accelsim.prune", fromlist=["x"]).parse_scheme("٢:٤"),
])
def test_unicode_digits_and_huge_blocks_in_scheme_strings(call):
    with pytest.raises(AccelsimInputError):
        call()


def test_valid_scheme_strings_still_parse():
    from accelsim.formats import parse_format
    from accelsim.prune import parse_scheme

    assert parse_format("bsr:4x4").block_shape == (4, 4) and parse_format("nm:2:4").m == 4
    assert parse_scheme("2:4").name == "nm:2:4" and parse_scheme("unstructured:90%").sparsity == 0.9


def _bomb(levels=12):
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_alias_bomb_refused_without_expanding():
    with pytest.raises(AccelsimInputError) as info:
        load_yaml_text(_bomb(), "test file")
    assert "max_yaml_nodes" in str(info.value)
    assert load_yaml_text(_bomb(3), "test file")["a2"][0][0] == ["x"] * 9


def test_shared_aliases_counted_expanded():
    data = load_yaml_text(_bomb(4), "test file")          # 9**4 = 6,561 leaves once expanded
    with limits.override(max_yaml_nodes=5000), pytest.raises(AccelsimInputError, match="max_yaml_nodes"):
        check_yaml_tree(data, "test file")
    check_yaml_tree(data, "test file")


@pytest.mark.parametrize("text, needle", [
    ("a: &a [*a]\n", "refers to itself"),
    ("[" * 20000 + "]" * 20000, "nesting depth"),
    ("a: " + "{a: " * 100 + "1" + "}" * 100, "max_yaml_depth"),
    ("a: " + "9" * 5000 + "\n", "cannot be read"),
], ids=["recursive-alias", "20000-deep", "100-deep", "5000-digit-int"])
def test_recursion_depth_and_long_integers(text, needle):
    with pytest.raises(AccelsimInputError) as info:
        load_yaml_text(text, "test file")
    assert needle in str(info.value)


def test_file_size_limit(tmp_path):
    from accelsim.yamlio import read_yaml_file

    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 2000 + "\n")
    assert read_yaml_file(path, "test file")["a"].startswith("x")
    with limits.override(max_yaml_bytes=1000), pytest.raises(AccelsimInputError, match="max_yaml_bytes"):
        read_yaml_file(path, "test file")
