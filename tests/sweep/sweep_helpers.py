"""Small sweep specs and helpers shared by the sweep tests (tiny-cnn: a point takes milliseconds)."""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path

import yaml

TINY = {
    "name": "tiny-test",
    "workloads": ["tiny-cnn"],
    "prune": ["none", "nm:2:4"],
    "arch": "nm24-ws-32x32",
    "dataflows": ["ws", "os"],
    "space": {"array.rows": [8, 16], "array.cols": [8, 16, 32], "buffers.weight_kib": [32, 128]},
}
#: Points of TINY: 2 prunes x (2 x 3 x 2 assignments) x 2 dataflows.
TINY_POINTS = 2 * 12 * 2


def spec(**changes) -> dict:
    """A copy of TINY with top-level fields replaced (a value None removes the field)."""
    out = copy.deepcopy(TINY)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def write_spec(folder: Path, data: dict, name: str = "spec.yaml") -> Path:
    path = Path(folder) / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def stored_count(folder: Path) -> int:
    """Points in a sweep folder's store, read as another process would (0 if there is none yet)."""
    db = Path(folder) / "sweep.sqlite"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
            return con.execute("SELECT COUNT(*) FROM points").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def results(frame):
    """The columns that must be identical between runs (everything but the per-point timing)."""
    return frame.drop(columns=["elapsed_s"]).reset_index(drop=True)
