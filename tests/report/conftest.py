"""A 42-configuration comparison shared by the plot, table and browser tests (built once per worker).

Tests that use it carry ``pytest.mark.xdist_group("review42")`` so that, with
``--dist loadgroup`` (``make test``), one worker builds it for all of them.
"""

import pytest

import accelsim
from accelsim.bundled_data import bundled_dir

ARCHS_42 = ["dense-ws-32x32", "nm24-ws-32x32", "unstructured-os-32x32", "block4x4-ws-32x32"]
PRUNES_42 = ["nm:2:4", "unstructured:0.8", "block:4x4:0.5:pad"]
FORMATS_42 = ["csr", "bitmap", "bsr:4x4", "nm:2:4"]


@pytest.fixture(scope="session")
def review42():
    """``accelsim.compare`` of tiny-cnn: 4 archs x WS/OS/IS x 3 prunes x 4 formats = 42 configurations run."""
    result = accelsim.compare("tiny-cnn", ARCHS_42, dataflows="all", prunes=PRUNES_42, formats=FORMATS_42)
    assert len(result.configs) == 42
    return result


@pytest.fixture(scope="session")
def review42_dir(review42, tmp_path_factory):
    """The written report of :func:`review42`."""
    out = tmp_path_factory.mktemp("review42") / "report"
    review42.write_report(out)
    return out


#: Names that are markup or matplotlib math if not treated as text.
HOSTILE_ARCH = "$\\undefinedcmd$ <img src=x onerror=window.accelsimPwned=1>"
HOSTILE_WORKLOAD = "<b class=pwn>net</b> $x^$"
HOSTILE_LAYERS = ("$\\undefinedcmd$", "<script>window.accelsimPwned=1</script>|pipe")


def hostile_inputs():
    """A workload and two archs whose names are markup and math."""
    import yaml

    from accelsim.spec import arch_from_dict
    from accelsim.workload import Workload, linear_layer
    from accelsim.workload.loaders import with_synthetic_weights

    data = yaml.safe_load((bundled_dir() / "arch" / "nm24-ws-32x32.yaml").read_text())
    data["name"] = HOSTILE_ARCH
    hostile = arch_from_dict(data)
    layers = [linear_layer(HOSTILE_LAYERS[0], in_features=64, out_features=32, tokens=16),
              linear_layer(HOSTILE_LAYERS[1], in_features=32, out_features=16, tokens=16)]
    workload = with_synthetic_weights(Workload(HOSTILE_WORKLOAD, layers), 0)
    return workload, [hostile, "dense-ws-32x32"]


@pytest.fixture(scope="session")
def hostile_report(tmp_path_factory):
    """The written report of a comparison whose names are markup and math."""
    workload, archs = hostile_inputs()
    result = accelsim.compare(workload, archs, prunes=["nm:2:4"])
    out = tmp_path_factory.mktemp("hostile") / "report"
    result.write_report(out)
    return out
