"""PNG plots of a sweep (matplotlib, Agg backend, deterministic bytes): the Pareto front and sensitivities."""

from __future__ import annotations

import io
import math

import numpy as np

__all__ = ["pareto_plot", "sensitivity_plot"]


def _figure(rows: int, cols: int, width: float, height: float):
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    # names are text, never math: "$\\x$" in a workload or arch name must not reach mathtext
    plt.rcParams.update({"svg.hashsalt": "accelsim", "font.size": 8, "text.parse_math": False})
    fig, axes = plt.subplots(rows, cols, figsize=(width, height), dpi=100, squeeze=False)
    return plt, fig, axes


def _png(plt, fig) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _wide(values) -> bool:
    v = np.asarray([x for x in values if x is not None and np.isfinite(x) and x > 0], dtype=float)
    return v.size > 1 and v.max() / v.min() > 20


_AXES = {"energy_pj": ("energy (uJ)", 1e-6), "latency_s": ("latency (ms)", 1e3), "multipliers": ("multipliers", 1),
         "sram_kib": ("SRAM (KiB)", 1), "cycles": ("cycles", 1), "edp_pj_s": ("EDP (uJ x ms)", 1e-3),
         "utilization": ("utilization (%)", 100), "dram_bytes": ("DRAM traffic (MiB)", 1 / 2**20),
         "stall_cycles": ("stall cycles", 1), "compute_cycles": ("compute cycles", 1),
         "dram_metadata_bytes": ("DRAM metadata (MiB)", 1 / 2**20),
         "sram_traffic_bytes": ("SRAM traffic (MiB)", 1 / 2**20), "macs_effectual": ("effectual MACs", 1),
         "macs_dense": ("dense MACs", 1)}


def _axis(name: str):
    return _AXES.get(name, (name, 1))


def pareto_plot(frame, front, objectives, title: str) -> bytes:
    """Every point of one workload, front points marked, against energy.

    Parameters
    ----------
    frame : pandas.DataFrame
        The ``ok`` records of one workload.
    front : numpy.ndarray of bool
        The Pareto mask over ``objectives``, aligned with ``frame``.
    objectives : sequence of str
        The minimised columns; the first is the y axis of every panel, each
        other one the x axis of a panel.
    title : str
    """
    y_name, others = objectives[0], list(objectives[1:]) or [objectives[0]]
    plt, fig, axes = _figure(1, len(others), 4.2 * len(others) + 0.8, 4.4)
    y_label, y_scale = _axis(y_name)
    y = frame[y_name].to_numpy(dtype=float) * y_scale
    colour = frame["multipliers"].to_numpy(dtype=float)
    for ax, x_name in zip(axes[0], others):
        x_label, x_scale = _axis(x_name)
        x = frame[x_name].to_numpy(dtype=float) * x_scale
        sc = ax.scatter(x[~front], y[~front], s=9, c=colour[~front], cmap="viridis", alpha=0.55,
                        norm=_norm(colour), linewidths=0, label="dominated")
        ax.scatter(x[front], y[front], s=26, c=colour[front], cmap="viridis", norm=_norm(colour),
                   edgecolors="tab:red", linewidths=1.2, label="Pareto front")
        if _wide(x):
            ax.set_xscale("log")
        if _wide(y):
            ax.set_yscale("log")
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.legend(fontsize=7, loc="upper right")
        ax.grid(True, linewidth=0.3, alpha=0.5)
    fig.colorbar(sc, ax=axes[0].tolist(), label="multipliers", shrink=0.9)
    fig.suptitle(f"{title}: {len(frame)} points, {int(front.sum())} on the Pareto front over "
                 + ", ".join(objectives))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _norm(values):
    import matplotlib.colors as mcolors

    v = np.asarray(values, dtype=float)
    lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
    if lo > 0 and hi / lo > 20:
        return mcolors.LogNorm(lo, hi)
    return mcolors.Normalize(lo, hi if hi > lo else lo + 1)


def _median_line(xs: np.ndarray, ys: np.ndarray, numeric: bool):
    """``(x, median y)`` per distinct x (at most 24 of them), else per 12 equal-count bins of x."""
    ok = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[ok], ys[ok]
    if xs.size == 0:
        return [], [], "value"
    centre = xs if numeric else np.round(xs)      # categorical slots carry a jitter of +-0.25
    distinct = np.unique(centre)
    if distinct.size <= 24:
        return list(distinct), [float(np.median(ys[centre == x])) for x in distinct], "value"
    order = np.argsort(xs, kind="mergesort")
    med_x, med_y = [], []
    for part in np.array_split(order, 12):
        med_x.append(float(np.median(xs[part])))
        med_y.append(float(np.median(ys[part])))
    return med_x, med_y, "bin of equal count"


def sensitivity_plot(frame, column: str, numeric: bool, order=None, metrics=("energy_pj", "latency_s")) -> bytes:
    """Every point's ``metrics`` against the swept ``column``, one colour per workload, medians joined.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``ok`` records.
    column : str
        A swept parameter (or ``dataflow``, ``format``, ``prune``).
    numeric : bool
        Plot on a numeric axis (else one slot per distinct value).
    order : sequence of str, optional
        Slot order of a categorical column (default: first seen); values not in it go last.
    """
    plt, fig, axes = _figure(1, len(metrics), 4.6 * len(metrics), 3.8)
    workloads = list(dict.fromkeys(frame["workload"]))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    raw = frame[column].tolist()
    if numeric:
        xs_all = np.asarray([float(v) if v is not None else math.nan for v in raw])
        ticks = None
    else:
        seen = list(dict.fromkeys(str(v) for v in raw))
        labels = [o for o in (order or []) if o in seen] + [v for v in seen if v not in (order or [])]
        slot = {label: i for i, label in enumerate(labels)}
        # deterministic jitter: spread each slot's points by their position in the table
        jitter = ((np.arange(len(raw)) * 0.618034) % 1.0 - 0.5) * 0.5
        xs_all = np.asarray([slot[str(v)] for v in raw], dtype=float) + jitter
        ticks = labels
    kind = "value"
    for ax, metric in zip(axes[0], metrics):
        label, scale = _axis(metric)
        for w_i, workload in enumerate(workloads):
            sel = (frame["workload"] == workload).to_numpy()
            ys = frame[metric].to_numpy(dtype=float)[sel] * scale
            xs = xs_all[sel]
            colour = colours[w_i % len(colours)]
            ax.scatter(xs, ys, s=7, alpha=0.45, color=colour, linewidths=0,
                       label=workload if len(workloads) > 1 else None)
            med_x, med_y, kind = _median_line(xs, ys, numeric)
            ax.plot(med_x, med_y, color=colour, linewidth=1.4 if numeric else 0, marker="D",
                    markersize=3 if numeric else 6, markeredgecolor="black" if not numeric else colour,
                    label="median" if len(workloads) == 1 else None)
        if numeric and _wide(xs_all):
            ax.set_xscale("log")
        if _wide(frame[metric].to_numpy(dtype=float)):
            ax.set_yscale("log")
        if ticks is not None:
            ax.set_xticks(range(len(ticks)), ticks, rotation=30 if len(ticks) > 4 else 0, ha="right"
                          if len(ticks) > 4 else "center", fontsize=7)
        ax.set_xlabel(column)
        ax.set_ylabel(label)
        ax.grid(True, linewidth=0.3, alpha=0.5)
        ax.legend(fontsize=7)
    fig.suptitle(f"Sensitivity to {column} (every point; line: median per {kind})")
    return _png(plt, fig)
