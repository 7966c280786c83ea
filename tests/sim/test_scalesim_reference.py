"""accelsim's dense cycles reproduce every row of tests/sim/scalesim_reference.csv exactly.

The CSV holds "Total Cycles" produced by the real SCALE-Sim (PyPI ``scalesim``,
see its header for the version and command), so the expected values come from
the independent tool. Mapping of a SCALE-Sim conv row (no padding; SCALE-Sim's
output size is ``ceil((ifmap - filter) / stride) + 1``) to an accelsim layer:
``in = (out - 1) * stride + filter`` per axis with ``padding = 0``, so both tools
see the same output pixels. A GEMM row (M, N, K) is a linear layer with
``tokens = M``, ``in_features = K``, ``out_features = N``.
"""

import csv
import math
from pathlib import Path

import pytest

from accelsim.sim import simulate
from accelsim.workload import conv_layer, linear_layer

from simtools import make_arch

CSV_PATH = Path(__file__).with_name("scalesim_reference.csv")


def _rows():
    with open(CSV_PATH, newline="") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


ROWS = _rows()


def _layer(row):
    if row["kind"] == "conv":
        h, w, r, s, c, k, stride = (int(row[key]) for key in (
            "ifmap_h", "ifmap_w", "filter_h", "filter_w", "channels", "num_filter", "stride"))
        out_h, out_w = math.ceil((h - r) / stride) + 1, math.ceil((w - s) / stride) + 1
        return conv_layer("c", in_channels=c, in_h=(out_h - 1) * stride + r,
                          in_w=(out_w - 1) * stride + s, out_channels=k, kernel=(r, s), stride=stride)
    return linear_layer("g", in_features=int(row["gemm_k"]), out_features=int(row["gemm_n"]),
                        tokens=int(row["gemm_m"]))


def test_reference_table_covers_the_requested_cases():
    assert len(ROWS) >= 300
    assert {r["dataflow"] for r in ROWS} == {"ws", "os", "is"}
    assert any(r["array_rows"] != r["array_cols"] for r in ROWS)          # non-square arrays
    assert any(r["kind"] == "gemm" for r in ROWS)
    assert any(r["kind"] == "conv" and int(r["stride"]) > 1 for r in ROWS)
    assert any(r["kind"] == "conv" and r["filter_h"] == r["filter_w"] == "1" for r in ROWS)
    assert all(r["stall_cycles"] == "0" for r in ROWS)


@pytest.mark.parametrize("array", sorted({(int(r["array_rows"]), int(r["array_cols"])) for r in ROWS}))
def test_scalesim_rows_reproduced_exactly(array):
    rows, cols = array
    mismatches = []
    for row in ROWS:
        if (int(row["array_rows"]), int(row["array_cols"])) != array:
            continue
        result = simulate(_layer(row), make_arch(rows, cols, row["dataflow"], mapping="scalesim"))
        if result.total.cycles != int(row["total_cycles"]):
            mismatches.append((dict(row), result.total.cycles))
    assert not mismatches


_CFG = """[general]
run_name = ref_{rows}x{cols}_{dataflow}

[architecture_presets]
ArrayHeight: {rows}
ArrayWidth: {cols}
IfmapSramSzkB: 4096
FilterSramSzkB: 4096
OfmapSramSzkB: 4096
Dataflow: {dataflow}

[run_presets]
InterfaceBandwidth: CALC
"""


def test_scalesim_cfg_inputs_reproduce_the_reference_with_their_default_mapping():
    from accelsim.spec.scalesim_cfg import parse_scalesim_cfg

    mismatches = []
    for row in ROWS[::7]:
        rows, cols, df = int(row["array_rows"]), int(row["array_cols"]), row["dataflow"]
        arch = parse_scalesim_cfg(_CFG.format(rows=rows, cols=cols, dataflow=df))
        assert arch.mapping.mode == "scalesim"
        result = simulate(_layer(row), arch)
        if result.total.cycles != int(row["total_cycles"]):
            mismatches.append((dict(row), result.total.cycles))
    assert not mismatches


def test_auto_mapping_never_takes_more_cycles_than_the_reference_for_latency():
    # unlimited bandwidth: the mapper's space holds SCALE-Sim's single-tile schedule
    worse = []
    for row in ROWS[::5]:
        rows, cols, df = int(row["array_rows"]), int(row["array_cols"]), row["dataflow"]
        arch = make_arch(rows, cols, df, mapping="auto", objective="latency")
        result = simulate(_layer(row), arch)
        if result.total.cycles > int(row["total_cycles"]):
            worse.append((dict(row), result.total.cycles))
    assert not worse
