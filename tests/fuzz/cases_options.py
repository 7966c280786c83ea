"""Bad command-line options of every subcommand, and sizes that must be refused before allocating."""

from __future__ import annotations


from tests.fuzz.fuzz_values import BASE_ARCH, Case, LONG_INT_TEXT, _dump, _tag


# ----------------------------------------------------------------------------- CLI options
SIM = ("simulate", "--workload", "tiny-cnn", "--arch", "dense-ws-32x32")
ENC = ("encode", "--workload", "tiny-cnn")
CMP = ("compare", "--workload", "tiny-cnn", "--arch", "dense-ws-32x32", "--out", "out", "--quiet")
RTL = ("rtl", "--arch", "nm24-ws-32x32")
VER = ("verify", "--arch", "nm24-ws-32x32", "--simulator", "amaranth")
COP = ("copruning", "--task", "digits", "--arch", "nm24-ws-32x32", "--out", "out", "--quiet")
SWP = ("sweep", "tiny-grid")

LONG_NAME = "x" * 300
LONG_PATH = "/".join(["d" * 200] * 30)
BAD_SCHEMES = ["", ":", "nm", "nm:2", "nm:²:4", "nm:٣:4", "nm:2:٤", "nm:4:2", "nm:2:4:x", "nm:0:4", "nm:2:17",
               "nm:99999999999999999999999:4", "unstructured", "unstructured:1", "unstructured:1.5",
               "unstructured:-0.1", "unstructured:nan", "unstructured:inf", "unstructured:٠.٥", "unstructured:0.5:x",
               "unstructured:150%", "block:4x4", "block:0x4:0.5", "block:٣x4:0.5", "block:100000000000x4:0.5",
               "block:4x4:2", "channel:0.5:l3", "channel:0.5:l1:l2", "kernel:x", "bogus:0.5", "2:", "²:4",
               "nm:2:4:" + "x" * 500]
BAD_FORMATS = ["", "nosuch", "csr:4", "bsr", "bsr:4", "bsr:٣x4", "bsr:4x²", "bsr:0x4", "bsr:100000x100000",
               "bsr:99999999999999999999x4", "nm:²:4", "nm:2:4:loose", "nm:5:4", "nm:2:99", "bsr:4x4x4", "dense:1",
               "bsr:-4x4", "bsr: 4x4"]
BAD_INTS = ["", "x", "1.5", "1e23", "-1", "٣", "²", "99999999999999999999999", LONG_INT_TEXT, "1_0", "0x10",
            "nan", " "]


