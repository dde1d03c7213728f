# SPDX-License-Identifier: MIT
#
#   make test   run the test suite against the installed package
#   make demo   run the examples (and the quick benchmark, when present)
#   make clean  remove the virtual environment and build output
#
# Both `test` and `demo` create $(VENV) with $(PYTHON) when it is missing and
# (re)install the package into it, non-editable, with its test extras, so
# what runs is what a user would install. Another interpreter:
#   make test PYTHON=pypy3 VENV=.venv-pypy

PYTHON ?= python3
VENV ?= .venv
PYTEST_ARGS ?=

VENV_PYTHON := $(VENV)/bin/python

.PHONY: test demo install clean

test: install
	AIOLOGIC_TEST_INSTALLED=1 $(VENV)/bin/pytest $(PYTEST_ARGS)

demo: install
	$(VENV_PYTHON) examples/founding.py
	$(VENV_PYTHON) examples/mixed_worlds.py
	if test -f benchmarks/quick.py; then \
		$(VENV_PYTHON) benchmarks/quick.py; fi

# Reinstalled on every run so that edits are tested. Stale files in
# build/lib would otherwise end up in the wheel.
install: $(VENV_PYTHON)
	rm -rf build/lib build/lib.*
	$(VENV_PYTHON) -m pip install --quiet --disable-pip-version-check ".[test]"

$(VENV_PYTHON):
	$(PYTHON) -m venv $(VENV)

clean:
	rm -rf $(VENV) build dist *.egg-info
	find . \( -path ./.git -o -path './.venv*' \) -prune \
		-o -name __pycache__ -type d -prune -exec rm -rf {} +
