"""Stored records as a table: one row per design point (a pandas DataFrame), and CSV/Parquet export."""

from __future__ import annotations

import io
from pathlib import Path

from accelsim.errors import AccelsimInputError
from accelsim.sweep.space import value_label
from accelsim.sweep.spec import OUTPUT_COLUMNS

__all__ = ["records_frame", "load_results", "export_results", "param_columns", "INPUT_COLUMNS", "EXPORT_SUFFIXES"]

#: Columns describing a point's inputs, before its swept parameters.
INPUT_COLUMNS = ("key", "index", "status", "workload", "prune", "seed", "dataflow", "format")
EXPORT_SUFFIXES = (".csv", ".parquet")


def param_columns(meta: dict) -> list[str]:
    """Columns of the swept parameters (a swept ``dataflow`` field is the ``dataflow`` column itself)."""
    return [p for p in meta.get("param_paths", []) if p not in INPUT_COLUMNS]


def _param_labels(meta: dict) -> dict:
    """``{path: {json of value: label}}`` for named choices of the spec's parameters."""
    import json

    out = {}
    for p in (meta.get("spec") or {}).get("space", []):
        if "choices" in p:
            out[p["path"]] = {json.dumps(v, sort_keys=True): label for v, label in zip(p["choices"], p["labels"])}
    return out


def _cell(value, labels: dict | None):
    """A parameter value fit for a table cell: numbers and strings as they are, sections by their label."""
    import json

    if isinstance(value, (dict, list)) or value is None:
        if labels:
            label = labels.get(json.dumps(value, sort_keys=True))
            if label is not None:
                return label
        return value_label(value)
    return value


def records_frame(records, meta: dict):
    """Build the DataFrame of ``records`` (dicts as :meth:`ResultStore.records` yields them).

    Columns: :data:`INPUT_COLUMNS`, one column per swept parameter (named by
    its path, e.g. ``array.rows``), the result columns
    (:data:`~accelsim.sweep.spec.OUTPUT_COLUMNS`, ``weight_format``,
    ``layers_ran_dense``, ``energy_pj_<part>``, ``notes``), then ``error`` and
    ``elapsed_s`` (the simulate time of the point on its worker: the only
    column that differs between runs).
    """
    import pandas as pd

    paths = param_columns(meta)
    labels = _param_labels(meta)
    rows, extra_outputs = [], {}
    for r in records:
        inputs, outputs = r["inputs"], r["outputs"] or {}
        row = {"key": r["key"], "index": r["index"], "status": r["status"], "workload": inputs["workload"],
               "prune": inputs["prune"] or "none", "seed": inputs["seed"], "dataflow": inputs["dataflow"],
               "format": inputs["format"]}
        params = inputs.get("params", {})
        for path in paths:
            row[path] = _cell(params.get(path), labels.get(path))
        for name, value in outputs.items():
            row[name] = value
            if name not in OUTPUT_COLUMNS:
                extra_outputs.setdefault(name, None)
        row["error"] = r["error"]
        row["elapsed_s"] = r["elapsed_s"]
        rows.append(row)
    columns = [*INPUT_COLUMNS, *paths, *OUTPUT_COLUMNS, *sorted(extra_outputs), "error", "elapsed_s"]
    frame = pd.DataFrame.from_records(rows, columns=columns)
    int_columns = ["index", "seed"] + [c for c in ("cycles", "compute_cycles", "stall_cycles", "dram_bytes",
                                                   "dram_metadata_bytes", "sram_traffic_bytes", "macs_effectual",
                                                   "macs_dense", "multipliers", "layers_ran_dense")
                                       if c in frame.columns]
    for column in int_columns:
        frame[column] = frame[column].astype("Int64")
    return frame.reset_index(drop=True)


def load_results(folder):
    """The DataFrame of every point stored in the sweep folder ``folder`` (plan order)."""
    from accelsim.sweep.store import ResultStore

    with ResultStore.open(folder) as store:
        meta = store.meta()
        return records_frame(store.records(), meta)


def export_results(folder, path) -> Path:
    """Write the stored points of ``folder`` to ``path`` (``.csv`` or ``.parquet``), atomically.

    One row per stored point, with its ``key`` column; the columns of
    :func:`records_frame`. Returns the path written.

    Raises
    ------
    AccelsimInputError
        An unsupported suffix, an output path that cannot be written, or a
        folder without a store.
    """
    from accelsim.fileio import atomic_write_bytes, atomic_write_text, check_output_file

    suffix = Path(str(path)).suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise AccelsimInputError("invalid --export file", hint=f"got {str(path)!r}; allowed: a file ending in "
                                                                + " or ".join(EXPORT_SUFFIXES))
    check_output_file(path, "--export")
    frame = load_results(folder)
    if suffix == ".csv":
        return atomic_write_text(path, frame.to_csv(index=False, lineterminator="\n"))
    for column in frame.columns:
        if frame[column].dtype == object:
            kinds = {type(v) for v in frame[column] if v is not None}
            if len(kinds) > 1:      # e.g. [8, 16, "unlimited"]: Parquet columns have one type
                frame[column] = [None if v is None else str(v) for v in frame[column]]
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, engine="pyarrow")
    return atomic_write_bytes(path, buffer.getvalue())
