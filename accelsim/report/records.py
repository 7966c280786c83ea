"""Flatten a :class:`~accelsim.report.compare.Comparison` into rows, summaries and limiters."""

from __future__ import annotations

__all__ = ["layer_records", "config_summaries", "best_configs", "CSV_COLUMNS", "limiter"]

ENERGY_PARTS = ("mac", "pe_idle", "index_decode", "weight_sram", "input_sram", "output_sram", "dram")

CSV_COLUMNS = (
    ["config", "arch", "dataflow", "prune", "format", "exploited", "layer", "cycles", "compute_cycles",
     "stall_cycles", "utilization", "macs_dense", "macs_effectual", "latency_s", "energy_pj_total"]
    + [f"energy_pj_{p}" for p in ENERGY_PARTS]
    + ["dram_bytes_values", "dram_bytes_metadata"]
)

# Thresholds of the limiter rule (docs/report.md explains them).
STALL_FRACTION_MEMORY = 0.2
METADATA_FRACTION = 0.25
IMBALANCE_FACTOR = 1.25


def _bytes(layer, level, part):
    return int(layer.bytes[level][part])


def layer_records(comparison) -> list[dict]:
    """One dict per (config, layer), in run order then layer order; keys are :data:`CSV_COLUMNS`."""
    rows = []
    for run in comparison.runs:
        cfg = run.config
        for layer in run.result.layers:
            row = {
                "config": cfg.label, "arch": cfg.arch, "dataflow": cfg.dataflow, "prune": cfg.prune or "none",
                "format": cfg.format, "exploited": bool(layer.exploited), "layer": layer.name,
                "cycles": int(layer.cycles), "compute_cycles": int(layer.compute_cycles),
                "stall_cycles": int(layer.stall_cycles), "utilization": float(layer.utilization),
                "macs_dense": int(layer.macs_dense), "macs_effectual": int(layer.macs_effectual),
                "latency_s": float(layer.latency_s), "energy_pj_total": float(layer.energy_pj["total"]),
            }
            for part in ENERGY_PARTS:
                row[f"energy_pj_{part}"] = float(layer.energy_pj.get(part, 0.0))
            row["dram_bytes_values"] = _bytes(layer, "dram", "values")
            row["dram_bytes_metadata"] = _bytes(layer, "dram", "metadata")
            rows.append(row)
    return rows


def limiter(summary: dict, baseline: dict | None) -> str:
    """What limits a config: memory bandwidth, metadata, load imbalance or compute.

    Rule, first match wins: stalls are at least 20% of cycles -> ``memory
    bandwidth``; metadata is at least 25% of DRAM bytes -> ``metadata``; compute
    cycles exceed 1.25x the perfectly balanced sparse time (dense compute cycles
    x effectual/dense MACs) -> ``load imbalance``; otherwise ``compute``.
    """
    if summary["cycles"] and summary["stall_cycles"] / summary["cycles"] >= STALL_FRACTION_MEMORY:
        return "memory bandwidth"
    dram = summary["dram_bytes_values"] + summary["dram_bytes_metadata"]
    if dram and summary["dram_bytes_metadata"] / dram >= METADATA_FRACTION:
        return "metadata"
    if baseline is not None and summary["format"] != "dense" and summary["macs_dense"]:
        balanced = baseline["compute_cycles"] * summary["macs_effectual"] / summary["macs_dense"]
        if balanced > 0 and summary["compute_cycles"] > IMBALANCE_FACTOR * balanced:
            return "load imbalance"
    return "compute"


def config_summaries(comparison, records=None) -> list[dict]:
    """One dict per config: totals, speedup and energy saving against the arch/dataflow dense baseline, limiter."""
    records = records if records is not None else layer_records(comparison)
    by_cfg: dict[str, dict] = {}
    for row in records:
        s = by_cfg.setdefault(row["config"], {
            "config": row["config"], "arch": row["arch"], "dataflow": row["dataflow"], "prune": row["prune"],
            "format": row["format"], "exploited": True, "cycles": 0, "compute_cycles": 0, "stall_cycles": 0,
            "macs_dense": 0, "macs_effectual": 0, "energy_pj_total": 0.0,
            **{f"energy_pj_{p}": 0.0 for p in ENERGY_PARTS}, "dram_bytes_values": 0, "dram_bytes_metadata": 0,
            "latency_s": 0.0})
        for key in ("cycles", "compute_cycles", "stall_cycles", "macs_dense", "macs_effectual", "energy_pj_total",
                    "dram_bytes_values", "dram_bytes_metadata", "latency_s",
                    *(f"energy_pj_{p}" for p in ENERGY_PARTS)):
            s[key] += row[key]
        s["exploited"] = s["exploited"] and row["exploited"]
    summaries = list(by_cfg.values())
    pes = {name: arch.array.num_pes for name, arch in comparison.archs.items()}
    baselines = {(s["arch"], s["dataflow"]): s for s in summaries if s["format"] == "dense" and s["prune"] == "none"}
    for s in summaries:
        s["utilization"] = s["macs_effectual"] / (pes[s["arch"]] * s["cycles"]) if s["cycles"] else 0.0
        base = baselines.get((s["arch"], s["dataflow"]))
        s["speedup_vs_dense"] = base["cycles"] / s["cycles"] if base and s["cycles"] else None
        s["energy_saving_vs_dense"] = (1.0 - s["energy_pj_total"] / base["energy_pj_total"]
                                       if base and base["energy_pj_total"] else None)
        s["limited_by"] = limiter(s, base)
    return summaries


def best_configs(summaries) -> list[tuple[str, str, float]]:
    """The best config per metric: (metric, config, value)."""
    if not summaries:
        return []
    picks = [
        ("fewest cycles", min(summaries, key=lambda s: (s["cycles"], s["config"])), "cycles"),
        ("least energy (pJ)", min(summaries, key=lambda s: (s["energy_pj_total"], s["config"])), "energy_pj_total"),
        ("highest utilization", max(summaries, key=lambda s: (s["utilization"], s["config"])), "utilization"),
        ("least DRAM traffic (bytes)",
         min(summaries, key=lambda s: (s["dram_bytes_values"] + s["dram_bytes_metadata"], s["config"])), None),
        ("lowest energy-delay product (pJ*cycles)",
         min(summaries, key=lambda s: (s["energy_pj_total"] * s["cycles"], s["config"])), None),
    ]
    out = []
    for metric, s, key in picks:
        if key is not None:
            value = s[key]
        elif metric.startswith("least DRAM"):
            value = s["dram_bytes_values"] + s["dram_bytes_metadata"]
        else:
            value = s["energy_pj_total"] * s["cycles"]
        out.append((metric, s["config"], value))
    return out
