"""Tables of the 42-configuration report: one unit per quantity in each table, bare numbers under units,
per-layer detail for every configuration, provenance, and markdown tables that match results.json."""

import hashlib
import json
import re
from html.parser import HTMLParser

import pytest

import accelsim
from accelsim.bundled_data import bundled_dir
from accelsim.energy.table import bundled_table_dir
from report_inputs import HOSTILE_ARCH, HOSTILE_LAYERS, HOSTILE_WORKLOAD

QUANTITIES = {
    "energy": {"pJ", "nJ", "\u00b5J", "mJ", "J"},
    "time": {"ns", "\u00b5s", "ms", "s"},
    "bytes": {"B", "KiB", "MiB", "GiB", "TiB"},
}
HEADER_UNIT = re.compile(r"\(([^()]+)\)\s*$")
NUMBER = re.compile(r"^-?[\d,]*\.?\d+$")
VALUE_WITH_UNIT = re.compile(r"(?<![\w.])-?[\d,]*\.?\d+ (pJ|nJ|\u00b5J|mJ|J|ns|\u00b5s|ms|s|B|KiB|MiB|GiB|TiB)(?![\w\u00b7/])")


class _Tables(HTMLParser):
    """Every <table> of a page as (headers, rows); plus the text of each <details> summary."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables, self.summaries = [], []
        self._table = self._row = self._cell = None
        self._in_summary = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = {"headers": [], "rows": []}
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "summary":
            self._in_summary, self._summary = True, []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(("th" if tag == "th" else "td", "".join(self._cell).strip()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if all(kind == "th" for kind, _ in self._row):
                self._table["headers"] = [text for _, text in self._row]
            else:
                self._table["rows"].append([text for _, text in self._row])
            self._row = None
        elif tag == "table" and self._table is not None:
            self.tables.append(self._table)
            self._table = None
        elif tag == "summary":
            self._in_summary = False
            self.summaries.append("".join(self._summary))

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._in_summary:
            self._summary.append(data)


def _html_tables(path):
    parser = _Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _md_tables(text):
    tables, current = [], None
    for line in text.splitlines():
        if line.startswith("|"):
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if current is None:
                current = {"headers": cells, "rows": []}
            elif not all(set(c) <= set("-:") for c in cells):
                current["rows"].append(cells)
        elif current is not None:
            tables.append(current)
            current = None
    if current is not None:
        tables.append(current)
    return tables


def _quantity(unit):
    return next((q for q, units in QUANTITIES.items() if unit in units), None)


def _check_units(table, where):
    used = {q: set() for q in QUANTITIES}
    headers = table["headers"]
    for col, header in enumerate(headers):
        m = HEADER_UNIT.search(header)
        if not m:
            continue
        unit = m.group(1)
        if _quantity(unit):
            used[_quantity(unit)].add(unit)
        for row in table["rows"]:
            cell = row[col]
            assert cell == "-" or NUMBER.match(cell), f"{where}: {header!r} holds {cell!r}, not a bare number"
    # a row label with a unit (the side-by-side arch table): the row's cells are numbers
    for row in table["rows"]:
        m = HEADER_UNIT.search(row[0])
        if m and not HEADER_UNIT.search(headers[0] if headers else ""):
            if _quantity(m.group(1)):
                used[_quantity(m.group(1))].add(m.group(1))
            for cell in row[1:]:
                assert cell in ("-", "unlimited") or NUMBER.match(cell), f"{where}: row {row[0]!r} holds {cell!r}"
    for row in table["rows"]:
        for cell in row:
            for m in VALUE_WITH_UNIT.finditer(cell):
                used[_quantity(m.group(1))].add(m.group(1))
    for quantity, units in used.items():
        assert len(units) <= 1, f"{where}: {quantity} in several units {sorted(units)} ({headers})"
    return used


def test_units_consistent_inside_each_html_table(review42_dir):
    parsed = _html_tables(review42_dir / "report.html")
    assert len(parsed.tables) >= 10
    units_seen = set()
    for i, table in enumerate(parsed.tables):
        for units in _check_units(table, f"html table {i}").values():
            units_seen |= units
    # the tables really carry scaled units (otherwise the check above proves nothing)
    assert units_seen & QUANTITIES["energy"] and units_seen & QUANTITIES["time"] and units_seen & QUANTITIES["bytes"]


def test_units_consistent_inside_each_markdown_table(review42_dir):
    tables = _md_tables((review42_dir / "report.md").read_text(encoding="utf-8"))
    assert len(tables) >= 7
    for i, table in enumerate(tables):
        _check_units(table, f"markdown table {i}")


def test_the_unit_check_catches_mixed_units():
    with pytest.raises(AssertionError, match="several units"):
        _check_units({"headers": ["a (mJ)", "b (\u00b5J)"], "rows": [["1", "2"]]}, "t")
    with pytest.raises(AssertionError, match="not a bare number"):
        _check_units({"headers": ["a (mJ)"], "rows": [["1 mJ"]]}, "t")


def test_per_layer_table_for_every_configuration(review42, review42_dir):
    parsed = _html_tables(review42_dir / "report.html")
    layer_tables = [t for t in parsed.tables if t["headers"] and t["headers"][0] == "layer"]
    assert len(layer_tables) == len(review42.configs) == 42
    for table, summary in zip(layer_tables, review42.configs):
        assert [r[0] for r in table["rows"]] == ["conv1", "conv2", "conv3", "fc"]
        headers = " ".join(table["headers"])
        for needed in ("cycles", "stall cycles", "utilization", "MAC (", "DRAM (", "weight SRAM (",
                       "DRAM values (", "DRAM metadata (", "limiter"):
            assert needed in headers, needed
        cycles = [int(r[1].replace(",", "")) for r in table["rows"]]
        assert sum(cycles) == summary["cycles"]
        assert {r[-1] for r in table["rows"]} <= {"compute", "DRAM bandwidth", "SRAM bandwidth", "load imbalance"}
    assert sum(s.startswith(c["config"] + ":") for s in parsed.summaries for c in review42.configs) == 42


def test_provenance_in_every_output(review42_dir):
    data = json.loads((review42_dir / "results.json").read_text())
    prov = data["provenance"]
    assert prov["accelsim_version"] == accelsim.__version__
    assert prov["seed"] == 0
    assert prov["command"].startswith("accelsim.compare('tiny-cnn', ['dense-ws-32x32'")
    assert "generated_at" not in prov
    inputs = {(i["kind"], i["name"]): i for i in prov["inputs"]}
    # file hashes, computed here from the bundled files
    for arch in ("dense-ws-32x32", "nm24-ws-32x32", "unstructured-os-32x32", "block4x4-ws-32x32"):
        path = bundled_dir() / "arch" / f"{arch}.yaml"
        assert inputs[("arch file", arch)]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert inputs[("arch file", arch)]["source"] == f"bundled:arch/{arch}.yaml"
    table = bundled_table_dir() / "horowitz45.yaml"
    assert inputs[("energy table", "horowitz45")]["sha256"] == hashlib.sha256(table.read_bytes()).hexdigest()
    wfile = bundled_dir() / "tiny-cnn.yaml"
    assert inputs[("workload file", "tiny-cnn")]["sha256"] == hashlib.sha256(wfile.read_bytes()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", inputs[("workload content", "tiny-cnn")]["sha256"])
    html = (review42_dir / "report.html").read_text(encoding="utf-8")
    md = (review42_dir / "report.md").read_text(encoding="utf-8")
    for text in (html, md):
        assert f"accelsim {accelsim.__version__}" in text and "seed 0" in text
        for i in prov["inputs"]:
            assert i["sha256"] in text
        assert "accelsim.compare(&#x27;tiny-cnn&#x27;" in text or "accelsim.compare('tiny-cnn'" in text


def test_arch_parameters_side_by_side(review42_dir):
    parsed = _html_tables(review42_dir / "report.html")
    arch = next(t for t in parsed.tables if t["headers"][:1] == ["parameter"])
    assert arch["headers"][1:] == ["dense-ws-32x32", "nm24-ws-32x32", "unstructured-os-32x32", "block4x4-ws-32x32"]
    rows = {r[0]: r[1:] for r in arch["rows"]}
    assert rows["PE array"] == ["32 x 32 = 1024 PEs"] * 4
    assert rows["own dataflow"] == ["WS", "WS", "OS", "WS"]
    assert rows["dataflows compared"] == ["WS, OS, IS"] * 4
    assert rows["PE sparsity"][1].startswith("N:M 2:4")
    assert rows["weight buffer (KiB)"] == ["256"] * 4
    assert rows["DRAM bandwidth (B/cycle)"] == ["16"] * 4
    assert rows["clock (MHz)"] == ["1,000"] * 4
    assert rows["energy table"] == ["horowitz45"] * 4
    assert "mapping" in rows
    data = json.loads((review42_dir / "results.json").read_text())
    assert [a["name"] for a in data["archs"]] == arch["headers"][1:]
    assert data["archs"][0]["dram_bandwidth_bytes_per_cycle"] == 16.0


def test_summary_tables_match_json(review42_dir):
    data = json.loads((review42_dir / "results.json").read_text())
    parsed = _html_tables(review42_dir / "report.html")
    merit = next(t for t in parsed.tables if "TOPS/W" in t["headers"])
    cycles = next(t for t in parsed.tables if "stall cycles" in t["headers"] and t["headers"][0] == "arch")
    assert len(merit["rows"]) == len(cycles["rows"]) == len(data["configs"])
    col = {h: i for i, h in enumerate(cycles["headers"])}
    for row, cfg in zip(cycles["rows"], data["configs"]):
        assert row[:4] == [cfg["arch"], cfg["dataflow"].upper(), cfg["prune"], cfg["format"]]
        assert int(row[col["cycles"]].replace(",", "")) == cfg["cycles"]
    pareto = [i for i, r in enumerate(merit["rows"]) if r[-1] == "yes"]
    assert [data["configs"][i]["config"] for i in pareto] == data["pareto_front"]


def test_what_changed_names_each_winner(review42, review42_dir):
    parsed = _html_tables(review42_dir / "report.html")
    table = next(t for t in parsed.tables if t["headers"][:2] == ["metric", "winner"])
    rows = {r[0]: r for r in table["rows"]}
    fastest = min(review42.configs, key=lambda s: s["latency_s"])
    greenest = min(review42.configs, key=lambda s: s["energy_pj_total"])
    assert rows["lowest latency"][1] == fastest["config"]
    assert rows["least energy"][1] == greenest["config"]
    base = {(s["arch"], s["dataflow"]): s for s in review42.configs if s["baseline"]}
    own = base[(fastest["arch"], fastest["dataflow"])]
    expected = own["latency_s"] / fastest["latency_s"]
    shown = re.fullmatch(r"([\d.]+)x faster", rows["lowest latency"][3])
    assert shown and float(shown.group(1)) == pytest.approx(expected, rel=0.01)
    assert expected > 1.5


def test_hostile_names_are_escaped(hostile_report):
    html = (hostile_report / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<img src=x" not in html and "<b class=pwn>" not in html
    parsed = _html_tables(hostile_report / "report.html")
    cells = {c for t in parsed.tables for r in t["rows"] for c in r} | {h for t in parsed.tables for h in t["headers"]}
    assert HOSTILE_ARCH in cells and HOSTILE_LAYERS[0] in cells and HOSTILE_LAYERS[1] in cells
    md = (hostile_report / "report.md").read_text(encoding="utf-8")
    fence = re.findall(r"^```$", md, flags=re.M)
    assert len(fence) == 2  # the command is the one code block (shown literally); no backtick inside it
    outside = re.sub(r"^```$.*?^```$", "", md, flags=re.M | re.S)
    assert "<script" not in outside and "<img src=x" not in outside
    assert "# accelsim design review: &lt;b class=pwn&gt;net&lt;/b&gt; $x^$" in md
    assert HOSTILE_WORKLOAD in json.loads((hostile_report / "results.json").read_text())["workload"]
