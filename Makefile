# SPDX-License-Identifier: MIT
#
#   make test   run the test suite against the installed package, on both
#               cores (compiled and pure Python; PyPy: pure only)
#   make demo   run the examples (and the quick benchmark, when present)
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
#   REQUIRE_EXTENSIONS  1 (default): the compiled core must build, else the
#                build fails; empty: fall back to a pure-Python wheel. Other
#                interpreters than CPython always build the pure wheel.
#
# Examples:
#   make test PYTHON=pypy3 VENV=.venv-pypy
#   make test PYTEST_ARGS="--no-extensions tests/test_locks.py"

PYTHON ?= python3
VENV ?= .venv
EXTRAS ?= test
TEST_DEPS ?=
PYTEST_ARGS ?=
REQUIRE_EXTENSIONS ?= 1

VENV_PYTHON := $(VENV)/bin/python
WHEELHOUSE := $(VENV)/wheelhouse
PIP := $(VENV_PYTHON) -m pip --disable-pip-version-check

.PHONY: test demo install wheel clean

# pytest, not `python -m pytest`: that would put the checkout (and its
# aiologic/) first on sys.path
test: install
	AIOLOGIC_TEST_INSTALLED=1 $(VENV)/bin/pytest $(PYTEST_ARGS)

demo: install
	$(VENV_PYTHON) examples/founding.py
	$(VENV_PYTHON) examples/mixed_worlds.py
	if test -f benchmarks/quick.py; then \
		$(VENV_PYTHON) benchmarks/quick.py; fi

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

clean:
	rm -rf $(VENV) .venv .venv-* build dist *.egg-info \
		_aiologic_core/*.c _aiologic_core/*.html
	find . \( -path ./.git -o -path './.venv*' \) -prune \
		-o -name __pycache__ -type d -prune -exec rm -rf {} +
