"""Reports: terminal tables now; markdown/HTML/plots for design reviews."""

from accelsim.report.text_table import format_table, human_bits, human_count

__all__ = ["format_table", "human_bits", "human_count"]