def _option_cases() -> list[Case]:
    cases = []

    def add(group, base, option, values, fields_=None, extra=(), core_first=True):
        for j, value in enumerate(values):
            argv = (*base, option, value, *extra) if option else (*base, value, *extra)
            cases.append(Case(f"option/{group}/{_tag(value)}", argv, fields_ or (option,),
                              core=core_first and j == 0))

    # pruning schemes and formats everywhere they are accepted
    add("simulate-prune", SIM, "--prune", BAD_SCHEMES, ("--prune", "scheme", "nm", "unstructured", "block",
                                                        "channel", "kernel"))
    add("encode-prune", ENC, "--prune", BAD_SCHEMES[::3], ("--prune", "scheme", "nm", "unstructured", "block",
                                                           "channel", "kernel"))
    add("compare-prune", CMP, "--prune", ["", " "] + BAD_SCHEMES[4::4], ("--prune", "scheme", "nm", "unstructured",
                                                            "block", "channel", "kernel"))
    add("encode-format", ENC, "--format", BAD_FORMATS, ("--format", "format"))
    add("simulate-format", SIM, "--format", BAD_FORMATS[::2], ("--format", "format"))
    add("compare-formats", CMP, "--formats", BAD_FORMATS[::3] + [",", "csr,,", "csr,nosuch"],
        ("--formats", "format"))
    # integers
    add("encode-index-bits", ENC, "--index-bits", BAD_INTS + ["0", "65", "1000"], ("--index-bits",))
    add("encode-value-bits", ENC, "--value-bits", BAD_INTS + ["0", "65"], ("--value-bits",))
    for base, name in ((SIM, "simulate"), (ENC, "encode"), (CMP, "compare")):
        add(f"{name}-tokens", base, "--tokens", BAD_INTS + ["0", str(10 ** 18), str(2 ** 31)], ("--tokens",))
        add(f"{name}-seed", base, "--seed", BAD_INTS + [str(2 ** 64)], ("--seed",))
    add("verify-trials", VER, "--trials", BAD_INTS + ["0", str(10 ** 23), str(10 ** 9)], ("--trials",))
    add("verify-seed", VER, "--seed", BAD_INTS + [str(2 ** 64)], ("--seed",))
    add("sweep-workers", (*SWP, "--out", "out"), "--workers", BAD_INTS + ["0", str(10 ** 9)], ("--workers",))
    add("sweep-chunk", (*SWP, "--out", "out"), "--chunk-size", BAD_INTS + ["0"], ("--chunk-size",))
    add("copruning-seed", COP, "--seed", BAD_INTS[:6], ("--seed",))
    add("copruning-refine", COP, "--refine-steps", BAD_INTS[:6] + [str(10 ** 9)], ("--refine-steps",))
    add("copruning-pretrain", COP, "--pretrain-epochs", BAD_INTS[:6] + ["-5", str(10 ** 9)], ("--pretrain-epochs",))
    add("copruning-finetune", COP, "--finetune-epochs", BAD_INTS[:6] + [str(10 ** 9)], ("--finetune-epochs",))
    # reals
    bad_reals = ["", "x", "nan", "inf", "-inf", "٣", "1e400", "-1"]
    add("copruning-drop", COP, "--max-accuracy-drop", bad_reals + ["101"], ("--max-accuracy-drop",))
    add("copruning-energy", COP, "--target-energy", bad_reals + ["0"], ("--target-energy",))
    add("copruning-latency", COP, "--target-latency", bad_reals + ["0"], ("--target-latency",))
    add("copruning-margin", COP, "--margin-se", bad_reals, ("--margin-se",))
    add("copruning-folds", COP, "--confirm-folds", BAD_INTS[:6] + ["1", "9", str(10 ** 9)], ("--confirm-folds",))
    add("copruning-objective", COP, "--objective", ["", "speed", "ENERGYY", "1"], ("--objective", "objective"))
    add("copruning-task", ("copruning", "--arch", "nm24-ws-32x32", "--out", "out"), "--task",
        ["", "nosuch", "../digits", LONG_NAME], ("--task", "task"))
    # choices and names
    add("simulate-dataflow", SIM, "--dataflow", ["", "xs", "ws,os", "٣", "all"], ("--dataflow", "dataflow"))
    add("compare-dataflows", CMP, "--dataflows", ["", "xs", "ws,,os", "ws,xs", ",", "alll"],
        ("--dataflows", "dataflow"))
    add("simulate-activation", SIM, "--activation-sparsity",
        ["", "x", "assume:", "assume:x", "assume:1.5", "assume:-1", "assume:nan", "assume:٠.٥", "assume:inf"],
        ("--activation-sparsity", "activation"))
    add("compare-mapping", CMP, "--mapping", ["", "nosuch", "٣"], ("--mapping", "mapping"))
    add("simulate-mapping", SIM, "--mapping", ["", "nosuch", "auto:speed", "٣", "scalesim:edp:x"],
        ("--mapping", "mapping"))
    add("simulate-objective", SIM, "--objective", ["", "speed", "٣", "EDPP"], ("--objective", "objective"))
    add("simulate-workload", ("simulate", "--arch", "dense-ws-32x32"), "--workload",
        ["", "nosuch", "nosuch.yaml", "/etc", "/etc/passwd", "x.txt", LONG_NAME, LONG_NAME + ".yaml", LONG_PATH,
         "/proc/self/mem", "/dev/null"], ("--workload", "workload"))
    add("encode-workload", ("encode",), "--workload", ["", "nosuch", "/etc", LONG_NAME, "/dev/null"],
        ("--workload", "workload"))
    add("simulate-arch", ("simulate", "--workload", "tiny-cnn"), "--arch",
        ["", "nosuch", "/etc", "/etc/passwd", LONG_NAME, LONG_NAME + ".yaml", LONG_PATH, "/dev/null", "x.cfg"],
        ("--arch", "arch"))
    add("arch-file", ("arch",), None, ["", "nosuch", "/etc", "/etc/passwd", LONG_NAME, LONG_PATH, "/dev/null",
                                       "/proc/self/mem"], ("arch", "FILE"))
    add("rtl-arch", ("rtl", "--out", "out"), "--arch", ["", "nosuch", LONG_NAME, "/etc/passwd"], ("--arch", "arch"))
    add("verify-arch", ("verify",), "--arch", ["", "nosuch", LONG_NAME], ("--arch", "arch"))
    add("compare-arch", ("compare", "--workload", "tiny-cnn", "--out", "out"), "--arch",
        ["", "nosuch", LONG_NAME, "/etc/passwd"], ("--arch", "arch"))
    add("copruning-arch", ("copruning", "--task", "digits", "--out", "out"), "--arch", ["", "nosuch", LONG_NAME],
        ("--arch", "arch"))
    add("verify-top", VER, "--top", ["", "nosuch", "PE", " pe", LONG_NAME], ("--top", "top"))
    add("verify-verilog", VER, "--verilog", ["", "nosuch.v", "/etc", LONG_NAME], ("--verilog", "verilog", "Verilog"))
    add("verify-shape", VER, "--shape", ["", "0x4", "٣x4", "4x²", "100000x100000", "4", "fullx", "-4x4",
                                         "99999999999999999999x4"], ("--shape", "shape"))
    add("verify-layer", (*VER, "--workload", "tiny-cnn"), "--layer", ["", "nosuch", LONG_NAME],
        ("--layer", "layer"))
    add("verify-layer-prune", (*VER, "--workload", "tiny-cnn", "--layer", "conv1"), "--prune",
        ["nm:٣:4", "bogus", "nm:2:17"], ("--prune", "scheme", "nm"))
    add("verify-simulator", ("verify", "--arch", "nm24-ws-32x32"), "--simulator", ["", "iverilog", "AMARANTH"],
        ("--simulator",))
    add("simulate-topology", ("simulate", "--workload", "tiny-cnn", "--arch", "dense-ws-32x32"), "--topology",
        ["resnet18", "", LONG_NAME], ("--topology", "topology"))
    add("sweep-spec", ("sweep", "--check"), None, ["", "nosuch", "/etc", "/etc/passwd", LONG_NAME, LONG_PATH],
        ("spec", "sweep"))
    add("sweep-scheduler", (*SWP, "--out", "out"), "--scheduler", ["", "nosuch://x", "tcp://"],
        ("--scheduler", "scheduler"))
    # output paths, checked before any work
    outs = ["", "/proc/x.json", "/etc/passwd/x.json", "/etc", ".", LONG_NAME + ".json", LONG_PATH + "/x.json",
            "/dev/full/x", "/sys/x.json"]
    add("simulate-json", SIM, "--json", outs, ("--json",))
    add("encode-json", ENC, "--json", outs, ("--json",))
    dirs = ["", "/proc/out", "/etc/passwd", "/etc/passwd/sub", LONG_NAME, LONG_PATH, "/sys/out", "/dev/null"]
    add("compare-out", CMP[:-3], "--out", dirs, ("--out",), extra=("--quiet",))
    add("rtl-out", RTL, "--out", dirs, ("--out",))
    add("demo-out", ("demo", "--quick"), "--out", dirs, ("--out",))
    add("sweep-out", SWP, "--out", dirs, ("--out",), extra=("--quiet",))
    add("copruning-out", COP[:-3], "--out", dirs, ("--out",), extra=("--quiet",))
    add("sweep-export", ("sweep", "--export"), None, ["x.txt", "", LONG_NAME + ".csv"],
        ("--export", "export", "sweep folder", "sweep.sqlite"), extra=("nosuchdir",))
    # combinations the commands refuse
    cases.append(Case("option/sweep-no-out", SWP, ("--out",), core=True))
    cases.append(Case("option/sweep-export-and-report", ("sweep", "--export", "x.csv", "--report", "d"),
                      ("--export", "--report")))
    cases.append(Case("option/sweep-report-nosuch", ("sweep", "--report", "nosuchdir"), ("nosuchdir", "sweep")))
    cases.append(Case("option/simulate-dense-table-missing", (*SIM, "--energy-table", "nosuch"),
                      ("energy table", "--energy-table")))
    # unknown and missing options
    for base in (("arch", "x.yaml"), ENC, SIM, CMP, (*SWP, "--out", "out"), COP, (*RTL, "--out", "out"), VER,
                 ("demo",)):
        cases.append(Case(f"option/{base[0]}-unknown", (*base, "--bogus-option", "1"), ("--bogus-option",),
                          core=True))
    for argv, name in ((("simulate", "--workload", "tiny-cnn"), "--arch"), (("encode",), "--workload"),
                       (("compare", "--workload", "tiny-cnn", "--arch", "x"), "--out"), (("rtl", "--out", "o"), "--arch"),
                       (("verify",), "--arch"), (("copruning", "--arch", "x", "--out", "o"), "--task"), (("arch",), "FILE")):
        cases.append(Case(f"option/{argv[0]}-missing-{name.strip('-')}", argv, (name,)))
    return cases


