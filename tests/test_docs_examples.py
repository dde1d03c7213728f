# SPDX-License-Identifier: MIT

"""The examples of the documentation (``docs/examples/*.py``) run.

Each example is a standalone script that checks its own results with
``assert``: it runs in a subprocess, on each core, with warnings as errors
and a timeout, and must exit with status 0. An example whose file name ends
with the name of a library (``_trio``, ``_gevent``, ...) needs it and skips,
saying so, when it cannot be imported.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest
import support

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "docs" / "examples"

# file-name suffix -> the library the example needs (threading and asyncio
# are always there)
_NEEDS = {
    "trio": "trio",
    "gevent": "gevent",
    "eventlet": "eventlet",
    "anyio": "anyio",
}


def _examples():
    return sorted(EXAMPLES.glob("*.py"))


def test_examples_exist():
    names = {path.stem for path in _examples()}
    families = (
        "locks",
        "semaphores",
        "events",
        "barriers",
        "conditions",
        "queues",
        "lowlevel",
    )
    libraries = ("threads", "asyncio", "trio", "gevent")
    missing = {
        f"{family}_{library}"
        for family in families
        for library in libraries
        if f"{family}_{library}" not in names
    }
    assert not missing, sorted(missing)


@pytest.mark.parametrize(
    "example", _examples(), ids=[path.stem for path in _examples()]
)
def test_example_runs(impl, example):
    needed = _NEEDS.get(example.stem.rpartition("_")[2])
    if needed is not None:
        support.require(needed)
    proc = subprocess.run(
        [sys.executable, "-W", "error", str(example)],
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
        env=support.subprocess_env(),
        cwd=str(EXAMPLES),
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert proc.stdout.strip(), "the example printed nothing"
