"""Flatten a :class:`~accelsim.report.runner.Comparison` into per-layer rows and per-config summaries.

Every number stays in its base unit (cycles, pJ, s, bytes); the report's
tables and plots scale them (:mod:`accelsim.report.units`).

Figures of merit of a configuration (docs/report.md):

* ``latency_s``: the layers run back to back, ``cycles / clock``;
* ``inferences_per_s``: ``1 / latency_s`` (one pass over the workload);
* ``effective_tops``: ``2 x dense MACs / latency`` -- the throughput a dense
  engine would need to match it (skipped zeros count as work done);
* ``tops_per_w``: ``2 x dense MACs / energy`` (ops per pJ is TOPS/W);
* ``pj_per_mac``: energy per dense MAC of the workload (``2 / tops_per_w``),
  also split by energy component.
"""

from __future__ import annotations

from accelsim.sim.limiter import LIMITERS

__all__ = ["layer_records", "config_summaries", "winners", "layer_limiter", "CSV_COLUMNS", "ENERGY_PARTS",
           "LIMITERS", "LIMITER_NAMES"]

ENERGY_PARTS = ("mac", "pe_idle", "index_decode", "weight_sram", "input_sram", "output_sram", "dram")

#: How the report writes each limiter.
LIMITER_NAMES = {"compute": "compute", "dram_bandwidth": "DRAM bandwidth", "sram_bandwidth": "SRAM bandwidth",
                 "load_imbalance": "load imbalance"}

CSV_COLUMNS = (
    ["config", "arch", "dataflow", "prune", "format", "exploited", "layer", "cycles", "compute_cycles",
     "stall_cycles", "utilization", "macs_dense", "macs_effectual", "latency_s", "speedup_vs_dense",
     "energy_pj_total"]
    + [f"energy_pj_{p}" for p in ENERGY_PARTS]
    + ["dram_bytes_values", "dram_bytes_metadata", "dram_bytes_total", "limiter",
       "dram_bytes_compulsory", "dram_vs_compulsory", "mapping"]
)

def layer_limiter(layer) -> str:
    """What limits one layer: the simulator's ``LayerResult.limiter`` (one of :data:`LIMITERS`).

    The simulator splits the layer's cycles into balanced compute, DRAM stalls,
    activation-supply cycles and load imbalance and names the limiter
    (:mod:`accelsim.sim.limiter`); the report does not guess it.
    """
    return str(layer.limiter)


def _baseline_runs(comparison) -> dict:
    return {(r.config.arch, r.config.dataflow): r for r in comparison.runs if r.config.is_baseline}


def layer_records(comparison) -> list[dict]:
    """One dict per (config, layer), in run order then layer order; keys are :data:`CSV_COLUMNS`."""
    baselines = _baseline_runs(comparison)
    rows = []
    for run in comparison.runs:
        cfg = run.config
        base = baselines.get((cfg.arch, cfg.dataflow))
        base_layers = {layer.name: layer for layer in base.result.layers} if base is not None else {}
        for layer in run.result.layers:
            base_layer = base_layers.get(layer.name)
            row = {
                "config": cfg.label, "arch": cfg.arch, "dataflow": cfg.dataflow, "prune": cfg.prune or "none",
                "format": cfg.format, "exploited": bool(layer.exploited), "layer": layer.name,
                "cycles": int(layer.cycles), "compute_cycles": int(layer.compute_cycles),
                "stall_cycles": int(layer.stall_cycles), "utilization": float(layer.utilization),
                "macs_dense": int(layer.macs_dense), "macs_effectual": int(layer.macs_effectual),
                "latency_s": float(layer.latency_s),
                "speedup_vs_dense": (base_layer.cycles / layer.cycles
                                     if base_layer is not None and layer.cycles else None),
                "energy_pj_total": float(layer.energy_pj["total"]),
            }
            for part in ENERGY_PARTS:
                row[f"energy_pj_{part}"] = float(layer.energy_pj.get(part, 0.0))
            row["dram_bytes_values"] = int(layer.bytes["dram"]["values"])
            row["dram_bytes_metadata"] = int(layer.bytes["dram"]["metadata"])
            row["dram_bytes_total"] = int(layer.bytes["dram"]["total"])
            compulsory = int(getattr(layer, "compulsory_dram_bytes", 0))
            row["dram_bytes_compulsory"] = compulsory
            row["dram_vs_compulsory"] = row["dram_bytes_total"] / compulsory if compulsory else None
            mapping = getattr(layer, "mapping", None)
            row["mapping"] = mapping.describe() if mapping is not None else ""
            row["limiter"] = layer_limiter(layer)
            rows.append(row)
    return rows


_SUMMED = ("cycles", "compute_cycles", "stall_cycles", "macs_dense", "macs_effectual", "energy_pj_total",
           "dram_bytes_values", "dram_bytes_metadata", "dram_bytes_total", "dram_bytes_compulsory",
           "latency_s",
           *(f"energy_pj_{p}" for p in ENERGY_PARTS))


def _limiter_shares(rows) -> dict:
    cycles = {name: 0 for name in LIMITERS}
    for row in rows:
        cycles[row["limiter"]] = cycles.get(row["limiter"], 0) + row["cycles"]
    total = sum(cycles.values())
    return {name: (c / total if total else 0.0) for name, c in cycles.items()}


