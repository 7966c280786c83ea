"""``simulate``: cycles, stalls, traffic, events and energy of a (pruned, encoded) workload on an arch."""

from __future__ import annotations

import math
import os
from dataclasses import replace

import numpy as np

from accelsim.errors import AccelsimInputError, Problem, ProblemCollector
from accelsim.sim.hw_zeros import hardware_nonzero_view
from accelsim.sim.limiter import cycle_breakdown, limiter
from accelsim.sim.mapping import chosen_traffic, map_layer, mapping_problem, scalesim_mapping
from accelsim.sim.memory import LayerOperands, memory_traffic
from accelsim.sim.result import LEVELS, LayerResult, SimResult, SimTotal
from accelsim.sim.schedule import balanced_beats, build_schedule
from accelsim.sim.sparse_timing import TimingRule, timing_rule, weight_profile, weight_storage_bits
from accelsim.spec import (DATAFLOWS, MAPPING_MODES, MAPPING_OBJECTIVES, ArchSpec, MappingSpec,
                           load_arch)
from accelsim.workload.layer import Layer, Workload

__all__ = ["simulate", "ACTIVATION_SPARSITY_HELP", "MAPPING_HELP"]

ACTIVATION_SPARSITY_HELP = ("None or 'measured' (use each layer's input_density, else dense "
                            "activations), 'none' (dense activations) or 'assume:D' with a density "
                            "D in [0, 1] for layers without input_density (e.g. 'assume:0.5')")

_SRAM_LEVELS = ("weight_sram", "input_sram", "output_sram")


# ----------------------------------------------------------------------------- arguments
def _check_arch(arch, problems: ProblemCollector):
    if isinstance(arch, ArchSpec):
        return arch
    if isinstance(arch, (str, os.PathLike)):
        return load_arch(arch)
    problems.add("arch", type(arch).__name__, "an ArchSpec or the path/name of an architecture file")
    return None


def _check_workload(x, problems: ProblemCollector):
    if isinstance(x, Workload):
        return x
    if isinstance(x, Layer):
        return Workload(x.name, (x,), source="layer")
    problems.add("workload", type(x).__name__, "an accelsim Workload or Layer")
    return None


def _check_dataflow(dataflow, arch, problems: ProblemCollector):
    if dataflow is None:
        return arch.dataflow if arch is not None else None
    value = dataflow.strip().lower() if isinstance(dataflow, str) else dataflow
    if value not in DATAFLOWS:
        problems.add("dataflow", dataflow, "one of " + ", ".join(DATAFLOWS) + " (or None for the arch's)")
        return None
    return value


def _check_format(fmt, arch, problems: ProblemCollector):
    from accelsim.formats.spec import parse_format

    if fmt is None:
        if arch is None:
            return None
        fmt = arch.sparsity.native_format
    try:
        return parse_format(fmt)
    except AccelsimInputError as exc:
        problems.problems.extend(exc.problems or [])
        if not exc.problems:
            problems.add("format", fmt, "a format string such as 'dense', 'csr', 'bsr:4x4', 'nm:2:4'")
        return None


def _check_activation(value, problems: ProblemCollector):
    """Return ``(mode, default_density)``: mode ``layer`` / ``none``."""
    if value is None or value == "measured":
        return "layer", 1.0
    if value == "none":
        return "none", 1.0
    if isinstance(value, str) and value.startswith("assume:"):
        from accelsim.numbers import parse_float

        density = parse_float(value.split(":", 1)[1])
        if density is not None and 0.0 <= density <= 1.0:
            return "layer", density
    problems.add("activation_sparsity", value, ACTIVATION_SPARSITY_HELP)
    return "none", 1.0


MAPPING_HELP = ("None (the arch's mapping), 'auto', 'scalesim', 'auto:OBJECTIVE' with OBJECTIVE "
                "one of latency, energy, edp, or an accelsim.spec.MappingSpec")


def _check_mapping(mapping, objective, arch, problems: ProblemCollector):
    """The :class:`MappingSpec` to run with (the arch's, overridden by ``mapping`` / ``objective``)."""
    spec = arch.mapping if arch is not None else MappingSpec()
    if isinstance(mapping, MappingSpec):
        spec = mapping
    elif mapping is not None:
        text = mapping.strip().lower() if isinstance(mapping, str) else None
        mode, _, obj = text.partition(":") if text else (None, "", "")
        if mode not in MAPPING_MODES or (obj and (mode != "auto" or obj not in MAPPING_OBJECTIVES)):
            problems.add("mapping", mapping, MAPPING_HELP)
            mode, obj = "auto", ""
        spec = MappingSpec(mode, obj or (spec.objective if spec.mode == "auto" else "edp"))
    if objective is not None:
        value = objective.strip().lower() if isinstance(objective, str) else objective
        if value not in MAPPING_OBJECTIVES:
            problems.add("objective", objective, "one of " + ", ".join(MAPPING_OBJECTIVES)
                         + " (or None for the arch's)")
            return spec
        if spec.mode != "auto":
            problems.add("objective", objective, "None when the mapping is scalesim (its loop "
                         "order is fixed; use mapping='auto' to search for an objective)")
            return spec
        spec = MappingSpec("auto", value)
    return spec


