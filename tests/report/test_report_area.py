"""compare(..., areas=...): an area per arch in the tables, results.json and the DataFrame."""

import json

import pytest

import accelsim
from accelsim.errors import AccelsimInputError
from accelsim.report.tables import arch_table, figures_of_merit_table

ARCHS = ["dense-ws-32x32", "nm24-ws-32x32"]
AREAS = {"dense-ws-32x32": {"area_um2": 2.0e6, "nand2_equivalents": 2.0e6 / 0.798, "source": "test cells"},
         "nm24-ws-32x32": {"area_um2": 1.0e6, "nand2_equivalents": 1.0e6 / 0.798, "source": "test cells"}}


@pytest.fixture(scope="module")
def with_area():
    return accelsim.compare("tiny-cnn", ARCHS, prunes=["nm:2:4"], areas=AREAS)


def test_area_columns_and_json(with_area, tmp_path):
    for s in with_area.configs:
        mm2 = AREAS[s["arch"]]["area_um2"] / 1e6
        assert s["area_mm2"] == mm2
        assert s["inferences_per_s_per_mm2"] == pytest.approx(s["inferences_per_s"] / mm2)
    fom = figures_of_merit_table(with_area.summaries, with_area.pareto_front)
    assert fom.headers[-3:] == ("area (mm^2)", "inferences/s per mm^2", "Pareto")
    assert {row[fom.headers.index("area (mm^2)")] for row in fom.rows} == {"2.00", "1.00"}
    arch_rows = {r[0]: r[1:] for r in arch_table(with_area.arch_parameters()).rows}
    assert arch_rows["PE array area, 45 nm (mm^2)"] == ("2", "1")
    assert arch_rows["area: cell library"] == ("test cells", "test cells")
    files = with_area.write_report(tmp_path / "rep")
    data = json.loads(open(files["results.json"]).read())
    assert [a["area_mm2"] for a in data["archs"]] == [2.0, 1.0]
    assert all("area_mm2" in c for c in data["configs"])
    assert "inferences/s per mm^2" in open(files["report.md"]).read()
    assert "area_mm2" in with_area.to_dataframe().columns


def test_no_area_no_columns():
    plain = accelsim.compare("tiny-cnn", ARCHS[:1])
    assert "area_mm2" not in plain.configs[0] and plain.areas is None
    assert "area (mm^2)" not in figures_of_merit_table(plain.summaries, plain.pareto_front).headers
    assert not any(r[0].startswith("PE array area") for r in arch_table(plain.arch_parameters()).rows)


def test_every_arch_needs_an_area():
    with pytest.raises(AccelsimInputError, match="no area .* for arch nm24-ws-32x32"):
        accelsim.compare("tiny-cnn", ARCHS, areas={"dense-ws-32x32": AREAS["dense-ws-32x32"]})
