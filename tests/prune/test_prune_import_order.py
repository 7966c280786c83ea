"""``accelsim.prune`` is both the package and the function, in any import order.

Each case runs in a fresh interpreter, since the bug depended on what was
imported first.
"""

import subprocess
import sys

import pytest

SETUP = "import numpy as np\nw = np.arange(1.0, 9.0).reshape(2, 4)\n"
# The README's spelling, resolved without importing torch (the bug was the attribute lookup);
# README_VERBATIM also runs it on a torch module, once.
README = ("import accelsim\n"
          "f = accelsim.prune.apply_to_module\n"
          "assert callable(f) and f.__name__ == 'apply_to_module', f\n")
README_VERBATIM = ("import torch, accelsim\n"
                   "m = torch.nn.Linear(8, 4)\n"
                   "r = accelsim.prune.apply_to_module(m, 'nm:2:4')\n"
                   "assert r.layers[0].nonzeros == 16, r\n")
DOCSTRING = ("import accelsim\n"
             "out = accelsim.prune(w, 'nm:2:4')\n"
             "assert out.tolist() == [[0, 0, 3, 4], [0, 0, 7, 8]], out\n")
FIRST_IMPORTS = {
    "nothing": "",
    "prune_with_report": "from accelsim.prune import prune_with_report\n",
    "import_accelsim_prune": "import accelsim.prune\n",
    "from_accelsim_import_prune": "from accelsim import prune\n",
    "apply_to_module": "from accelsim.prune import apply_to_module\n",
}


# (first import, then the two spellings in this order), each in a fresh interpreter.
# tests/packaging/test_api_spellings.py covers the orders reached through `import accelsim`;
# these are the exact case (a `from accelsim.prune import ...` first) and the
# other import statements.
CASES = [
    ("prune_with_report", "docstring_then_readme"),   # was: 'module' object is not callable
    ("from_accelsim_import_prune", "docstring_then_readme"),
    ("apply_to_module", "readme_then_docstring"),
]


@pytest.mark.parametrize("first,order", CASES)
def test_both_spellings_in_a_fresh_interpreter(first, order):
    body = README + DOCSTRING if order == "readme_then_docstring" else DOCSTRING + README
    code = SETUP + FIRST_IMPORTS[first] + body + "print('ok')\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_readme_verbatim_after_the_docstring_spelling():
    code = SETUP + DOCSTRING + README_VERBATIM + "print('ok')\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_from_accelsim_import_prune_is_callable_and_has_the_package_api():
    code = ("import numpy as np\nfrom accelsim import prune\n"
            "assert prune(np.ones((1, 4)), 'nm:1:4').sum() == 1\n"
            "assert callable(prune.apply_to_module) and callable(prune.prune_with_report)\n"
            "assert prune.prune(np.ones((1, 4)), 'nm:1:4').sum() == 1\nprint('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
