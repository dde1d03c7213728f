# SPDX-License-Identifier: MIT
#
#   make test   run the test suite against the installed package, on both
#               cores (compiled and pure Python; PyPy: pure only)
#   make stress the stress runner (tests/stress/run.py) on both cores for
#               STRESS_SECONDS per primitive, then the million-cycle leak
#               loop (tests/support/leak_loop.py) on both cores
#   make demo   run the founding example, the other demo and a 10-second
#               comparison against threading.Lock and asyncio.Lock
#   make bench  the benchmark suite (benchmarks/bench.py): builds and
#               installs this project into $(BENCH_VENV), the peers
#               (aiologic 0.17.1, janus, culsans) into $(PEERS_VENV),
#               matplotlib into $(CHART_VENV); prints one table and writes
#               benchmarks/results/<interpreter>.{md,json,rst,png}
#   make docs   the documentation (Sphinx, warnings as errors) into
#               docs/_build/html (docs/build.sh; its own .venv-docs)
#   make style  the style gates: ruff, cython-lint, codespell (.ci/style)
#   make typing the typing gates: mypy --strict, basedpyright, stubtest of
#               the compiled core (.ci/typing)
#   make sanitizers  the race-heavy tests and the stress runner on the
#               compiled core built with AddressSanitizer (CPython 3.11)
#               and ThreadSanitizer (a free-threaded 3.13t built for it,
#               cached): .ci/sanitizers
#   make wheel  build the sdist and, from it, the wheel into
#               $(VENV)/wheelhouse
#   make clean  remove the virtual environments and build output
#
# `test` and `demo` create $(VENV) with $(PYTHON) when it is missing, build
# the package and (re)install its wheel into $(VENV), non-editable, with its
# test extras, so what runs is what a user would install.
#
# Knobs (make VAR=value):
#   PYTHON       interpreter for a new venv (default python3)
#   VENV         the virtual environment (default .venv)
#   EXTRAS       extras installed with the wheel (default test; empty: none)
#   TEST_DEPS    more requirements to install, e.g. where the test extra
#                cannot install (free-threaded CPython: no gevent)
#   PYTEST_ARGS  arguments for pytest, e.g. --no-extensions or a test file
#   STRESS_SECONDS  stress: seconds per primitive and core (default 5)
#   STRESS_ARGS  more arguments for tests/stress/run.py, e.g. "--seed 7
#                --only lock,queue"
#   REQUIRE_EXTENSIONS  1 (default): the compiled core must build, else the
#                build fails; empty: fall back to a pure-Python wheel. Other
#                interpreters than CPython always build the pure wheel.
#   QUICK        bench: 1 for a quick run (3 rounds, 1/20 of the sizes)
#   BENCH_ARGS   more arguments for benchmarks/bench.py, e.g.
#                "--only 'queue_*' --rounds 7"
#   BENCH_VENV   bench: venv of this project, one per interpreter (default
#                .venv-bench-<tag>, e.g. .venv-bench-cpython-3.11)
#   PEERS_VENV   bench: venv of the peers (default $(BENCH_VENV)-peers)
#   CHART_PYTHON bench: the interpreter of $(CHART_VENV) (default python3)
#
# Examples:
#   make test PYTHON=pypy3 VENV=.venv-pypy
#   make test PYTEST_ARGS="--no-extensions tests/test_locks.py"
#   make bench QUICK=1
#   make bench PYTHON=pypy3
#   make bench PYTHON=python3.13t

PYTHON ?= python3
VENV ?= .venv
EXTRAS ?= test
TEST_DEPS ?=
PYTEST_ARGS ?=
STRESS_SECONDS ?= 5
STRESS_ARGS ?=
REQUIRE_EXTENSIONS ?= 1
QUICK ?=
BENCH_ARGS ?=
CHART_PYTHON ?= python3

# cpython-3.11, cpython-3.13t, pypy-3.9: one bench venv per interpreter
BENCH_TAG = $(shell $(PYTHON) -c "import platform, sysconfig; \
	print(platform.python_implementation().lower() + '-' \
	+ '.'.join(platform.python_version_tuple()[:2]) \
	+ ('t' if sysconfig.get_config_var('Py_GIL_DISABLED') else ''))")
BENCH_VENV ?= .venv-bench-$(BENCH_TAG)
PEERS_VENV ?= $(BENCH_VENV)-peers
CHART_VENV ?= .venv-bench-chart
PEERS := aiologic==0.17.1 janus culsans trio

VENV_PYTHON := $(VENV)/bin/python
WHEELHOUSE := $(VENV)/wheelhouse
PIP := $(VENV_PYTHON) -m pip --disable-pip-version-check

