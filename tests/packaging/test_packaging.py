"""The package list in pyproject.toml matches the source tree, and a built wheel works on its own."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _pyproject():
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def _source_packages() -> set[str]:
    """Every folder with an ``__init__.py`` under accelsim/ and rtl/, as installed package names."""
    names = set()
    for root, prefix in ((REPO / "accelsim", "accelsim"), (REPO / "rtl", "accelsim.rtl")):
        for init in root.rglob("__init__.py"):
            rel = init.parent.relative_to(root)
            names.add(".".join([prefix, *rel.parts]) if rel.parts else prefix)
    return names


def test_every_source_package_is_listed_in_pyproject():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    missing = _source_packages() - listed
    assert not missing, f"add these packages to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"
    assert listed - _source_packages() == {"accelsim._bundled"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(out), str(REPO)], check=True, capture_output=True, text=True)
    (path,) = out.glob("accelsim-*.whl")
    return path


def test_wheel_claims_only_the_accelsim_name_and_ships_the_data(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"accelsim"}
    for data in ("accelsim/_bundled/resnet18.yaml", "accelsim/_bundled/arch/nm24-ws-32x32.yaml",
                 "accelsim/_bundled/scalesim/example_conv.csv", "accelsim/rtl/export.py",
                 "accelsim/energy/tables/horowitz45.yaml"):
        assert data in names, data


@pytest.mark.slow
def test_wheel_installed_in_a_fresh_venv_runs_from_another_directory(wheel, tmp_path):
    """Non-editable install: bundled workloads and archs are found, ``accelsim.rtl`` imports, no ``rtl``."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # Only accelsim comes from the wheel; its dependencies are borrowed from the test venv
    # (a path in a .pth file: that folder's own .pth files, e.g. the editable finder, are not run).
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True, text=True)
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ACCELSIM_WORKLOADS_DIR")}
    code = ("import accelsim, accelsim.rtl, importlib.util; "
            "assert importlib.util.find_spec('rtl') is None, 'a top-level rtl package is installed'; "
            "print(accelsim.__file__)")
    r = subprocess.run([str(py), "-c", code], cwd=workdir, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert str(site) in r.stdout, f"accelsim was imported from {r.stdout.strip()}, not from the wheel"
    cli = [str(venv / "bin" / "accelsim"), "simulate", "--workload", "resnet18", "--arch", "nm24-ws-32x32",
           "--prune", "nm:2:4"]
    r = subprocess.run(cli, cwd=workdir, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "TOTAL" in r.stdout and "nm:2:4" in r.stdout
    r = subprocess.run([str(py), "-c", "from accelsim.workload.bundled import bundled_names; "
                        "print(' '.join(bundled_names()))"], cwd=workdir, env=env, capture_output=True, text=True)
    assert {"resnet18", "resnet50", "bert-base"} <= set(r.stdout.split()), r.stdout + r.stderr
