"""Design-space sweeps: thousands of design points, resumable, on this machine or a Dask cluster.

``accelsim.sweep`` is both this package and a function:
``accelsim.sweep(spec, out=None, ...)`` runs a sweep and returns its records
as a pandas DataFrame (see :func:`accelsim.sweep.api.sweep`). The pieces:

* :mod:`~accelsim.sweep.spec` reads and checks a sweep spec (YAML);
* :mod:`~accelsim.sweep.plan` expands it into design points and validates every one;
* :mod:`~accelsim.sweep.runner` simulates points (in any worker process);
* :mod:`~accelsim.sweep.executor` / :mod:`~accelsim.sweep.dask_executor` run them;
* :mod:`~accelsim.sweep.store` commits records to SQLite as points finish;
* :mod:`~accelsim.sweep.results`, :mod:`~accelsim.sweep.report` read them back.

Only :mod:`accelsim.sweep.dask_executor` imports dask, and only when a
scheduler address is given.
"""

from accelsim.sweep.api import SweepRun, check_sweep, run_sweep, sweep
from accelsim.sweep.pareto import pareto_mask
from accelsim.sweep.plan import SweepPlan, plan_sweep
from accelsim.sweep.points import DesignPoint
from accelsim.sweep.report import build_report
from accelsim.sweep.results import export_results, load_results
from accelsim.sweep.spec import EXAMPLE_SWEEP_YAML, SweepSpec, load_sweep_spec, sweep_spec_from_dict
from accelsim.sweep.store import ResultStore

__all__ = ["sweep", "run_sweep", "check_sweep", "SweepRun", "load_sweep_spec", "sweep_spec_from_dict", "SweepSpec",
           "plan_sweep", "SweepPlan", "DesignPoint", "ResultStore", "load_results", "export_results",
           "build_report", "pareto_mask", "EXAMPLE_SWEEP_YAML"]

from accelsim.callable_module import make_callable  # noqa: E402 - after the public names exist

make_callable(__name__, "sweep")