.PHONY: test stress demo bench docs style typing sanitizers install wheel \
	clean

# pytest, not `python -m pytest`: that would put the checkout (and its
# aiologic/) first on sys.path
test: install
	AIOLOGIC_TEST_INSTALLED=1 $(VENV)/bin/pytest $(PYTEST_ARGS)

# the leak loop runs once per core: the second run forces the pure one
stress: install
	$(VENV_PYTHON) tests/stress/run.py --seconds $(STRESS_SECONDS) \
		$(STRESS_ARGS)
	$(VENV_PYTHON) tests/support/leak_loop.py --cycles 1000000
	AIOLOGIC_NO_EXTENSIONS=1 $(VENV_PYTHON) tests/support/leak_loop.py \
		--cycles 1000000

demo: install
	$(VENV_PYTHON) examples/founding.py
	$(VENV_PYTHON) examples/mixed_worlds.py
	$(VENV_PYTHON) benchmarks/quick.py

# This project's wheel is built and installed again only when a source
# changed since the last bench (the stamp); the peers and matplotlib are
# installed once per venv. bench.py skips the chart when $(CHART_VENV)
# has no matplotlib.
bench: $(BENCH_VENV)/.bench-installed $(PEERS_VENV)/.bench-installed
	test -f $(CHART_VENV)/.bench-installed \
		|| { $(CHART_PYTHON) -m venv $(CHART_VENV) \
		&& $(CHART_VENV)/bin/python -m pip install --quiet \
			--disable-pip-version-check matplotlib \
		&& touch $(CHART_VENV)/.bench-installed; } \
		|| echo "no matplotlib: the chart is skipped"
	$(BENCH_VENV)/bin/python benchmarks/bench.py \
		--peers $(PEERS_VENV)/bin/python \
		--chart-python $(CHART_VENV)/bin/python \
		$(if $(QUICK),--quick) $(BENCH_ARGS)

$(BENCH_VENV)/.bench-installed: setup.py pyproject.toml MANIFEST.in \
		$(wildcard aiologic/*.py aiologic/*.pyi aiologic/*/*.py \
		aiologic/*/*/*.py _aiologic_core/*.pyx _aiologic_core/*.pxd \
		_aiologic_core/*.pxi _aiologic_core/*.h)
	$(MAKE) install VENV=$(BENCH_VENV) EXTRAS=trio
	touch $@

$(PEERS_VENV)/.bench-installed:
	test -x $(PEERS_VENV)/bin/python || $(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/python -m pip install --quiet \
		--disable-pip-version-check $(PEERS)
	touch $@

# Rebuilt on every run so that edits are tested: an sdist first, then the
# wheel from that sdist, the way pip installs a release from PyPI (so a
# source missing from the sdist fails here). Stale egg-info and build/
# would leak old files into both. The build log is shown when the build
# fails; otherwise only its outcome and the pure-Python banner, if any.
wheel: $(VENV_PYTHON)
	rm -rf build *.egg-info $(WHEELHOUSE)
	mkdir -p $(WHEELHOUSE)
	$(PIP) install --quiet build
	AIOLOGIC_REQUIRE_EXTENSIONS=$(REQUIRE_EXTENSIONS) \
		$(VENV_PYTHON) -m build --outdir $(WHEELHOUSE) . \
		>$(WHEELHOUSE)/build.log 2>&1 \
		|| { tail -n 100 $(WHEELHOUSE)/build.log; exit 1; }
	grep -E "aiologic: pure-Python install|^Successfully built" \
		$(WHEELHOUSE)/build.log | awk '!seen[$$0]++'

# The same version is installed again: uninstall first so that pip does not
# keep the previous build.
install: wheel
	$(PIP) uninstall --quiet --yes aiologic
	$(PIP) install --quiet \
		"$$(ls $(WHEELHOUSE)/aiologic-*.whl)$(if $(EXTRAS),[$(EXTRAS)])" \
		$(TEST_DEPS)

$(VENV_PYTHON):
	$(PYTHON) -m venv $(VENV)

docs:
	bash docs/build.sh

style:
	bash .ci/style

typing:
	bash .ci/typing

sanitizers:
	bash .ci/sanitizers

clean:
	rm -rf $(VENV) .venv .venv-* build dist *.egg-info \
		_aiologic_core/*.c _aiologic_core/*.html \
		docs/_build docs/_generated
	find . \( -path ./.git -o -path './.venv*' \) -prune \
		-o -name __pycache__ -type d -prune -exec rm -rf {} +