# ----------------------------------------------------------------------------- limits: rtl/verify sizes
def _size_cases() -> list[Case]:
    cases = []
    for rows, cols in ((256, 256), (64, 64), (4096, 4096), (1, 4096)):
        arch = _dump({**BASE_ARCH, "array": {"rows": rows, "cols": cols}})
        cases.append(Case(f"size/rtl-{rows}x{cols}", ("rtl", "--arch", "arch.yaml", "--out", "out"),
                          ("array", "max_rtl_cells"), {"arch.yaml": arch}, core=rows == 256))
    cases.append(Case("size/verify-trials-1e9", (*VER, "--trials", str(10 ** 9)), ("--trials", "max_verify_trials")))
    big = _dump({**BASE_ARCH, "array": {"rows": 256, "cols": 256}})
    cases.append(Case("size/verify-shape-full-256x256", ("verify", "--arch", "arch.yaml", "--simulator", "amaranth",
                                                         "--shape", "full", "--trials", "1"),
                      ("max_verify_cells", "--shape", "shape"), {"arch.yaml": big}, core=True))
    cases.append(Case("size/limit-env-bad", SIM, ("ACCELSIM_LIMIT_MAX_LAYERS",),
                      env={"ACCELSIM_LIMIT_MAX_LAYERS": "lots"}, core=True))
    cases.append(Case("size/limit-env-low", SIM, ("max_layers",), env={"ACCELSIM_LIMIT_MAX_LAYERS": "2"}, core=True))
    return cases


