# SPDX-License-Identifier: MIT

"""Fixtures shared by the whole suite.

- ``impl``: the aiologic implementation under test. Params are the entries of
  ``IMPLEMENTATIONS``: ``cython`` (marker ``cython``, the compiled core) and
  ``python`` (marker ``python``, the pure-Python core). Both run in the same
  process: on setup of a param the ``aiologic`` modules are imported again
  with the environment that selects that core (the lowlevel package, the
  sentinels and the compiled extension itself are kept). A missing compiled
  core is an error, not a skip. ``--no-extensions`` deselects ``cython``, and
  so does any interpreter other than CPython (the compiled core does not
  exist there by design). The fixture yields the ``aiologic`` module; tests
  reach the primitives through it only.
- ``green_lib`` / ``async_lib`` / ``lib`` / ``cancellable_lib``: library
  names from ``support.GREEN_LIBS`` / ``ASYNC_LIBS`` / ``ALL_LIBS`` /
  ``CANCELLABLE_LIBS``; gevent and eventlet params skip, with the reason,
  only when the library cannot be imported.
- ``world``: a started ``support.World`` of ``lib`` (stopped afterwards).
- ``cancellable_world``: the same for ``cancellable_lib``.

Markers: ``differs_from_0171`` marks tests of behaviour that deliberately
differs from aiologic 0.17.1 (API.md section 3); run the suite against 0.17.1
with ``-m "not differs_from_0171"``. If ``AIOLOGIC_TEST_INSTALLED=1``, the
session checks that ``aiologic`` is imported from outside the source checkout.
"""

from __future__ import annotations

import importlib
import os
import pathlib
import sys
import sysconfig

import pytest
import support

# param id (also its marker) -> expected aiologic.lowlevel.IMPLEMENTATION
IMPLEMENTATIONS = {
    "cython": "cython",
    "python": "python",
}

# the environment that makes `import aiologic` select each core
_SELECTION_ENV = {
    "cython": {
        "AIOLOGIC_NO_EXTENSIONS": None,
        "AIOLOGIC_REQUIRE_EXTENSIONS": "1",
    },
    "python": {
        "AIOLOGIC_NO_EXTENSIONS": "1",
        "AIOLOGIC_REQUIRE_EXTENSIONS": None,
    },
}

# Modules that survive a reload: the lowlevel package holds per-process
# state (detection caches, waiter backends) and no core; an extension module
# cannot be initialised twice.
_KEPT_MODULES = (
    "aiologic.lowlevel",
    "aiologic.meta",
    "aiologic._aiologic_core",
)

_CHECKOUT = pathlib.Path(__file__).resolve().parent.parent

_MARKERS = (
    "python: runs against the pure-Python core",
    "cython: runs against the compiled core",
    (
        "differs_from_0171: behaviour that deliberately differs from"
        " aiologic 0.17.1 (API.md section 3)"
    ),
    "slow: takes more than a few seconds",
)

# the params for which ``impl`` imported aiologic again, in order: tests
# are grouped by param, so at most one entry per core
_RELOADS = []


def pytest_addoption(parser):
    parser.addoption(
        "--no-extensions",
        action="store_true",
        default=False,
        help="do not run the tests against the compiled core",
    )


def _cython_deselected(config):
    """Why the ``cython`` tests do not run, or None if they do."""
    if config.getoption("--no-extensions"):
        return "--no-extensions"
    if sys.implementation.name != "cpython":
        # by design: the compiled core is built for CPython only
        return f"{sys.implementation.name} has no compiled core"
    return None


def pytest_configure(config):
    for line in _MARKERS:
        config.addinivalue_line("markers", line)
    if os.environ.get("AIOLOGIC_TEST_INSTALLED") == "1":
        import aiologic

        location = pathlib.Path(aiologic.__file__).resolve()
        # the venvs of `make test` may live inside the checkout: only the
        # checkout's own package directory is the source tree
        if location.parent == _CHECKOUT / "aiologic":
            raise pytest.UsageError(
                "AIOLOGIC_TEST_INSTALLED=1 but aiologic is imported from the"
                f" source checkout: {location}"
            )


