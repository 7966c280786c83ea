"""The accuracy budget: validation drop against the dense model, with a paired-error margin.

Picking the cheapest of many candidates that pass a noisy validation test
favours the ones that were lucky on the validation set: their held-out drop is
larger than their validation drop. So a candidate is within the budget of
``D`` percentage points when

    drop + Z * se <= D / 100,    drop = (b - c) / n,
    se = sqrt(((b + c) / n - drop**2) / n),

where, over the ``n`` validation samples, ``b`` are those the dense model gets
right and the candidate wrong, ``c`` the other way round (the two models are
scored on the same samples, so this paired standard error is much smaller
than that of two independent accuracies), and ``Z`` is ``margin_se``
(default 2; 0 is the plain comparison ``accuracy >= dense - D``). Two standard
errors is about the largest validation luck to expect among the dozen or so
candidates a search fine-tunes per arch (the expected maximum of k standard
normal draws is about ``sqrt(2 ln k)``, 2.2 for k = 12). The paired
rule needs per-sample correctness (``"correct"`` in what the evaluate
function returns); without it the plain comparison is used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["BudgetCheck", "AccuracyBudget", "DEFAULT_MARGIN_SE"]

#: Standard errors of the paired validation difference a candidate must clear.
DEFAULT_MARGIN_SE = 2.0


@dataclass(frozen=True)
class BudgetCheck:
    """One candidate against the budget: ``drop_pp`` and ``se_pp`` in percentage points, ``within``."""

    drop_pp: float
    se_pp: float
    within: bool


class AccuracyBudget:
    """The budget of a search (see the module docstring).

    Parameters
    ----------
    dense : Metrics
        Validation metrics of the dense model (fine-tuned like every candidate).
    drop_pp : float
        ``D``, in percentage points.
    margin_se : float
        ``Z``, in standard errors.
    """

    def __init__(self, dense, drop_pp: float, margin_se: float = DEFAULT_MARGIN_SE):
        self.dense = dense
        self.drop_pp = float(drop_pp)
        self.margin_se = float(margin_se)

    @property
    def paired(self) -> bool:
        """True when per-sample correctness is available (the margin applies)."""
        return self.dense.correct is not None

    def check(self, metrics) -> BudgetCheck:
        """Whether ``metrics`` (validation) stays within the budget."""
        d, c = self.dense.correct, metrics.correct
        if d is None or c is None or len(d) != len(c) or len(d) == 0:
            drop = self.dense.accuracy - metrics.accuracy
            return BudgetCheck(100.0 * drop, 0.0, drop <= self.drop_pp / 100.0 + 1e-12)
        n = len(d)
        b = int(np.count_nonzero(d & ~c))
        g = int(np.count_nonzero(~d & c))
        drop = (b - g) / n
        var = max(0.0, (b + g) / n - drop * drop)
        se = math.sqrt(var / n)
        return BudgetCheck(100.0 * drop, 100.0 * se, drop + self.margin_se * se <= self.drop_pp / 100.0 + 1e-12)
