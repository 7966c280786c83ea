"""Inputs shared by the report tests: names that are markup and math if not treated as text."""

import yaml

from accelsim.bundled_data import bundled_dir

__all__ = ["HOSTILE_ARCH", "HOSTILE_WORKLOAD", "HOSTILE_LAYERS", "hostile_inputs"]

HOSTILE_ARCH = "$\\undefinedcmd$ <img src=x onerror=window.accelsimPwned=1>"
HOSTILE_WORKLOAD = "<b class=pwn>net</b> $x^$"
HOSTILE_LAYERS = ("$\\undefinedcmd$", "<script>window.accelsimPwned=1</script>|pipe")


def hostile_inputs():
    """A workload and two archs (one bundled) whose names are markup and math."""
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
