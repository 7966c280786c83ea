"""Names are text, not math: a workload or sweep called ``$\\undefinedcmd$`` is plotted, not parsed."""

from tests.accelsim_cli import run

WORKLOAD = """\
name: '$\\undefinedcmd$ net'
layers:
  - {name: '$\\undefinedcmd$', type: linear, in_features: 64, out_features: 32, tokens: 4}
  - {name: 'a$b', type: linear, in_features: 32, out_features: 32, tokens: 4}
"""

SPEC = """\
name: '$\\undefinedcmd$ sweep'
workloads: ['w$\\undefinedcmd$.yaml']
prune: [none, "nm:2:4"]
arch: nm24-ws-32x32
dataflows: [ws, os]
space:
  array.rows: [8, 16]
"""


def test_sweep_report_plots_names_with_dollar_signs(tmp_path):
    (tmp_path / "w$\\undefinedcmd$.yaml").write_text(WORKLOAD)
    (tmp_path / "spec.yaml").write_text(SPEC)
    r = run("sweep", "spec.yaml", "--out", "sw", "--quiet", "--workers", "1", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    pngs = sorted((tmp_path / "sw" / "report").glob("*.png"))
    assert pngs and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
