"""Design-review reports: :func:`compare` runs a comparison, :class:`ComparisonResult` writes the report.

Terminal tables (:func:`format_table`) live here too.
"""

from accelsim.report.api import compare
from accelsim.report.result import ComparisonResult
from accelsim.report.text_table import format_table, human_bits, human_count

__all__ = ["compare", "ComparisonResult", "format_table", "human_bits", "human_count"]
