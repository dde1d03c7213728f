#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Build the HTML documentation into docs/_build/html, warnings as errors.
# Creates the virtual environment .venv-docs (with PYTHON, default python3)
# when it is missing and installs docs/requirements.txt into it. The
# package is documented from the checkout, on its pure-Python core
# (docs/conf.py sets AIOLOGIC_NO_EXTENSIONS=1), so nothing is compiled.
#
#   bash docs/build.sh            build (incrementally)
#   bash docs/build.sh -E         extra arguments go to sphinx-build

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
VENV=${DOCS_VENV:-.venv-docs}
REQUIREMENTS=docs/requirements.txt

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
# reinstall only when the requirements changed
stamp="$VENV/.docs-requirements"
if ! cmp -s "$REQUIREMENTS" "$stamp"; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$REQUIREMENTS"
    cp "$REQUIREMENTS" "$stamp"
fi

exec "$VENV/bin/python" -m sphinx -W --keep-going -b html "$@" \
    docs docs/_build/html
