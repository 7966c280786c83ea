"""Units picked once per table or axis, number formatting, short labels and their key, colours."""

import pytest

from accelsim.report.labels import Labeller, mpl_text, short_format, short_prune
from accelsim.report.units import BYTES, ENERGY, MICRO, TIME, format_number, format_scaled, pick_unit


@pytest.mark.parametrize("values, quantity, expected", [
    ([3.1e9, 2.4e10], ENERGY, ("mJ", 1e9)),
    ([800000e6], ENERGY, ("mJ", 1e9)),          # BERT's "800000 uJ" is 800 mJ
    ([2.806e10], ENERGY, ("mJ", 1e9)),
    ([999.0], ENERGY, ("pJ", 1.0)),
    ([5e6, None, float("nan")], ENERGY, (MICRO + "J", 1e6)),
    ([0.0067, 0.0349], TIME, ("ms", 1e-3)),
    ([4.5e-6], TIME, (MICRO + "s", 1e-6)),
    ([12.0], TIME, ("s", 1.0)),
    ([2**20 * 24.3], BYTES, ("MiB", 2**20)),
    ([1023], BYTES, ("B", 1.0)),
    ([], TIME, ("ns", 1e-9)),
    ([0.0], BYTES, ("B", 1.0)),
])
def test_pick_unit(values, quantity, expected):
    assert pick_unit(values, quantity) == expected


@pytest.mark.parametrize("value, text", [
    (34899337, "34,899,337"), (123.456, "123"), (12.345, "12.3"), (1.2345, "1.23"), (0.0575, "0.0575"),
    (0.000123456, "0.000123"), (1234.5, "1,234"), (0.0, "0"), (None, "-"), (float("inf"), "-"), (-4.77, "-4.77"),
])
def test_format_number(value, text):
    assert format_number(value) == text


def test_format_scaled():
    assert format_scaled(2.806e10, 1e9) == "28.1"
    assert format_scaled(None, 1e9) == "-"


def test_short_labels():
    assert short_prune("unstructured:0.8") == "u80%"
    assert short_prune("nm:2:4") == "2:4"
    assert short_prune("block:4x4:0.5:pad") == "b4x4 50%"
    assert short_prune("none") == "unpruned"
    assert short_format("bsr:4x4") == "bsr" and short_format("nm:2:4") == "nm" and short_format("csr") == "csr"


def test_labeller_shortens_uniquely_and_keeps_a_key():
    lab = Labeller(["unstructured-os-32x32", "nm24-ws-32x32"],
                   [("none", "dense"), ("unstructured:0.8", "csr"), ("nm:2:4", "nm:2:4"), ("nm:2:4", "csr")])
    assert lab.config("unstructured-os-32x32", "os", "unstructured:0.8", "csr") == "unstructured OS u80% \u00b7 csr"
    assert lab.variant("none", "dense") == "dense baseline"
    key = {(k, s): f for k, s, f in lab.key_rows()}
    assert key[("architecture", "nm24")] == "nm24-ws-32x32"
    assert key[("pruning", "u80%")] == "unstructured:0.8"
    # colours: grey baseline, one hue family per pruning, distinct shades inside it
    colours = [lab.colour(*v) for v in lab.variants]
    assert len(set(colours)) == 4 and lab.colour("none", "dense") == "#636363"
    assert lab.colour("nm:2:4", "nm:2:4") != lab.colour("nm:2:4", "csr")


def test_labeller_falls_back_to_numbered_keys_on_collisions():
    lab = Labeller(["big-ws", "big-os"], [("none", "dense")])
    assert lab.arch_short == {"big-ws": "A1", "big-os": "A2"}
    assert ["architecture", "A1", "big-ws"] in lab.key_rows()


def test_names_are_never_math_in_plots():
    assert mpl_text("$\\undefinedcmd$") == "\\$\\undefinedcmd\\$"
