"""The results store of a sweep: one SQLite database, one row per design point, keyed by its hash.

Why SQLite: it is in the standard library (nothing to install or start), a
transaction is atomic and durable across a killed process (the write-ahead log
is replayed or discarded on the next open), one file holds the whole sweep,
and the records can be queried with SQL by other tools. The parent process is
the only writer; workers return records to it and it commits each finished
chunk of points in one transaction, so a record is either complete or absent:
a sweep killed at any moment loses at most the chunks that were still running.

Settings: ``journal_mode=WAL`` (readers, such as ``accelsim sweep --report``
on a running sweep, never block the writer) and ``synchronous=FULL`` (a
commit is on disk before the call returns, power loss included; one fsync per
chunk costs nothing next to simulating it). ``key`` is the primary key and
rows are inserted with ``INSERT OR IGNORE``, so a point can never be stored
twice.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from accelsim.errors import AccelsimInputError

__all__ = ["ResultStore", "STORE_NAME", "SCHEMA_VERSION", "store_path"]

STORE_NAME = "sweep.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS points (
    key TEXT PRIMARY KEY,
    idx INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    workload TEXT NOT NULL,
    prune TEXT,
    seed INTEGER NOT NULL,
    dataflow TEXT NOT NULL,
    format TEXT NOT NULL,
    cycles INTEGER,
    energy_pj REAL,
    latency_s REAL,
    utilization REAL,
    dram_bytes INTEGER,
    multipliers INTEGER,
    sram_kib REAL,
    edp_pj_s REAL,
    inputs TEXT NOT NULL,
    outputs TEXT,
    error TEXT,
    elapsed_s REAL NOT NULL,
    finished_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS points_by_idx ON points (idx);
"""

_TYPED = ("cycles", "energy_pj", "latency_s", "utilization", "dram_bytes", "multipliers", "sram_kib", "edp_pj_s")


def store_path(folder) -> Path:
    """The database file of the sweep in ``folder``."""
    return Path(folder) / STORE_NAME


class ResultStore:
    """A sweep's SQLite store (open with :meth:`open`; use as a context manager).

    Parameters
    ----------
    path : path
        The database file.
    create : bool
        Create the file (and its folder) if missing; otherwise it must exist.
    """

    def __init__(self, path, *, create: bool = False):
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise AccelsimInputError(f"{str(self.path.parent)!r} holds no sweep results (no {STORE_NAME})",
                                     hint="run `accelsim sweep SPEC.yaml --out DIR` first")
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            if create:
                self._db.executescript(_SCHEMA)
            self._check_schema()
        except sqlite3.DatabaseError as exc:
            raise AccelsimInputError(f"{str(self.path)!r} is not a readable sweep store ({exc})") from None

    @classmethod
    def open(cls, folder, *, create: bool = False) -> "ResultStore":
        """The store of the sweep folder ``folder``."""
        return cls(store_path(folder), create=create)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """Close the connection (the data is already committed)."""
        if self._db is not None:
            self._db.close()
            self._db = None

    # ------------------------------------------------------------------ meta
    def _check_schema(self) -> None:
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"meta", "points"} <= tables:
            raise AccelsimInputError(f"{str(self.path)!r} is not an accelsim sweep store (tables missing)")
        schema = self.meta().get("schema")
        if schema is not None and schema != SCHEMA_VERSION:
            raise AccelsimInputError(f"{str(self.path)!r} is a sweep store of schema {schema}; this accelsim reads "
                                     f"schema {SCHEMA_VERSION}")

    def meta(self) -> dict:
        """The sweep's metadata (``{}`` for a store whose first transaction never committed)."""
        return {name: json.loads(value) for name, value in self._db.execute("SELECT name, value FROM meta")}

    def initialise(self, meta: dict) -> None:
        """Write the sweep's metadata in one transaction (``schema`` is added)."""
        rows = [(name, json.dumps(value, sort_keys=True)) for name, value in {**meta, "schema": SCHEMA_VERSION}.items()]
        with self._transaction():
            self._db.executemany("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", rows)

    def _transaction(self):
        db = self._db

        class _Tx:
            def __enter__(self_inner):
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self_inner, kind, value, tb):
                if kind is None:
                    db.execute("COMMIT")
                else:
                    db.execute("ROLLBACK")
                return False

        return _Tx()

    # ------------------------------------------------------------------ writing
    def add(self, records) -> int:
        """Commit finished records in one transaction; returns how many were new.

        Each record is a dict with ``key``, ``index``, ``status``, ``inputs``,
        ``outputs`` (or None), ``error`` (or None) and ``elapsed_s``, as
        :class:`accelsim.sweep.runner.PointRunner` returns them.
        """
        now = time.time()
        rows = []
        for r in records:
            inputs, outputs = r["inputs"], r.get("outputs") or {}
            rows.append((r["key"], int(r["index"]), r["status"], inputs["workload"], inputs["prune"],
                         int(inputs["seed"]), inputs["dataflow"], inputs["format"],
                         *[outputs.get(name) for name in _TYPED],
                         json.dumps(inputs, sort_keys=True, allow_nan=False),
                         None if r.get("outputs") is None else json.dumps(outputs, sort_keys=True, allow_nan=False),
                         r.get("error"), float(r.get("elapsed_s", 0.0)), now))
        with self._transaction():
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO points (key, idx, status, workload, prune, seed, dataflow, format, "
                + ", ".join(_TYPED) + ", inputs, outputs, error, elapsed_s, finished_at) VALUES ("
                + ", ".join("?" * (8 + len(_TYPED) + 5)) + ")", rows)
            return self._db.total_changes - before

    # ------------------------------------------------------------------ reading
    def count(self, status: str | None = None) -> int:
        """Stored points (of one status)."""
        if status is None:
            return self._db.execute("SELECT COUNT(*) FROM points").fetchone()[0]
        return self._db.execute("SELECT COUNT(*) FROM points WHERE status = ?", (status,)).fetchone()[0]

    def keys(self) -> set:
        """Keys of every stored point."""
        return {r[0] for r in self._db.execute("SELECT key FROM points")}

    def best(self, metric: str = "edp_pj_s"):
        """``(value, index)`` of the stored ``ok`` point with the smallest ``metric``, or None."""
        if metric not in _TYPED:
            raise ValueError(f"metric must be one of {_TYPED}")
        row = self._db.execute(f"SELECT {metric}, idx FROM points WHERE status = 'ok' AND {metric} IS NOT NULL "
                               f"ORDER BY {metric}, idx LIMIT 1").fetchone()
        return None if row is None else (row[0], row[1])

    def records(self):
        """Yield every stored record as a dict (in plan order), inputs and outputs decoded."""
        cursor = self._db.execute("SELECT key, idx, status, inputs, outputs, error, elapsed_s FROM points "
                                  "ORDER BY idx")
        for key, idx, status, inputs, outputs, error, elapsed in cursor:
            yield {"key": key, "index": idx, "status": status, "inputs": json.loads(inputs),
                   "outputs": None if outputs is None else json.loads(outputs), "error": error,
                   "elapsed_s": elapsed}

    def duplicate_keys(self) -> int:
        """Keys stored more than once (always 0: ``key`` is the primary key; the tests check it)."""
        return self._db.execute("SELECT COUNT(*) FROM (SELECT key FROM points GROUP BY key "
                                "HAVING COUNT(*) > 1)").fetchone()[0]

    def integrity(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` answer (``"ok"`` for an intact file)."""
        return self._db.execute("PRAGMA integrity_check").fetchone()[0]
