# SPDX-License-Identifier: MIT

"""Sphinx configuration of the aiologic documentation."""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import sys

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent

# Document the checkout, on the pure-Python core: with the compiled core,
# the public classes would inherit their fast paths from compiled types,
# whose signatures and docstrings are thinner. Set before aiologic is
# imported, since the core is chosen once per process.
os.environ["AIOLOGIC_NO_EXTENSIONS"] = "1"
os.environ.pop("AIOLOGIC_REQUIRE_EXTENSIONS", None)
sys.path.insert(0, str(ROOT))

import aiologic  # noqa: E402 - after the core is chosen above

_VERSION_FILE = (ROOT / "aiologic" / "_version.py").read_text("utf-8")
release = re.search(r'__version__ = "([^"]+)"', _VERSION_FILE).group(1)
version = ".".join(release.split(".")[:2])

project = "aiologic"
author = "the aiologic authors"
copyright = "the aiologic authors, MIT License"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]

exclude_patterns = ["_build", "_generated", "examples", "Thumbs.db"]
templates_path = []
html_static_path = ["_static"]
html_theme = "alabaster"
html_title = f"aiologic {release}"
html_theme_options = {
    "description": (
        "Synchronization primitives for threads, greenlets and event loops"
        " at once"
    ),
    "fixed_sidebar": True,
}

# `Name` in docstrings and pages links to the object when it is documented
default_role = "py:obj"
pygments_style = "sphinx"
highlight_language = "python3"

autodoc_default_options = {
    "members": True,
    # the public methods may live in the core classes: show them, but not
    # what comes from object, Generic or the exception classes
    "inherited-members": "object,Generic,BaseException",
}
autodoc_member_order = "groupwise"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
napoleon_google_docstring = True
napoleon_numpy_docstring = False


def _public_bases(app, name, obj, options, bases):
    """Show only the public bases (not the core classes nor Generic)."""
    bases[:] = [
        base
        for base in obj.__bases__
        if getattr(aiologic, base.__name__, None) is base
        or (base.__module__ == "builtins" and base is not object)
    ]


# The benchmark chart and table are produced by `make bench` into
# benchmarks/results/ and may be missing: the performance page includes
# _generated/benchmarks.inc, written here with what exists.
_RESULTS = ROOT / "benchmarks" / "results"
_GENERATED = DOCS / "_generated"


def _benchmark_results(app):
    _GENERATED.mkdir(exist_ok=True)
    for stale in _GENERATED.glob("cpython-*"):
        stale.unlink()  # copied by an earlier build: maybe gone since
    lines = []
    chart = _RESULTS / "cpython-3.11.png"
    table = _RESULTS / "cpython-3.11.md"
    if chart.is_file():
        shutil.copyfile(chart, _GENERATED / chart.name)
        lines += [
            f".. image:: /_generated/{chart.name}",
            "   :alt: benchmark chart, CPython 3.11",
            "   :width: 100%",
            "",
        ]
    if table.is_file():
        shutil.copyfile(table, _GENERATED / table.name)
        lines += [
            f"The table behind it (``benchmarks/results/{table.name}``):",
            "",
            f".. literalinclude:: /_generated/{table.name}",
            "   :language: text",
            "",
        ]
    if not lines:
        lines = [
            ".. note::",
            "",
            (
                "   This build found no recorded results in"
                " ``benchmarks/results/``: run ``make bench`` and build the"
                " documentation again to show the chart here."
            ),
            "",
        ]
    text = "\n".join(lines)
    target = _GENERATED / "benchmarks.inc"
    # rewrite only on change, so that incremental builds stay incremental
    if not target.is_file() or target.read_text("utf-8") != text:
        target.write_text(text, "utf-8")


def setup(app):
    app.connect("autodoc-process-bases", _public_bases)
    app.connect("builder-inited", _benchmark_results)
    return {"parallel_read_safe": True}
