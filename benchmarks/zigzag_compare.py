"""ZigZag (LOMA mapper) beside accelsim's mapper on ResNet-18's conv layers: DRAM traffic and energy.

Usage::

    python benchmarks/zigzag_compare.py [--layers N] [--objective edp|energy|latency]

ZigZag (PyPI ``zigzag-dse``) runs in its own venv, as SCALE-Sim does:
``python3 -m venv .venv-zigzag && .venv-zigzag/bin/pip install zigzag-dse six``
(or set ``ACCELSIM_ZIGZAG_PYTHON``). Without it the script says so and
prints accelsim's side only.

The hardware given to ZigZag is the closest it can express to the bundled
``dense-ws-32x32``: a 32x32 MAC array (``K`` unrolled over one dimension and
``C`` over the other), a weight register and an output register per PE at no
cost, separate weight (256 KiB), input (256 KiB) and output (128 KiB) SRAMs
and DRAM, with accelsim's per-bit energies (horowitz45: SRAM 1.0625 /
0.8125 pJ per bit at these sizes, DRAM 30.47 pJ per bit, 0.3 pJ per MAC)
turned into per-word costs for ZigZag's word widths (256, 256, 1024 and 128
bits; the DRAM port is 128 bits = 16 B/cycle). ZigZag runs its bundled
``resnet18.onnx``; its conv layers are matched to accelsim's ResNet-18 by
order and checked by shape.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_WORKER = r'''
import json, os, sys, glob, logging
import yaml
import zigzag
from zigzag.api import get_hardware_performance_zigzag

cfg = json.loads(sys.argv[1])
work = sys.argv[2]
logging.disable(logging.WARNING)

def port(name, typ, bw, allocs):
    return {"name": name, "type": typ, "bandwidth_min": bw, "bandwidth_max": bw, "allocation": allocs}

def mem(size, cost, ops, ports, served):
    return {"size": size, "r_cost": cost, "w_cost": cost, "area": 0, "latency": 1, "operands": ops,
            "ports": ports, "served_dimensions": served}

w_word, i_word, o_word, d_word = 256, 256, 1024, cfg["dram_bits_per_cycle"]
hw = {"name": "accelsim_like", "memories": {
    "w_reg": mem(8, 0.0, ["I2"], [port("r_port_1", "read", 8, ["I2, tl"]),
                                  port("w_port_1", "write", 8, ["I2, fh"])], []),
    "o_reg": mem(32, 0.0, ["O"], [port("r_port_1", "read", 32, ["O, tl", "O, th"]),
                                  port("w_port_1", "write", 32, ["O, fh", "O, fl"])], []),
    "weight_sram": mem(cfg["weight_bits"], cfg["weight_sram_pj_per_bit"] * w_word, ["I2"],
                       [port("r_port_1", "read", w_word, ["I2, tl"]),
                        port("w_port_1", "write", w_word, ["I2, fh"])], ["D1", "D2"]),
    "input_sram": mem(cfg["input_bits"], cfg["input_sram_pj_per_bit"] * i_word, ["I1"],
                      [port("r_port_1", "read", i_word, ["I1, tl"]),
                       port("w_port_1", "write", i_word, ["I1, fh"])], ["D1", "D2"]),
    "output_sram": mem(cfg["output_bits"], cfg["output_sram_pj_per_bit"] * o_word, ["O"],
                       [port("r_port_1", "read", o_word, ["O, tl", "O, th"]),
                        port("w_port_1", "write", o_word, ["O, fh", "O, fl"])], ["D1", "D2"]),
    "dram": mem(10 ** 12, cfg["dram_pj_per_bit"] * d_word, ["I1", "I2", "O"],
                [port("rw_port_1", "read_write", d_word,
                      ["I1, fh", "I1, tl", "I2, fh", "I2, tl", "O, fh", "O, tl", "O, fl", "O, th"])],
                ["D1", "D2"]),
}, "operational_array": {"unit_energy": cfg["mac_pj"], "unit_area": 1, "dimensions": ["D1", "D2"],
                         "sizes": [cfg["rows"], cfg["cols"]]}}
mapping = [{"name": "default", "spatial_mapping": {"D1": ["K, %d" % cfg["cols"]], "D2": ["C, %d" % cfg["rows"]]},
            "memory_operand_links": {"O": "O", "W": "I2", "I": "I1"}}]
with open(os.path.join(work, "hw.yaml"), "w") as f:
    yaml.safe_dump(hw, f, sort_keys=False)
with open(os.path.join(work, "map.yaml"), "w") as f:
    yaml.safe_dump(mapping, f, sort_keys=False)
onnx = os.path.join(os.path.dirname(zigzag.__file__), "inputs", "workload", "resnet18.onnx")
out = os.path.join(work, "out")
get_hardware_performance_zigzag(onnx, os.path.join(work, "hw.yaml"), os.path.join(work, "map.yaml"),
                                opt=cfg["objective"], dump_folder=out, loma_show_progress_bar=False)
rows = []
for path in glob.glob(os.path.join(out, "*_complete.json")):
    d = json.load(open(path))
    layer = d["inputs"]["layer"]
    if layer["type"] != "Conv":
        continue
    acc = d["outputs"]["memory"]["word_accesses"]
    dram = {op: acc[op][-1] for op in ("W", "I", "O")}
    rows.append({
        "name": layer["name"], "dims": layer["loop_dimensions"],
        "energy_pj": d["outputs"]["energy"]["energy_total"],
        "latency": sum(d["outputs"]["latency"].values()),
        "dram_bytes": {op: (a["rd_out_to_low"] + a["wr_in_by_low"] + a["rd_out_to_high"]
                            + a["wr_in_by_high"]) * d_word // 8 for op, a in dram.items()},
    })
print(json.dumps(rows))
'''


def _zigzag_python() -> str | None:
    explicit = os.environ.get("ACCELSIM_ZIGZAG_PYTHON")
    if explicit:
        return explicit
    local = ROOT / ".venv-zigzag" / "bin" / "python"
    return str(local) if local.exists() else None


def _order_key(name: str) -> tuple:
    """ONNX node names like ``/layer2/layer2.0/conv1/Conv`` in network order."""
    parts = name.strip("/").split("/")
    if parts[0] == "conv1":
        return (0,)
    block = parts[1] if len(parts) > 2 else parts[0]
    stage, index = block.replace("layer", "").split(".")
    kind = parts[2] if len(parts) > 3 else parts[-2]
    rank = {"conv1": 0, "conv2": 1, "downsample": 2}.get(kind.split(".")[0], 3)
    return (int(stage), int(index), rank)


def run_zigzag(arch, objective: str) -> list | None:
    python = _zigzag_python()
    if python is None:
        return None
    from accelsim.energy import per_event_energies_pj

    prices = per_event_energies_pj(arch)
    cfg = {"rows": arch.array.rows, "cols": arch.array.cols,
           "weight_bits": arch.buffers.weight_bytes * 8, "input_bits": arch.buffers.input_bytes * 8,
           "output_bits": arch.buffers.output_bytes * 8,
           "weight_sram_pj_per_bit": prices["weight_sram_read_bits"],
           "input_sram_pj_per_bit": prices["input_sram_read_bits"],
           "output_sram_pj_per_bit": prices["output_sram_read_bits"],
           "dram_pj_per_bit": prices["dram_read_bits"], "mac_pj": prices["macs"],
           "dram_bits_per_cycle": int(arch.dram_bandwidth_bytes_per_cycle * 8),
           "objective": {"edp": "EDP", "energy": "energy", "latency": "latency"}[objective]}
    with tempfile.TemporaryDirectory() as work:
        done = subprocess.run([python, "-c", _WORKER, json.dumps(cfg), work], capture_output=True,
                              text=True)
    if done.returncode != 0:
        print(done.stderr[-3000:])
        raise SystemExit("ZigZag failed")
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    return sorted(rows, key=lambda r: _order_key(r["name"]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=None, help="first N conv layers only (display)")
    parser.add_argument("--objective", default="edp", choices=["edp", "energy", "latency"])
    args = parser.parse_args(argv)

    from accelsim.sim import simulate
    from accelsim.spec import load_arch
    from accelsim.workload.loaders import load_workload

    arch = load_arch("dense-ws-32x32")
    workload = load_workload("resnet18", weights=False)
    convs = [layer for layer in workload.layers if layer.conv is not None]
    auto = {l.name: l for l in simulate(workload, arch, objective=args.objective).layers}
    fixed = {l.name: l for l in simulate(workload, arch, mapping="scalesim").layers}
    theirs = run_zigzag(arch, args.objective)
    if theirs is None:
        print("ZigZag is not installed; accelsim only. To compare, run:\n"
              "  python3 -m venv .venv-zigzag && .venv-zigzag/bin/pip install zigzag-dse six")
    elif len(theirs) != len(convs):
        raise SystemExit(f"ZigZag has {len(theirs)} conv layers, accelsim {len(convs)}")
    print(f"ResNet-18 conv layers on {arch.name} ({arch.dram_bandwidth_bytes_per_cycle:g} B/cycle), "
          f"objective {args.objective}; DRAM in KB, energy in uJ, latency in k cycles")
    print(f"{'layer':22} {'DRAM auto':>9} {'scalesim':>9} {'ZigZag':>9} {'compuls.':>9} | "
          f"{'E auto':>8} {'scalesim':>8} {'ZigZag':>8} | {'cyc auto':>8} {'ZigZag':>8}")
    totals = [0.0] * 8
    for i, layer in enumerate(convs[:args.layers]):
        a, s = auto[layer.name], fixed[layer.name]
        z = theirs[i] if theirs else None
        if z is not None:
            cp = layer.conv
            dims = z["dims"]
            if (dims["K"], dims["C"], dims["FX"], dims["OX"]) != (cp.out_channels, cp.in_channels,
                                                                  cp.kernel_w, cp.out_w):
                raise SystemExit(f"layer {layer.name} does not match ZigZag's {z['name']}: {dims}")
        z_dram = sum(z["dram_bytes"].values()) / 1e3 if z else float("nan")
        z_e = z["energy_pj"] / 1e6 if z else float("nan")
        z_c = z["latency"] / 1e3 if z else float("nan")
        row = [a.bytes["dram"]["total"] / 1e3, s.bytes["dram"]["total"] / 1e3, z_dram,
               a.compulsory_dram_bytes / 1e3, a.energy_pj["total"] / 1e6, s.energy_pj["total"] / 1e6, z_e,
               a.cycles / 1e3]
        totals = [t + v for t, v in zip(totals, row)]
        print(f"{layer.name:22} {row[0]:9.1f} {row[1]:9.1f} {row[2]:9.1f} {row[3]:9.1f} | "
              f"{row[4]:8.1f} {row[5]:8.1f} {row[6]:8.1f} | {row[7]:8.1f} {z_c:8.1f}")
    print(f"{'TOTAL':22} {totals[0]:9.1f} {totals[1]:9.1f} {totals[2]:9.1f} {totals[3]:9.1f} | "
          f"{totals[4]:8.1f} {totals[5]:8.1f} {totals[6]:8.1f} | {totals[7]:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
