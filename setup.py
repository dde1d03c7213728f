# SPDX-License-Identifier: MIT

"""Build logic; all metadata lives in pyproject.toml.

The compiled core (Cython, in ``_aiologic_core/``) is optional and is
chosen by environment variables (a non-empty value means "set"):

- ``AIOLOGIC_NO_EXTENSIONS``, or an interpreter other than CPython:
  pure-Python install;
- ``AIOLOGIC_REQUIRE_EXTENSIONS`` or ``CIBUILDWHEEL=1``: the compiled core
  must be built, or the build fails;
- otherwise the compiled core is built when possible, and the install falls
  back to pure Python, saying so.

This source tree has no compiled core yet, so every install is pure Python.
"""

from __future__ import annotations

import os
import sys

from setuptools import setup

NO_EXTENSIONS = (
    bool(os.environ.get("AIOLOGIC_NO_EXTENSIONS"))
    or sys.implementation.name != "cpython"
)
REQUIRE_EXTENSIONS = (
    bool(os.environ.get("AIOLOGIC_REQUIRE_EXTENSIONS"))
    or os.environ.get("CIBUILDWHEEL") == "1"
)


def ext_modules() -> list:
    """Return the extension modules to build (none, in a pure install)."""
    if NO_EXTENSIONS:
        print(
            "aiologic: pure-Python install (AIOLOGIC_NO_EXTENSIONS is set"
            " or the interpreter is not CPython)",
            file=sys.stderr,
        )
        return []
    # The compiled core is declared here once _aiologic_core/ exists:
    # cythonize() its sources into Extension(..., optional=not
    # REQUIRE_EXTENSIONS), and print a pure-Python banner if it fails.
    if REQUIRE_EXTENSIONS:
        sys.exit(
            "aiologic: AIOLOGIC_REQUIRE_EXTENSIONS is set, but this source"
            " tree has no compiled core to build"
        )
    print(
        "aiologic: pure-Python install (this source tree has no compiled"
        " core)",
        file=sys.stderr,
    )
    return []


setup(ext_modules=ext_modules())
