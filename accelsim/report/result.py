""":class:`ComparisonResult`: the outcome of :func:`accelsim.compare`, as tables, a DataFrame or a report."""

from __future__ import annotations

from dataclasses import dataclass, replace

from accelsim.report.labels import Labeller
from accelsim.report.plots import pareto_front
from accelsim.report.provenance import arch_parameters
from accelsim.report.records import config_summaries, layer_records, winners

__all__ = ["ComparisonResult", "REPORT_FILES", "RESULTS_SCHEMA"]

#: Files that mark a folder as an earlier compare report (see accelsim.fileio.check_output_dir).
REPORT_FILES = ("results.json", "report.html")
#: ``schema`` of results.json.
RESULTS_SCHEMA = "accelsim-compare/2"


@dataclass(frozen=True)
class ComparisonResult:
    """Every configuration of a comparison, its per-layer detail and provenance.

    Build it with :func:`accelsim.compare`. Numbers are in base units
    (cycles, pJ, s, bytes).

    Attributes
    ----------
    comparison : accelsim.report.runner.Comparison
        The runs (with their :class:`~accelsim.sim.SimResult`) and what was not run.
    provenance : accelsim.report.provenance.Provenance
    configs : tuple of dict
        One summary per configuration (see
        :func:`~accelsim.report.records.config_summaries` for the keys).
    layers : tuple of dict
        One row per (configuration, layer): the ``results.csv`` columns.
    pareto_front : tuple of str
        Labels of the configurations on the latency/energy Pareto front.
    winners : tuple of dict
        The winner of each metric and by how much
        (:func:`~accelsim.report.records.winners`).
    labeller : accelsim.report.labels.Labeller
        Short plot labels and colours.
    areas : dict or None
        ``arch name -> {"area_um2", "nand2_equivalents", "source"}`` when the
        comparison was asked for areas (``compare(..., areas=...)``); each
        configuration then also has ``area_mm2`` and ``inferences_per_s_per_mm2``.
    """

    comparison: object
    provenance: object
    configs: tuple
    layers: tuple
    pareto_front: tuple
    winners: tuple
    labeller: object
    areas: object = None

    @classmethod
    def from_comparison(cls, comparison, provenance) -> "ComparisonResult":
        """Summarise a :class:`~accelsim.report.runner.Comparison`."""
        records = layer_records(comparison)
        summaries = config_summaries(comparison, records)
        front = pareto_front([(s["latency_s"], s["energy_pj_total"]) for s in summaries])
        front_labels = tuple(summaries[i]["config"] for i in sorted(front))
        labeller = Labeller(list(comparison.archs), [(s["prune"], s["format"]) for s in summaries]
                            + [(p or "none", f) for p, f in comparison.storage])
        return cls(comparison=comparison, provenance=provenance, configs=tuple(summaries),
                   layers=tuple(records), pareto_front=front_labels, winners=tuple(winners(summaries)),
                   labeller=labeller)

    # ------------------------------------------------------------------ views used by plots and tables
    @property
    def workload(self) -> str:
        """Workload name."""
        return self.comparison.workload

    @property
    def archs(self) -> dict:
        """``name -> ArchSpec``."""
        return self.comparison.archs

    @property
    def storage(self) -> dict:
        """``(prune, format) -> encode summary`` of every combination run."""
        return self.comparison.storage

    @property
    def skipped(self) -> tuple:
        """``(Config, reason)`` of every combination not run."""
        return self.comparison.skipped

    @property
    def summaries(self) -> list:
        """:attr:`configs` as a list."""
        return list(self.configs)

    @property
    def records(self) -> list:
        """:attr:`layers` as a list."""
        return list(self.layers)

    def dataflows_run(self, arch: str) -> list[str]:
        """Dataflows compared on ``arch``, in run order."""
        return list(dict.fromkeys(s["dataflow"] for s in self.configs if s["arch"] == arch))

    def arch_parameters(self) -> list[dict]:
        """The side-by-side parameters of every arch (:func:`~accelsim.report.provenance.arch_parameters`)."""
        params = [arch_parameters(a, self.dataflows_run(name), self.comparison.mapping)
                  for name, a in self.archs.items()]
        if self.areas:
            for p in params:
                a = self.areas[p["name"]]
                p.update(area_mm2=a["area_um2"] * 1e-6, area_nand2_equivalents=a["nand2_equivalents"],
                         area_source=a["source"])
        return params

    def with_areas(self, areas) -> "ComparisonResult":
        """A copy with an area per arch (``name -> dict with area_um2, nand2_equivalents, source``)."""
        areas = {name: dict(areas[name]) for name in self.archs}
        configs = []
        for s in self.configs:
            mm2 = areas[s["arch"]]["area_um2"] * 1e-6
            configs.append({**s, "area_mm2": mm2,
                            "inferences_per_s_per_mm2": s["inferences_per_s"] / mm2 if mm2 > 0 else None})
        return replace(self, configs=tuple(configs), areas=areas)

    # ------------------------------------------------------------------ exports
    def to_dict(self) -> dict:
        """Everything ``results.json`` holds (JSON-ready, deterministic)."""
        return {
            "schema": RESULTS_SCHEMA,
            "workload": self.workload,
            "provenance": self.provenance.to_dict(),
            "archs": self.arch_parameters(),
            "configs": [dict(s) for s in self.configs],
            "layers": [dict(r) for r in self.layers],
            "skipped": [{"config": c.label, "arch": c.arch, "dataflow": c.dataflow, "prune": c.prune or "none",
                         "format": c.format, "reason": why} for c, why in self.skipped],
            "pareto_front": list(self.pareto_front),
            "winners": [dict(w) for w in self.winners],
            "storage": [{"prune": p or "none", "format": f, **self.storage[(p, f)]["total"]}
                        for (p, f) in self.storage],
        }

    def to_dataframe(self, level: str = "config"):
        """A :class:`pandas.DataFrame`: one row per configuration, or per (configuration, layer).

        Parameters
        ----------
        level : {"config", "layer"}
            ``"config"``: the summaries (``limiter_share`` becomes one
            ``limiter_share_<limiter>`` column each); ``"layer"``: the
            ``results.csv`` rows.
        """
        import pandas as pd

        from accelsim.errors import AccelsimInputError

        if level == "layer":
            return pd.DataFrame(list(self.layers))
        if level != "config":
            raise AccelsimInputError("invalid level", hint=f"got {level!r}; allowed: 'config' or 'layer'")
        rows = []
        for s in self.configs:
            row = {k: v for k, v in s.items() if k != "limiter_share"}
            row.update({f"limiter_share_{k}": v for k, v in s["limiter_share"].items()})
            rows.append(row)
        return pd.DataFrame(rows)

    def write_report(self, out_dir, *, timestamp: bool = False):
        """Write report.md, report.html, results.json, results.csv and the PNGs into ``out_dir``.

        The folder is built beside ``out_dir`` and swapped into place whole
        (:func:`accelsim.fileio.atomic_output_dir`): an interrupted write
        leaves the old report untouched. ``out_dir`` must be new, empty, or an
        earlier report.

        Parameters
        ----------
        out_dir : str or os.PathLike
        timestamp : bool
            Record the time of writing in the provenance (off by default, so
            the same inputs give byte-identical files).

        Returns
        -------
        accelsim.report.writer.ReportFiles
            Final path of each file, by name.
        """
        from pathlib import Path

        from accelsim.fileio import atomic_output_dir
        from accelsim.report.writer import ReportFiles, write_report_files

        result = self
        if timestamp:
            import datetime

            now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
            result = replace(self, provenance=replace(self.provenance, generated_at=now))
        with atomic_output_dir(out_dir, command="compare", recognise=REPORT_FILES) as staging:
            written = write_report_files(result, staging)
        final = Path(out_dir)
        return ReportFiles({name: final / Path(path).name for name, path in written.items()})
