"""The report's tables as plain data (headers, rows), with one unit per quantity per table.

Each table picks its energy, time and byte units once (from the largest
value it shows) and writes them in the headers; cells are bare numbers. The
markdown and HTML writers render these tables; nothing here knows markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from accelsim.report.plots import ENERGY_PART_NAMES
from accelsim.report.provenance import ARCH_PARAMETER_ROWS
from accelsim.report.records import ENERGY_PARTS, LIMITER_NAMES
from accelsim.report.units import BYTES, ENERGY, TIME, format_number, format_scaled, pick_unit

__all__ = ["Table", "figures_of_merit_table", "cycles_table", "layer_table", "arch_table", "inputs_table",
           "storage_table", "skipped_table", "key_table", "winners_table", "headline"]


@dataclass(frozen=True)
class Table:
    """Headers, rows of strings, and which columns are numeric (right-aligned)."""

    headers: tuple
    rows: tuple
    numeric: tuple

    @classmethod
    def of(cls, headers, rows, numeric=()):
        """Build from lists; ``numeric`` are column indices."""
        return cls(tuple(headers), tuple(tuple(str(c) for c in r) for r in rows), tuple(numeric))


def _pct(value):
    """A fraction as a percentage with one decimal (``0.4567`` -> ``"45.7"``)."""
    if value is None:
        return "-"
    text = f"{100.0 * value:.1f}"
    return "0.0" if text == "-0.0" else text


def _limiter_text(s) -> str:
    share = s["limiter_share"][s["limited_by"]]
    return f"{LIMITER_NAMES.get(s['limited_by'], s['limited_by'])} ({100 * share:.0f}% of cycles)"


_CONFIG_HEADERS = ["arch", "dataflow", "pruning", "format"]


def _config_cells(s):
    return [s["arch"], s["dataflow"].upper(), s["prune"], s["format"]]


def figures_of_merit_table(summaries, front_labels) -> Table:
    """Latency, throughput, efficiency and savings of every configuration."""
    t_unit, t_size = pick_unit([s["latency_s"] for s in summaries], TIME)
    e_unit, e_size = pick_unit([s["energy_pj_total"] for s in summaries], ENERGY)
    headers = _CONFIG_HEADERS + [f"latency ({t_unit})", "inferences/s", "effective TOPS", "TOPS/W",
                                 f"energy ({e_unit})", "energy/MAC (pJ/MAC)", "utilization (%)",
                                 "speedup vs dense (x)", "energy saving vs dense (%)", "Pareto"]
    rows = []
    for s in summaries:
        rows.append(_config_cells(s) + [
            format_scaled(s["latency_s"], t_size), format_number(s["inferences_per_s"]),
            format_number(s["effective_tops"]), format_number(s["tops_per_w"]),
            format_scaled(s["energy_pj_total"], e_size), format_number(s["pj_per_mac"]),
            _pct(s["utilization"]), format_number(s["speedup_vs_dense"]),
            _pct(s["energy_saving_vs_dense"]), "yes" if s["config"] in front_labels else ""])
    if summaries and "area_mm2" in summaries[0]:
        headers = headers[:-1] + ["area (mm^2)", "inferences/s per mm^2", "Pareto"]
        for row, s in zip(rows, summaries):
            row[-1:-1] = [format_number(s["area_mm2"]), format_number(s["inferences_per_s_per_mm2"])]
        return Table.of(headers, rows, numeric=range(4, 15))
    return Table.of(headers, rows, numeric=range(4, 13))


def cycles_table(summaries) -> Table:
    """Cycles, stalls, DRAM traffic, metadata share, sparse layers and what limits each configuration."""
    b_unit, b_size = pick_unit([s["dram_bytes_total"] for s in summaries], BYTES)
    headers = _CONFIG_HEADERS + ["cycles", "stall cycles", "stalls (% of cycles)", f"DRAM traffic ({b_unit})",
                                 "metadata (% of DRAM)", "layers in the sparse format", "limited by"]
    rows = []
    for s in summaries:
        dram = s["dram_bytes_total"]
        rows.append(_config_cells(s) + [
            format_number(int(s["cycles"])), format_number(int(s["stall_cycles"])),
            _pct(s["stall_cycles"] / s["cycles"] if s["cycles"] else None),
            format_scaled(dram, b_size), _pct(s["dram_bytes_metadata"] / dram if dram else None),
            f"{s['layers_sparse']}/{s['layers']}", _limiter_text(s)])
    return Table.of(headers, rows, numeric=range(4, 10))


def layer_table(rows) -> Table:
    """Per-layer detail of one configuration: cycles, stalls, utilization, energy by component, DRAM, limiter."""
    e_unit, e_size = pick_unit([r["energy_pj_total"] for r in rows], ENERGY)
    b_unit, b_size = pick_unit([r["dram_bytes_total"] for r in rows], BYTES)
    headers = (["layer", "cycles", "stall cycles", "utilization (%)", "speedup vs dense (x)",
                f"energy ({e_unit})"]
               + [f"{ENERGY_PART_NAMES[p]} ({e_unit})" for p in ENERGY_PARTS]
               + [f"DRAM values ({b_unit})", f"DRAM metadata ({b_unit})", "DRAM / compulsory (x)",
                  "mapping", "limiter"])
    body = []
    for r in rows:
        body.append([r["layer"], format_number(int(r["cycles"])), format_number(int(r["stall_cycles"])),
                     _pct(r["utilization"]), format_number(r["speedup_vs_dense"]),
                     format_scaled(r["energy_pj_total"], e_size)]
                    + [format_scaled(r[f"energy_pj_{p}"], e_size) for p in ENERGY_PARTS]
                    + [format_scaled(r["dram_bytes_values"], b_size),
                       format_scaled(r["dram_bytes_metadata"], b_size),
                       format_number(r.get("dram_vs_compulsory")), r.get("mapping", ""),
                       LIMITER_NAMES.get(r["limiter"], r["limiter"])])
    numeric = range(1, len(headers) - 2)
    return Table.of(headers, body, numeric=numeric)


def _param_cell(value) -> str:
    if value is None:
        return "unlimited"
    if isinstance(value, float):
        return f"{int(value):,}" if value.is_integer() else format_number(value, 4)
    return str(value)


def arch_table(arch_params) -> Table:
    """The architectures side by side: one row per parameter, one column per arch."""
    headers = ["parameter"] + [p["name"] for p in arch_params]
    rows = []
    for key, label in ARCH_PARAMETER_ROWS:
        cells = [_param_cell(p.get(key)) for p in arch_params]
        if key in ("description", "area_mm2", "area_nand2_equivalents", "area_source") \
                and not any(p.get(key) for p in arch_params):
            continue
        rows.append([label] + cells)
    return Table.of(headers, rows)


def inputs_table(provenance) -> Table:
    """Every input with its content hash."""
    return Table.of(["input", "name", "source", "SHA-256"],
                    [[i["kind"], i["name"], i["source"], i["sha256"]] for i in provenance.inputs])


def storage_table(storage) -> Table:
    """Weight storage per (pruning, format) that ran: values, metadata, total (one byte unit)."""
    totals = [storage[k]["total"] for k in storage]
    b_unit, b_size = pick_unit([t["storage_bits"]["total"] / 8 for t in totals], BYTES)
    headers = ["pruning", "format", "weight sparsity (%)", f"values ({b_unit})", f"metadata ({b_unit})",
               f"total ({b_unit})", "total / dense (x)"]
    rows = []
    for (prune, fmt), t in zip(storage, totals):
        b = t["storage_bits"]
        rows.append([prune or "none", fmt, _pct(t["sparsity"]), format_scaled(b["values"] / 8, b_size),
                     format_scaled(b["metadata"] / 8, b_size), format_scaled(b["total"] / 8, b_size),
                     format_number(t["vs_dense"])])
    return Table.of(headers, rows, numeric=range(2, 7))


def skipped_table(skipped) -> Table:
    """Combinations not run and why."""
    return Table.of(_CONFIG_HEADERS + ["why not run"],
                    [[c.arch, c.dataflow.upper(), c.prune or "none", c.format, why] for c, why in skipped])


def key_table(labeller) -> Table:
    """Short labels of the plots and what they stand for."""
    rows = labeller.key_rows()
    rows.append(["variant", "dense baseline", "unpruned weights in the dense format (every speedup's reference)"])
    return Table.of(["kind", "in the plots", "stands for"], rows)


def _times(ratio, better: str) -> str:
    if ratio is None:
        return "-"
    if abs(ratio - 1.0) < 0.005:
        return "tied"
    return f"{format_number(ratio, 3)}x {better}" if ratio > 1 else f"{format_number(1 / ratio, 3)}x worse"


#: How each metric's winner is worded: (value formatter kind, word for "better").
_BETTER = {"latency_s": "faster", "energy_pj_total": "less energy", "energy_delay_pj_s": "better",
           "dram_bytes_total": "less traffic", "utilization": "higher"}


def _value_formatters(summaries):
    t_unit, t_size = pick_unit([s["latency_s"] for s in summaries], TIME)
    e_unit, e_size = pick_unit([s["energy_pj_total"] for s in summaries], ENERGY)
    b_unit, b_size = pick_unit([s["dram_bytes_total"] for s in summaries], BYTES)
    d_unit, d_size = pick_unit([s["energy_delay_pj_s"] for s in summaries], ENERGY)
    return {
        "latency_s": lambda v: f"{format_scaled(v, t_size)} {t_unit}",
        "energy_pj_total": lambda v: f"{format_scaled(v, e_size)} {e_unit}",
        "energy_delay_pj_s": lambda v: f"{format_scaled(v, d_size)} {d_unit}\u00b7s",
        "dram_bytes_total": lambda v: f"{format_scaled(v, b_size)} {b_unit}",
        "utilization": lambda v: f"{_pct(v)}%",
    }


def winners_table(winners, summaries) -> Table:
    """The winner of each metric, its value, and how far ahead of the dense baselines and the runner-up it is."""
    show = _value_formatters(summaries)
    by_label = {s["config"]: s for s in summaries}
    headers = ["metric", "winner", "value", "vs its own dense baseline", "vs the best dense baseline",
               "runner-up", "runner-up value"]
    rows = []
    for w in winners:
        fmt, better = show[w["key"]], _BETTER[w["key"]]
        own = "it is one" if by_label[w["config"]]["baseline"] else _times(w["vs_own_baseline"], better)
        best = ("it is the best" if w["best_baseline"] == w["config"]
                else f"{_times(w['vs_best_baseline'], better)} ({w['best_baseline']})")
        runner = "-" if w["runner_up"] is None else w["runner_up"]
        rows.append([w["metric"], w["config"], fmt(w["value"]), own, best, runner,
                     "-" if w["runner_up"] is None else f"{fmt(w['runner_up_value'])} "
                                                        f"({_times(w['vs_runner_up'], better)})"])
    return Table.of(headers, rows)


def headline(winners, summaries) -> str:
    """One sentence: the fastest configuration and how it compares with the best dense baseline."""
    show = _value_formatters(summaries)
    by_metric = {w["key"]: w for w in winners}
    fast, green = by_metric.get("latency_s"), by_metric.get("energy_pj_total")
    if fast is None:
        return ""
    text = f"Fastest: {fast['config']} at {show['latency_s'](fast['value'])}"
    if fast["best_baseline"] and fast["best_baseline"] != fast["config"]:
        text += (f", {_times(fast['vs_best_baseline'], 'faster')} than the fastest dense baseline "
                 f"({fast['best_baseline']})")
    if green is not None:
        if green["config"] == fast["config"]:
            text += f"; it also uses the least energy ({show['energy_pj_total'](green['value'])})"
        else:
            text += f"; least energy: {green['config']} ({show['energy_pj_total'](green['value'])})"
    return text + "."
