# SPDX-License-Identifier: MIT

"""Which core ``import aiologic`` selects, and what the import loads.

Each case runs in a fresh interpreter (selection happens once per process,
at import) with the environment variables under test and nothing else of
the selection inherited from this process.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import support

CPYTHON = sys.implementation.name == "cpython"

_SELECTION_VARS = ("AIOLOGIC_NO_EXTENSIONS", "AIOLOGIC_REQUIRE_EXTENSIONS")

# Prints what the import selected and which concurrency libraries it
# loaded (sniffio is not one: aiologic.lowlevel shares its thread-local when
# it is installed). ``hide_core`` makes the compiled core unimportable for
# this process only (a None entry in sys.modules stops the import system),
# as if it had not been built.
_PROBE = """
import json, sys
if {hide_core!r}:
    sys.modules["aiologic._aiologic_core"] = None
try:
    import aiologic
    import aiologic.lowlevel
except ImportError as exc:
    print(json.dumps({{"error": type(exc).__name__, "message": str(exc)}}))
    raise SystemExit(0)
print(json.dumps({{
    "implementation": aiologic._impl.IMPLEMENTATION,
    "lowlevel": aiologic.lowlevel.IMPLEMENTATION,
    "extension_loaded": sys.modules.get("aiologic._aiologic_core")
    is not None,
    "libraries": sorted(
        name
        for name in (
            "anyio", "asyncio", "curio", "eventlet", "gevent", "greenlet",
            "trio",
        )
        if name in sys.modules
    ),
}}))
"""


def probe(hide_core=False, **variables):
    """Import aiologic in a subprocess with exactly these selection
    variables set; return what it reported."""
    env = support.subprocess_env()
    for key in _SELECTION_VARS:
        env.pop(key, None)
    env.update(variables)
    proc = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-c",
            _PROBE.format(hide_core=hide_core),
        ],
        env=env,
        cwd=support.SUBPROCESS_CWD,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def assert_selected(report, implementation):
    assert "error" not in report, report
    assert report["implementation"] == implementation, report
    # aiologic.lowlevel tells the same
    assert report["lowlevel"] == implementation, report
    assert report["extension_loaded"] is (implementation == "cython"), report


@pytest.mark.cython
def test_default_prefers_compiled_core():
    assert_selected(probe(), "cython")


@pytest.mark.cython
def test_empty_variables_count_as_unset():
    report = probe(AIOLOGIC_NO_EXTENSIONS="", AIOLOGIC_REQUIRE_EXTENSIONS="1")
    assert_selected(report, "cython")


@pytest.mark.cython
def test_require_extensions_with_core():
    assert_selected(probe(AIOLOGIC_REQUIRE_EXTENSIONS="1"), "cython")


def test_no_extensions_selects_pure_core():
    # and never loads the compiled core
    assert_selected(probe(AIOLOGIC_NO_EXTENSIONS="1"), "python")


def test_no_extensions_wins_over_require_extensions():
    report = probe(AIOLOGIC_NO_EXTENSIONS="1", AIOLOGIC_REQUIRE_EXTENSIONS="1")
    assert_selected(report, "python")


def test_missing_core_falls_back_to_pure_core():
    assert_selected(probe(hide_core=True), "python")


def test_require_extensions_without_core():
    report = probe(hide_core=True, AIOLOGIC_REQUIRE_EXTENSIONS="1")
    if CPYTHON:
        # the probe caught an ImportError (ModuleNotFoundError here)
        assert "error" in report, report
        assert "aiologic._aiologic_core" in report["message"], report
    else:
        # by design: other interpreters always use the pure core
        assert_selected(report, "python")


@pytest.mark.parametrize(
    "core",
    [
        pytest.param("cython", marks=pytest.mark.cython),
        pytest.param("python", marks=pytest.mark.python),
    ],
)
def test_import_loads_no_library(core):
    variables = (
        {"AIOLOGIC_REQUIRE_EXTENSIONS": "1"}
        if core == "cython"
        else {"AIOLOGIC_NO_EXTENSIONS": "1"}
    )
    report = probe(**variables)
    assert_selected(report, core)
    assert report["libraries"] == [], report


# What runs in a fresh interpreter: aiologic first, the library after it,
# as an application that imports a library lazily does. Prints the owner
# of a lock taken in that library and whether taking a free semaphore
# passed a checkpoint (a cancelled scope is delivered there).
_LATE_IMPORT = {
    "trio": """
import json
import aiologic
import trio

async def main():
    lock = aiologic.Lock()
    async with lock:
        owner = lock.owner[0]
    with trio.CancelScope() as scope:
        scope.cancel()
        async with aiologic.Semaphore():
            pass
    return owner, scope.cancelled_caught

owner, checkpointed = trio.run(main)
print(json.dumps({"owner": owner, "checkpointed": checkpointed}))
""",
    "gevent": """
import json
import aiologic
import gevent

def take():
    lock = aiologic.Lock()
    with lock:
        return lock.owner[0]

owner = gevent.spawn(take).get()
print(json.dumps({"owner": owner, "checkpointed": None}))
""",
}


@pytest.mark.parametrize(
    ("library", "expected"),
    [
        ("trio", {"owner": "trio", "checkpointed": True}),
        ("gevent", {"owner": "gevent", "checkpointed": None}),
    ],
)
def test_library_imported_after_aiologic(impl, library, expected):
    """A library imported after aiologic is noticed at once: tasks are
    told apart and checkpoints pass, on both cores (the compiled one
    watches sys.modules from CPython 3.12 on)."""
    support.require(library)
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", _LATE_IMPORT[library]],
        env=support.subprocess_env(),
        cwd=support.SUBPROCESS_CWD,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == expected