def config_summaries(comparison, records=None) -> list[dict]:
    """One dict per config, in run order.

    Keys: the layers' sums (:data:`CSV_COLUMNS` totals), ``utilization``,
    ``speedup_vs_dense`` and ``energy_saving_vs_dense`` (against the unpruned
    dense run on the same arch and dataflow), the figures of merit of the
    module docstring, ``limiter_share`` (fraction of cycles spent in layers of
    each limiter), ``limited_by`` (the limiter with the largest share),
    ``layers`` and ``layers_sparse`` (layers that ran in the sparse format).
    """
    records = records if records is not None else layer_records(comparison)
    by_cfg: dict[str, list] = {}
    for row in records:
        by_cfg.setdefault(row["config"], []).append(row)
    summaries = []
    for run in comparison.runs:
        cfg = run.config
        rows = by_cfg.get(cfg.label, [])
        s = {"config": cfg.label, "arch": cfg.arch, "dataflow": cfg.dataflow, "prune": cfg.prune or "none",
             "format": cfg.format, "baseline": cfg.is_baseline}
        for key in _SUMMED:
            s[key] = sum(row[key] for row in rows) if rows else 0
        s["latency_s"] = float(s["latency_s"])
        s["layers"] = len(rows)
        s["layers_sparse"] = sum(1 for row in rows if row["exploited"] and row["format"] != "dense")
        s["exploited"] = all(row["exploited"] for row in rows)
        s["utilization"] = float(run.result.total.utilization)
        s["limiter_share"] = _limiter_shares(rows)
        s["limited_by"] = max(LIMITERS, key=lambda name: (s["limiter_share"][name], -LIMITERS.index(name)))
        lat, energy, dense_macs = s["latency_s"], s["energy_pj_total"], s["macs_dense"]
        s["inferences_per_s"] = 1.0 / lat if lat else None
        s["effective_tops"] = 2.0 * dense_macs / lat / 1e12 if lat else None
        s["tops_per_w"] = 2.0 * dense_macs / energy if energy else None
        s["pj_per_mac"] = energy / dense_macs if dense_macs else None
        for part in ENERGY_PARTS:
            s[f"pj_per_mac_{part}"] = s[f"energy_pj_{part}"] / dense_macs if dense_macs else None
        s["energy_delay_pj_s"] = energy * lat
        s["dram_vs_compulsory"] = (s["dram_bytes_total"] / s["dram_bytes_compulsory"]
                                   if s["dram_bytes_compulsory"] else None)
        summaries.append(s)
    baselines = {(s["arch"], s["dataflow"]): s for s in summaries if s["baseline"]}
    for s in summaries:
        base = baselines.get((s["arch"], s["dataflow"]))
        s["speedup_vs_dense"] = base["cycles"] / s["cycles"] if base and s["cycles"] else None
        s["energy_saving_vs_dense"] = (1.0 - s["energy_pj_total"] / base["energy_pj_total"]
                                       if base and base["energy_pj_total"] else None)
    return summaries


#: (metric, summary key, True if larger is better, what "by how much" compares).
WINNER_METRICS = (
    ("lowest latency", "latency_s", False),
    ("least energy", "energy_pj_total", False),
    ("lowest energy-delay product", "energy_delay_pj_s", False),
    ("least DRAM traffic", "dram_bytes_total", False),
    ("highest utilization", "utilization", True),
)


def _ratio(winner: float, other: float, larger_better: bool) -> float | None:
    """How many times better ``winner`` is than ``other`` (>= 1 when it is better)."""
    if larger_better:
        return winner / other if other else None
    return other / winner if winner else None


def winners(summaries) -> list[dict]:
    """The winner of each metric of :data:`WINNER_METRICS`, and by how much.

    Each entry: ``metric``, ``key``, ``config`` and ``value`` of the winner;
    ``runner_up`` and ``runner_up_value`` (the best other config, or None);
    ``vs_runner_up`` (times better than it); ``vs_own_baseline`` (times better
    than the dense baseline on its arch and dataflow); ``best_baseline``,
    ``best_baseline_value`` and ``vs_best_baseline`` (the best dense baseline
    of all). Ties go to the config listed first.
    """
    out = []
    for metric, key, larger in WINNER_METRICS:
        ranked = sorted(range(len(summaries)), key=lambda i: ((-1 if larger else 1) * summaries[i][key], i))
        if not ranked:
            continue
        win = summaries[ranked[0]]
        runner = summaries[ranked[1]] if len(ranked) > 1 else None
        bases = [summaries[i] for i in ranked if summaries[i]["baseline"]]
        own = next((s for s in summaries if s["baseline"] and s["arch"] == win["arch"]
                    and s["dataflow"] == win["dataflow"]), None)
        best_base = bases[0] if bases else None
        out.append({
            "metric": metric, "key": key, "config": win["config"], "value": win[key],
            "runner_up": runner["config"] if runner else None,
            "runner_up_value": runner[key] if runner else None,
            "vs_runner_up": _ratio(win[key], runner[key], larger) if runner else None,
            "vs_own_baseline": _ratio(win[key], own[key], larger) if own else None,
            "best_baseline": best_base["config"] if best_base else None,
            "best_baseline_value": best_base[key] if best_base else None,
            "vs_best_baseline": _ratio(win[key], best_base[key], larger) if best_base else None,
        })
    return out