def pytest_report_header(config):
    reason = _cython_deselected(config)
    if reason is None:
        cores = "aiologic cores: cython, python"
    else:
        cores = f"aiologic cores: python (cython deselected: {reason})"
    lines = [cores]
    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        gil = "enabled" if sys._is_gil_enabled() else "disabled"
        forced = os.environ.get("PYTHON_GIL")
        lines.append(
            f"free-threaded build, GIL {gil}"
            + (f" (PYTHON_GIL={forced})" if forced is not None else "")
        )
    return lines


def pytest_terminal_summary(terminalreporter):
    if _RELOADS:
        terminalreporter.write_line(
            "aiologic imported again for the cores: " + ", ".join(_RELOADS)
        )
    if sysconfig.get_config_var("Py_GIL_DISABLED") and sys._is_gil_enabled():
        # an extension module without free-threading support was imported
        # (CPython said so with a RuntimeWarning); the tests after it ran
        # with the GIL
        terminalreporter.write_line(
            "free-threaded build, but the GIL is enabled now: set"
            " PYTHON_GIL=0 to keep it off for the whole run",
            yellow=True,
            bold=True,
        )


def pytest_collection_modifyitems(config, items):
    if _cython_deselected(config) is None:
        return
    selected, deselected = [], []
    for item in items:
        if item.get_closest_marker("cython") is not None:
            deselected.append(item)
        else:
            selected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def _purge():
    """Remove the aiologic modules that a reload replaces; return them."""
    purged = {}
    for name in list(sys.modules):
        if name.partition(".")[0] != "aiologic":
            continue
        if name in _KEPT_MODULES or name.startswith("aiologic.lowlevel."):
            continue
        purged[name] = sys.modules.pop(name)
    return purged


def _import_aiologic(param):
    """Import aiologic again with the core of ``param`` selected."""
    purged = _purge()
    saved = {key: os.environ.get(key) for key in _SELECTION_ENV[param]}
    try:
        for key, value in _SELECTION_ENV[param].items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        try:
            module = importlib.import_module("aiologic")
        except BaseException:
            # put the previous modules back so that the process stays usable
            _purge()
            sys.modules.update(purged)
            raise
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    # the import system binds a submodule to its package only when it
    # executes the submodule: rebind the kept ones
    for name in _KEPT_MODULES:
        kept = sys.modules.get(name)
        if kept is not None:
            setattr(module, name.rpartition(".")[2], kept)
    _RELOADS.append(param)
    return module


def _loaded_implementation():
    module = sys.modules.get("aiologic._impl")
    if module is None or "aiologic" not in sys.modules:
        return None
    return getattr(module, "IMPLEMENTATION", None)


@pytest.fixture(
    scope="session",
    params=[
        pytest.param(name, marks=getattr(pytest.mark, name), id=name)
        for name in IMPLEMENTATIONS
    ],
)
def impl(request):
    expected = IMPLEMENTATIONS[request.param]
    if _loaded_implementation() == expected:
        module = sys.modules["aiologic"]
    else:
        error = None
        try:
            module = _import_aiologic(request.param)
        except ImportError as exc:
            error = exc
        if error is not None:
            pytest.fail(
                f"the {request.param} tests need the {expected} core, which"
                f" cannot be imported: {error!r} (build the compiled core,"
                " or pass --no-extensions)",
                pytrace=False,
            )
    actual = module._impl.IMPLEMENTATION
    assert actual == expected, (
        f"the {request.param} tests need the {expected} core,"
        f" but aiologic uses {actual!r}"
    )
    assert expected == module.lowlevel.IMPLEMENTATION
    yield module


def _lib_param(request):
    support.require(request.param)
    return request.param


@pytest.fixture(params=support.GREEN_LIBS)
def green_lib(request):
    return _lib_param(request)


@pytest.fixture(params=support.ASYNC_LIBS)
def async_lib(request):
    return _lib_param(request)


@pytest.fixture(params=support.ALL_LIBS)
def lib(request):
    return _lib_param(request)


@pytest.fixture(params=support.CANCELLABLE_LIBS)
def cancellable_lib(request):
    return _lib_param(request)


@pytest.fixture
def world(lib):
    w = support.World(lib)
    w.start()
    yield w
    w.stop()


@pytest.fixture
def cancellable_world(cancellable_lib):
    w = support.World(cancellable_lib)
    w.start()
    yield w
    w.stop()
