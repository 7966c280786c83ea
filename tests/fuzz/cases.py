"""Bad inputs for every subcommand, input file and option: a seeded, deterministic generator.

Every case is something a user could write by mistake (or a hostile file) and
must be refused cleanly: exit status 2, a message naming the field (one of
``Case.fields`` must appear on standard error), no traceback, no "internal
error", within 20 s. :func:`all_cases` is the full set (``make fuzz``);
:func:`fast_cases` a fixed sample of it that ``make test`` runs.

The cases target the interface as it is; new fields and options are added by
extending the tables in ``cases_files`` (``ARCH_FIELDS``, ...) and
``cases_options``; ``fuzz_values`` holds the base files and the bad values.
"""

from __future__ import annotations

import random
from functools import lru_cache

from tests.fuzz.fuzz_values import SEED, Case
from tests.fuzz.cases_files import (
    _arch_cases, _cfg_cases, _checkpoint_cases, _csv_cases, _sweep_cases, _table_cases, _workload_cases
)
from tests.fuzz.cases_options import _option_cases, _size_cases

__all__ = ["Case", "all_cases", "fast_cases", "cases_by_id"]

#: Share of the generated cases (besides those marked ``core``) that the fast subset keeps.
FAST_SHARE = 0.2


# ----------------------------------------------------------------------------- the sets
@lru_cache(maxsize=1)
def all_cases() -> tuple:
    """Every case, in a fixed order (ids are unique)."""
    cases = (_arch_cases() + _cfg_cases() + _table_cases() + _workload_cases() + _csv_cases()
             + _checkpoint_cases() + _sweep_cases() + _option_cases() + _size_cases())
    seen = {}
    unique = []
    for case in cases:
        cid = case.id
        if cid in seen:
            seen[cid] += 1
            case = Case(f"{cid}~{seen[cid]}", case.argv, case.fields, case.files, case.env, case.core)
        else:
            seen[cid] = 0
        unique.append(case)
    return tuple(unique)


@lru_cache(maxsize=1)
def fast_cases() -> tuple:
    """The ``core`` cases and a seeded sample of the others (the subset ``make test`` runs)."""
    rng = random.Random(SEED)
    return tuple(c for c in all_cases() if c.core or rng.random() < FAST_SHARE)


def cases_by_id() -> dict:
    """``{id: Case}`` of :func:`all_cases`."""
    return {c.id: c for c in all_cases()}