def _layer_density(layer: Layer, mode: str, default: float) -> float:
    if mode == "none":
        return 1.0
    return float(layer.input_density) if layer.input_density is not None else default


def _with_synthetic_weights(workload: Workload, seed: int) -> tuple[Workload, list[str]]:
    """Give conv/linear layers without a weight a seeded synthetic one (so they can be pruned)."""
    from accelsim.workload.loaders import synthetic_weight

    layers, filled = [], []
    for index, layer in enumerate(workload.layers):
        if layer.weight is None and layer.kind in ("conv", "linear"):
            if layer.conv is not None:
                cp = layer.conv
                shape = (cp.out_channels, cp.in_channels // cp.groups, cp.kernel_h, cp.kernel_w)
            else:
                shape = (layer.groups * layer.n, layer.k)
            layer = layer.with_weight(synthetic_weight(shape, layer.k, seed, index))
            filled.append(layer.name)
        layers.append(layer)
    return workload.with_layers(layers), filled


# ----------------------------------------------------------------------------- size checks
def _ceil_div(a: int, b: int) -> int:
    return -(-int(a) // int(b))


def check_layer_work(layer: Layer, arch: ArchSpec, dataflow: str) -> None:
    """Refuse a layer whose schedule would hold more than ``max_folds`` folds (before building it).

    Upper bounds of the folds (dense weights; sparsity only removes folds): WS
    ``groups * ceil(N/cols) * ceil(K/rows)``, OS ``groups * ceil(N/cols) * ceil(M/rows)``,
    IS ``groups * ceil(M/cols) * ceil(K/rows)``; the per-channel arrays hold ``groups * N``
    entries. The simulator keeps a few int64 and float64 values per fold.
    """
    from accelsim.limits import current, limit_problem

    rows, cols = arch.array.rows, arch.array.cols
    g, m, k, n = int(layer.groups), int(layer.m), int(layer.k), int(layer.n)
    if dataflow == "ws":
        folds = g * _ceil_div(n, cols) * _ceil_div(k, rows)
    elif dataflow == "os":
        folds = g * _ceil_div(n, cols) * _ceil_div(m, rows)
    else:
        folds = g * _ceil_div(m, cols) * _ceil_div(k, rows)
    work = max(folds, g * n)
    if work > current().max_folds:
        raise AccelsimInputError(f"layer {layer.name!r} is too large to simulate on a {rows}x{cols} "
                                 f"{dataflow.upper()} array", [limit_problem(
                                     "max_folds", f"{layer.name} (M={m}, K={k}, N={n}, groups={g})",
                                     work, "array folds per layer")])


def _check_exact(layers, arch: ArchSpec) -> None:
    """Refuse results whose counts exceed 2**53 (not exact in float64; near int64 wrap-around)."""
    from accelsim.limits import MAX_EXACT_COUNT

    totals: dict[str, int] = {"cycles": 0}
    for layer in layers:
        totals["cycles"] += int(layer.cycles)
        for key, value in layer.events.items():
            totals[key] = totals.get(key, 0) + int(value)
        if min(int(v) for v in layer.events.values()) < 0 or layer.cycles < 0:
            raise AccelsimInputError(f"layer {layer.name!r}: negative event counts (an overflow)",
                                     hint="report this with the arch and workload files")
    big = {key: value for key, value in totals.items() if value > MAX_EXACT_COUNT}
    if big:
        key, value = next(iter(big.items()))
        raise AccelsimInputError("counts too large to represent exactly", [Problem(
            key, f"{value:,}", f"at most 2**53 = {MAX_EXACT_COUNT:,} (float64 is exact up to there); use a smaller "
            f"workload, a larger array or more DRAM bandwidth than {arch.dram_bandwidth_bytes_per_cycle:g} "
            "B/cycle (dram.bandwidth_bytes_per_cycle)")])


# ----------------------------------------------------------------------------- one layer
def _input_bits(layer: Layer, activation_bits: int) -> int:
    """Unique input activations of a layer (the ifmap without padding, or the M x K operand)."""
    if layer.conv is not None:
        cp = layer.conv
        return cp.batch * cp.in_channels * cp.in_h * cp.in_w * activation_bits
    return layer.groups * layer.m * layer.k * activation_bits


def _skip_activations(profile, dataflow: str, density: float, rows: int, lanes: int, n: int):
    """Apply activation skipping to the profile (OS: shorter beats; IS: fewer stationary rows)."""
    if density >= 1.0:
        return profile, 1.0
    if dataflow == "os":
        beats = np.ceil(profile.beats * density).astype(np.int64)
        return replace(profile, beats=beats), 1.0
    if dataflow == "is":
        is_rows = int(math.ceil(profile.is_rows * density))
        n_rf = -(-is_rows // (rows * lanes))
        vectors = np.full((profile.is_vectors.shape[0], n_rf), n, dtype=np.int64)
        return replace(profile, is_rows=is_rows, is_vectors=vectors), density
    return profile, 1.0


def _index_decodes(rule: TimingRule, profile, m: int) -> int:
    if rule.rule == "unstructured":
        return profile.nnz * m
    if rule.rule == "nm":
        return int(profile.stored.sum()) * m
    if rule.rule == "block":
        return profile.stored_blocks * rule.block_rows * m
    return 0


def _simulate_layer(layer: Layer, arch: ArchSpec, dataflow: str, fmt, density: float,
                    fmt_is_default: bool, energy_table, mapping: MappingSpec,
                    prices: dict) -> LayerResult:
    from accelsim.energy import energy_breakdown_pj
    from accelsim.formats.spec import parse_format

    rows, cols = arch.array.rows, arch.array.cols
    prec = arch.precision
    notes = []
    rule, exploited = timing_rule(arch, fmt)
    if not exploited:
        notes.append(f"format {fmt.name} is not exploited by this PE "
                     f"({arch.sparsity.describe()}): ran dense")
    check_layer_work(layer, arch, dataflow)
    view = None
    if layer.weight is None:
        if fmt.name != "dense":
            notes.append("layer has no weights: ran dense")
        rule, exploited = TimingRule("dense", rule.lanes), fmt.name == "dense"
    else:
        # zeros as the hardware sees them: float weights quantised to weight_bits
        view = hardware_nonzero_view(layer.weight_matrix(), prec.weight_bits, layer.name)
    try:
        profile = weight_profile(layer, rule, rows, cols, dataflow, view)
    except AccelsimInputError:
        if not (fmt_is_default and rule.rule == "nm"):
            raise
        notes.append(f"weights are not {rule.n}:{rule.m} sparse: ran dense "
                     f"(prune with 'nm:{rule.n}:{rule.m}' to use the N:M PE)")
        rule, exploited = TimingRule("dense", 1), False
        profile = weight_profile(layer, rule, rows, cols, dataflow, view)
    mode = arch.sparsity.activation
    skip = mode == "skip" and density < 1.0
    if skip:
        profile, is_scale = _skip_activations(profile, dataflow, density, rows, rule.lanes, layer.n)
        if dataflow == "ws":
            notes.append("activation skipping saves no cycles in WS (energy only)")
    else:
        is_scale = 1.0
    supply = arch.input_read_activations_per_cycle
    act_scale = density if (skip and dataflow == "os") else 1.0
    schedule = build_schedule(dataflow, profile, layer.m, rows, cols, rule.lanes, supply, act_scale)
    unsupplied_cycles = schedule.compute_cycles - schedule.supply_cycles
    balanced_cycles = (unsupplied_cycles if dataflow == "is" or rule.rule in ("dense", "nm")
                       else build_schedule(dataflow, profile, layer.m, rows, cols, rule.lanes,
                                           beats=balanced_beats(profile.beats, cols)).compute_cycles)

    g, n, k, m = int(layer.groups), int(layer.n), int(layer.k), int(layer.m)
    run_fmt = fmt if exploited else parse_format("dense")
    value_bits = prec.weight_bits if layer.weight is not None else prec.activation_bits
    w_values, w_meta = weight_storage_bits(run_fmt, g * n, k, profile.nnz, value_bits,
                                           profile.stored_blocks)
    ops = LayerOperands(m, n, k, g, w_values, w_meta, profile.stored, profile.is_vectors,
                        profile.is_rows, profile.union.reshape(-1),
                        _input_bits(layer, prec.activation_bits), prec.activation_bits,
                        prec.accumulator_bits, is_scale,
                        profile.fold_activations if rule.rule in ("unstructured", "block") else None)

    executed = int(profile.stored.sum()) * m
    if mode == "none" or density >= 1.0:
        macs, gated = executed, 0
    else:
        macs = int(round(executed * density))
        gated = executed - macs if mode == "gate" else 0
    macs_effectual = int(round(profile.nnz * m * density))
    decodes = _index_decodes(rule, profile, m)
    if skip:
        decodes = int(round(decodes * density))
    busy_needed = int(math.ceil((macs + gated) / rule.lanes))
    extents = {"m": m, "n": n, "k": k}
    if mapping.mode == "scalesim":
        traffic = memory_traffic(schedule, ops, arch)
        compute = schedule.compute_cycles
        folds = schedule.num_folds
        chosen = scalesim_mapping(dataflow, rows, cols, extents, dict(traffic.operand_bits))
    else:
        fixed = (macs * prices["macs"] + gated * prices["macs_gated"]
                 + decodes * prices["index_decodes"])
        problem = mapping_problem(schedule, ops, arch, prices, fixed, busy_needed)
        chosen, index, costs, _ = map_layer(problem, mapping.objective, extents)
        traffic = chosen_traffic(problem, costs, index)
        compute = int(costs.compute_cycles[index])
        folds = int(costs.folds[index])
    compulsory_bits = (w_values + w_meta + _input_bits(layer, prec.activation_bits) * is_scale
                       + g * m * n * prec.activation_bits)
    stalls = traffic.stall_cycles
    cycles = compute + stalls
    breakdown = cycle_breakdown(compute, stalls, schedule.supply_cycles,
                                unsupplied_cycles - balanced_cycles)
    pes = rows * cols
    multipliers = pes * rule.lanes
    busy = min(busy_needed, pes * cycles)
    events = {
        "macs": macs, "macs_gated": gated, "macs_dense": int(layer.macs),
        "pe_busy_cycles": busy, "pe_idle_cycles": pes * cycles - busy, "index_decodes": decodes,
    }
    bits, meta = traffic.bits, traffic.metadata_bits
    for level in ("dram", *_SRAM_LEVELS):
        for op in ("read", "write"):
            key = f"{level}_{op}"
            events[f"{key}_bits"] = bits[key]
            events[f"{key}_values_bits"] = bits[key] - meta[key]
            events[f"{key}_metadata_bits"] = meta[key]
    level_bytes = {}
    for level in LEVELS:
        total_bits = bits[f"{level}_read"] + bits[f"{level}_write"]
        meta_bits = meta[f"{level}_read"] + meta[f"{level}_write"]
        total_b = -(-total_bits // 8)
        meta_b = -(-meta_bits // 8)
        level_bytes[level] = {"values": total_b - meta_b, "metadata": meta_b, "total": total_b}
    energy = energy_breakdown_pj(events, arch, energy_table)
    if density < 1.0:
        notes.append(f"activation density {density:g} ({mode} zero activations)"
                     if mode != "none" else f"activation density {density:g} (not exploited by the PE)")
    return LayerResult(
        name=layer.name, format=fmt.name, exploited=exploited, dataflow=dataflow, cycles=cycles,
        compute_cycles=compute, stall_cycles=stalls,
        utilization=macs_effectual / (multipliers * cycles) if cycles else 0.0,
        macs_dense=int(layer.macs), macs_effectual=macs_effectual, bytes=level_bytes,
        events=events, energy_pj=energy, latency_s=cycles / (arch.clock_mhz * 1e6),
        folds=folds, dram_reads=traffic.dram_reads, activation_density=density,
        notes=tuple(notes), mapping=chosen, compulsory_dram_bytes=-(-int(round(compulsory_bits)) // 8),
        limiter=limiter(breakdown), cycle_breakdown=breakdown)


# ----------------------------------------------------------------------------- total
def _total(layers, arch: ArchSpec) -> SimTotal:
    cycles = sum(layer.cycles for layer in layers)
    breakdown: dict[str, float] = {}
    for layer in layers:
        for key, value in layer.energy_pj.items():
            breakdown[key] = breakdown.get(key, 0.0) + float(value)
    events: dict[str, int] = {}
    for layer in layers:
        for key, value in layer.events.items():
            events[key] = events.get(key, 0) + int(value)
    level_bytes = {level: {part: sum(layer.bytes[level][part] for layer in layers)
                           for part in ("values", "metadata", "total")} for level in LEVELS}
    eff = sum(layer.macs_effectual for layer in layers)
    multipliers = arch.array.num_pes * (1 if arch.sparsity.kind == "nm" else arch.sparsity.lanes)
    return SimTotal(
        cycles=cycles, compute_cycles=sum(layer.compute_cycles for layer in layers),
        stall_cycles=sum(layer.stall_cycles for layer in layers),
        energy_pj=float(sum(float(layer.energy_pj["total"]) for layer in layers)),
        energy_breakdown_pj=breakdown, macs=eff,
        macs_dense=sum(layer.macs_dense for layer in layers), macs_effectual=eff,
        latency_s=cycles / (arch.clock_mhz * 1e6),
        utilization=eff / (multipliers * cycles) if cycles else 0.0,
        bytes=level_bytes, events=events)


def simulate(workload_or_layer, arch, *, dataflow=None, prune=None, format=None, seed=0,
             energy_table=None, activation_sparsity=None, mapping=None,
             objective=None) -> SimResult:
    """Simulate a workload (or one layer) on an architecture.

    Parameters
    ----------
    workload_or_layer : Workload or Layer
    arch : ArchSpec, str or os.PathLike
        An architecture, or a file/bundled name for :func:`accelsim.spec.load_arch`.
    dataflow : {"ws", "os", "is"}, optional
        Defaults to ``arch.dataflow``.
    prune : str, optional
        Pruning scheme applied first with :func:`accelsim.prune.prune`
        (e.g. ``"unstructured:0.9"``, ``"nm:2:4"``, ``"block:4x4:0.75"``).
        Conv/linear layers without weights get seeded synthetic weights first.
    format : str, optional
        Weight format; defaults to ``arch.sparsity.native_format``. A format
        the PE cannot exploit runs as dense (``LayerResult.exploited`` is
        False and a note says so). If the default N:M format does not fit
        unpruned weights, the layer runs dense with a note; an explicitly
        requested N:M format raises instead.
    seed : int
        Seed of the synthetic weights (only used with ``prune``).
    energy_table : str or path, optional
        Energy table; defaults to ``arch.energy_table``.
    activation_sparsity : str, optional
        ``None``/``"measured"``: use ``layer.input_density`` where set;
        ``"none"``: dense activations; ``"assume:D"``: density ``D`` for
        layers without ``input_density``. Zero activations save energy on a
        ``gate`` PE and cycles on a ``skip`` PE (OS and IS only).
    mapping : str or MappingSpec, optional
        ``"auto"`` (the mapper chooses tiles, loop order and double buffering
        per layer), ``"scalesim"`` (SCALE-Sim's fixed order) or
        ``"auto:latency"`` / ``"auto:energy"`` / ``"auto:edp"``; defaults to
        ``arch.mapping``.
    objective : {"latency", "energy", "edp"}, optional
        The mapper's objective (with ``auto``); defaults to the arch's.

    Returns
    -------
    SimResult

    Raises
    ------
    AccelsimInputError
        Bad arguments (all problems listed together), a bad arch file or
        scheme, or an explicitly requested N:M format that the weights break.
    """
    problems = ProblemCollector()
    arch = _check_arch(arch, problems)
    workload = _check_workload(workload_or_layer, problems)
    df = _check_dataflow(dataflow, arch, problems)
    fmt = _check_format(format, arch, problems)
    act_mode, act_default = _check_activation(activation_sparsity, problems)
    mapping_spec = _check_mapping(mapping, objective, arch, problems)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        problems.add("seed", seed, "an integer >= 0")
    if prune is not None and not isinstance(prune, str):
        problems.add("prune", prune, "a pruning scheme string such as 'unstructured:0.9', or None")
    problems.raise_if_any("invalid arguments to simulate")

    notes = []
    if prune is not None:
        from accelsim.prune import prune as prune_workload

        workload, filled = _with_synthetic_weights(workload, int(seed))
        if filled:
            notes.append(f"synthetic weights (seed {int(seed)}) for: " + ", ".join(filled))
        workload = prune_workload(workload, prune)
    from accelsim.energy import per_event_energies_pj
    from accelsim.energy.model import _arch_table
    from accelsim.energy.table import load_energy_table

    # load (and validate) the table once, not once per layer
    table = load_energy_table(_arch_table(arch) if energy_table is None else energy_table)
    prices = per_event_energies_pj(arch, table)
    layers = tuple(
        _simulate_layer(layer, arch, df, fmt, _layer_density(layer, act_mode, act_default),
                        format is None, table, mapping_spec, prices)
        for layer in workload.layers)
    _check_exact(layers, arch)
    return SimResult(layers=layers, total=_total(layers, arch), arch=arch, dataflow=df,
                     format=fmt.name, prune=prune, activation_sparsity=activation_sparsity,
                     workload=workload.name, notes=tuple(notes), mapping=mapping_spec.describe())
